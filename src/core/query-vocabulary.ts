/**
 * The query-builder vocabulary, written once: every filter operator and aggregation a card's `query`
 * may use, its YAML spelling, the MBQL 5 clause it becomes (`[clause, {options}, ...args]`), and the
 * kind of each argument. The zod schema (model/card.ts), the compiler, the decompiler used by
 * `pull`, the README and the test fake all read this table; nothing else lists operators.
 *
 * Shapes checked against the MBQL 5 JSON Schema of `@metabase/cli` 0.3.1 (`mb query --print-schema`)
 * and Metabase's `src/metabase/lib/schema/{filter,aggregation,join}.cljc`.
 */

/** What one argument of a clause is. */
export type ArgKind =
  /** a column: `col`, `col:unit`, `alias.col` (a joined view), `schema.table.col`, or an expression list */
  | 'column'
  /** a literal compared with the column: text, number or boolean (`{ value: … }` also reads as one) */
  | 'value'
  /** a literal text */
  | 'text'
  | 'number'
  /** a number between 0 and 1 */
  | 'fraction'
  | 'integer'
  /** an integer offset (negative: past), or `current`, `last`, `next` */
  | 'interval'
  /** a unit of time (INTERVAL_UNITS) */
  | 'unit'
  /** a filter clause */
  | 'condition';

/** An option of a clause: a trailing `{ key: value }` in the YAML list, in the options map in MBQL. */
export interface OptionSpec {
  yaml: string;
  mbql: string;
  type: 'boolean' | 'string';
  doc: string;
}

export interface ClauseSpec {
  /** The spelling in the YAML: first element of the list, or the name before `(…)`. */
  yaml: string;
  /** The MBQL 5 clause. */
  mbql: string;
  args: readonly ArgKind[];
  /** How many of `args` must be given (default: all of them). */
  required?: number;
  /** Any number of further arguments of this kind. */
  rest?: ArgKind;
  options?: readonly OptionSpec[];
  doc: string;
  /** A YAML example, as written in a `filter:` or `aggregate:` list. */
  example: string;
}

export interface AggregationSpec extends ClauseSpec {
  /**
   * The result column's name as Metabase names it (`lib/aggregation.cljc`, column-name-method);
   * `{0}` is the name of the first argument's column. Repeated names get `_2`, `_3`…
   */
  column: string;
  /** The result's type (`:- :type/…` in lib/schema/aggregation.cljc); absent: the type of its column. */
  type?: 'type/Integer' | 'type/Float';
}

const caseSensitive: OptionSpec = { yaml: 'case_sensitive', mbql: 'case-sensitive', type: 'boolean', doc: 'false to ignore case (Metabase: true when absent)' };
const includeCurrent: OptionSpec = { yaml: 'include_current', mbql: 'include-current', type: 'boolean', doc: 'true to count the current period too' };
// A custom aggregation's name is its `display-name` (lib/expression.cljc, with-expression-name).
const aggregationName: OptionSpec = { yaml: 'name', mbql: 'display-name', type: 'string', doc: 'the column title; order_by can use it' };

export const FILTERS: readonly ClauseSpec[] = [
  { yaml: '=', mbql: '=', args: ['column', 'value'], rest: 'value', doc: 'equal to (several values: any of them)', example: '["=", module, aube, rituals]' },
  { yaml: '!=', mbql: '!=', args: ['column', 'value'], rest: 'value', doc: 'different from (all of the values)', example: '["!=", source, unknown]' },
  { yaml: '<', mbql: '<', args: ['column', 'value'], doc: 'less than', example: '["<", balance, 10]' },
  { yaml: '>', mbql: '>', args: ['column', 'value'], doc: 'greater than', example: '[">", days_inactive, 7]' },
  { yaml: '<=', mbql: '<=', args: ['column', 'value'], doc: 'less than or equal to', example: '["<=", cost, 5]' },
  { yaml: '>=', mbql: '>=', args: ['column', 'value'], doc: 'greater than or equal to', example: '[">=", streak_days, 3]' },
  { yaml: 'between', mbql: 'between', args: ['column', 'value', 'value'], doc: 'between two values, both included', example: '[between, event_date, "2025-01-01", "2025-03-31"]' },
  { yaml: 'contains', mbql: 'contains', args: ['column', 'text'], rest: 'text', options: [caseSensitive], doc: 'contains the text (several: any of them)', example: '[contains, action, aube, { case_sensitive: false }]' },
  { yaml: 'does-not-contain', mbql: 'does-not-contain', args: ['column', 'text'], rest: 'text', options: [caseSensitive], doc: 'does not contain the text', example: '[does-not-contain, label, test]' },
  { yaml: 'starts-with', mbql: 'starts-with', args: ['column', 'text'], rest: 'text', options: [caseSensitive], doc: 'starts with the text', example: '[starts-with, action, "aube."]' },
  { yaml: 'ends-with', mbql: 'ends-with', args: ['column', 'text'], rest: 'text', options: [caseSensitive], doc: 'ends with the text', example: '[ends-with, action, ".done", { case_sensitive: true }]' },
  { yaml: 'is-null', mbql: 'is-null', args: ['column'], doc: 'has no value', example: '[is-null, first_completed_at]' },
  { yaml: 'not-null', mbql: 'not-null', args: ['column'], doc: 'has a value', example: '[not-null, first_completed_at]' },
  { yaml: 'is-empty', mbql: 'is-empty', args: ['column'], doc: 'no value or empty text', example: '[is-empty, label]' },
  { yaml: 'not-empty', mbql: 'not-empty', args: ['column'], doc: 'a value that is not empty text', example: '[not-empty, label]' },
  { yaml: 'time-interval', mbql: 'time-interval', args: ['column', 'interval', 'unit'], options: [includeCurrent], doc: 'the last/next n units (n < 0: past), or current, last, next', example: '[time-interval, event_date, -30, day, { include_current: true }]' },
  { yaml: 'relative-time-interval', mbql: 'relative-time-interval', args: ['column', 'integer', 'unit', 'integer', 'unit'], doc: 'n units, shifted by an offset ("previous 4 weeks, starting 1 week ago")', example: '[relative-time-interval, event_date, -4, week, -1, week]' },
  { yaml: 'inside', mbql: 'inside', args: ['column', 'column', 'number', 'number', 'number', 'number'], doc: 'latitude and longitude inside a box (north, west, south, east)', example: '[inside, lat, lon, 51.1, -5.2, 41.3, 9.6]' },
  { yaml: 'and', mbql: 'and', args: ['condition', 'condition'], rest: 'condition', doc: 'all of the conditions', example: '[and, [">", cost, 0], [not-null, module]]' },
  { yaml: 'or', mbql: 'or', args: ['condition', 'condition'], rest: 'condition', doc: 'any of the conditions', example: '[or, ["=", module, aube], ["=", module, rituals]]' },
  { yaml: 'not', mbql: 'not', args: ['condition'], doc: 'the condition does not hold', example: '[not, [contains, action, test]]' },
];

export const AGGREGATIONS: readonly AggregationSpec[] = ([
  { yaml: 'count', mbql: 'count', type: 'type/Integer', args: ['column'], required: 0, column: 'count', doc: 'number of rows (count(col): rows where col has a value)', example: 'count' },
  { yaml: 'sum', mbql: 'sum', args: ['column'], column: 'sum', doc: 'sum', example: 'sum(total_spent)' },
  { yaml: 'avg', mbql: 'avg', type: 'type/Float', args: ['column'], column: 'avg', doc: 'average', example: 'avg(duration_seconds)' },
  { yaml: 'min', mbql: 'min', args: ['column'], column: 'min', doc: 'minimum', example: 'min(event_date)' },
  { yaml: 'max', mbql: 'max', args: ['column'], column: 'max', doc: 'maximum', example: 'max(balance)' },
  { yaml: 'distinct', mbql: 'distinct', type: 'type/Integer', args: ['column'], column: 'count', doc: 'number of distinct values', example: 'distinct(user_id)' },
  { yaml: 'median', mbql: 'median', args: ['column'], column: 'median', doc: 'median', example: 'median(minutes_to_completion)' },
  { yaml: 'percentile', mbql: 'percentile', args: ['column', 'fraction'], column: 'percentile', doc: 'percentile, between 0 and 1', example: '[percentile, cost, 0.9]' },
  { yaml: 'stddev', mbql: 'stddev', type: 'type/Float', args: ['column'], column: 'stddev', doc: 'standard deviation', example: 'stddev(cost)' },
  { yaml: 'var', mbql: 'var', type: 'type/Float', args: ['column'], column: 'var', doc: 'variance', example: 'var(cost)' },
  { yaml: 'cum-count', mbql: 'cum-count', type: 'type/Integer', args: ['column'], required: 0, column: 'cum_count', doc: 'running count of rows', example: 'cum-count' },
  { yaml: 'cum-sum', mbql: 'cum-sum', args: ['column'], column: 'sum', doc: 'running sum', example: 'cum-sum(total_spent)' },
  { yaml: 'count-where', mbql: 'count-where', type: 'type/Integer', args: ['condition'], column: 'count-where', doc: 'number of rows where the condition holds', example: '[count-where, [">=", streak_days, 3], { name: Séries ≥ 3 }]' },
  { yaml: 'sum-where', mbql: 'sum-where', args: ['column', 'condition'], column: 'sum_where_{0}', doc: 'sum over the rows where the condition holds', example: '[sum-where, cost, ["=", module, aube]]' },
  // [unconfirmed] the result column name of distinct-where: the source read has no column-name-method for it.
  { yaml: 'distinct-where', mbql: 'distinct-where', type: 'type/Integer', args: ['column', 'condition'], column: 'distinct_where', doc: 'distinct values over the rows where the condition holds', example: '[distinct-where, user_id, [">", cost, 0]]' },
  { yaml: 'share', mbql: 'share', type: 'type/Float', args: ['condition'], column: 'share', doc: 'share of rows where the condition holds (0 to 1)', example: '[share, [is-null, first_completed_at]]' },
] satisfies Array<Omit<AggregationSpec, 'options'>>).map((spec) => ({ ...spec, options: [aggregationName] }));

/** Operators a join condition may use (lib/schema/join.cljc `condition-operators`); both sides are columns. */
export const JOIN_CONDITIONS: readonly ClauseSpec[] = FILTERS
  .filter((f) => ['=', '!=', '<', '>', '<=', '>='].includes(f.yaml))
  .map((f) => ({ ...f, args: ['column', 'column'], rest: undefined, example: `["${f.yaml}", user_id, health.user_id]` }));

export const JOIN_STRATEGIES = ['left-join', 'right-join', 'inner-join', 'full-join'] as const;

/** Units of `time-interval` and friends (temporal_bucketing.yaml `datetime_truncation_unit`). */
export const INTERVAL_UNITS = ['millisecond', 'second', 'minute', 'hour', 'day', 'week', 'month', 'quarter', 'year'] as const;

/** Units a column can be grouped by, `event_date:week` (temporal_bucketing.yaml `datetime_bucketing_unit`). */
export const BUCKET_UNITS = [
  'minute', 'hour', 'day', 'week', 'month', 'quarter', 'year',
  'minute-of-hour', 'hour-of-day', 'day-of-week', 'day-of-month', 'day-of-year', 'week-of-year', 'month-of-year', 'quarter-of-year',
] as const;

export const INTERVAL_WORDS = ['current', 'last', 'next'] as const;

/** Every option a clause list may end with, by its YAML key. */
export const OPTIONS: readonly OptionSpec[] = [caseSensitive, includeCurrent, aggregationName];

export type Family = 'filter' | 'aggregation' | 'join condition';
const FAMILIES: Record<Family, readonly ClauseSpec[]> = { filter: FILTERS, aggregation: AGGREGATIONS, 'join condition': JOIN_CONDITIONS };

export function specs(family: Family): readonly ClauseSpec[] {
  return FAMILIES[family];
}

export function specByYaml(family: Family, yaml: string): ClauseSpec | undefined {
  return FAMILIES[family].find((s) => s.yaml === yaml);
}

export function specByMbql(family: Family, mbql: string): ClauseSpec | undefined {
  return FAMILIES[family].find((s) => s.mbql === mbql);
}

export function aggregationByMbql(mbql: string): AggregationSpec | undefined {
  return AGGREGATIONS.find((s) => s.mbql === mbql);
}

/** The kind of the argument at `index` (0 = first after the operator), or undefined past the end. */
export function argKind(spec: ClauseSpec, index: number): ArgKind | undefined {
  return spec.args[index] ?? spec.rest;
}

export function arity(spec: ClauseSpec): { min: number; max: number } {
  return { min: spec.required ?? spec.args.length, max: spec.rest === undefined ? spec.args.length : Infinity };
}

/**
 * Aggregations of at most one column are written `op` or `op(col)`; the others are lists, which
 * also keeps commas out of the text (in a YAML `[…]` list a comma would cut it in two).
 */
export function writtenAsCall(spec: ClauseSpec): boolean {
  return spec.args.every((kind) => kind === 'column') && spec.args.length <= 1;
}
