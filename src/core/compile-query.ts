import type { ExprArg, StructuredQueryT } from '../config/schema/card.ts';
import { MbSyncError } from './errors.ts';
import { ref } from './refs.ts';
import { stableUuid } from './stable-uuid.ts';

/**
 * Query-builder YAML → the wire form of an MBQL 5 query, with symbolic refs for ids: complete as
 * Metabase stores it (0.57+), so it can be sent as is. Every clause is `[op, {options}, ...args]`
 * with a `lib/uuid` derived from (project, card, position), so a re-apply sends the same query; an
 * ordering by an aggregation points at that aggregation's `lib/uuid` (`lib/schema/ref.cljc`); a
 * column of a saved question is referred to by name with its `base-type`. Comparison never sees
 * this form directly: `normalizeQuery` makes the compare form of both sides.
 *
 * Column names are relative to `source` unless written `schema.table.column`. In filters the first
 * argument is a column and the rest are literals; in expressions every string is a column and
 * `{ value: "…" }` is a literal string.
 */
export interface CompileInput {
  project: string;
  cardKey: string;
  database: string;
  query: StructuredQueryT;
  /** Where the card was written, for error messages. */
  where: string;
}

const FILTER_OPS = new Set(['=', '!=', '<', '>', '<=', '>=', 'between', 'contains', 'does-not-contain', 'starts-with', 'ends-with', 'is-null', 'not-null', 'is-empty', 'not-empty', 'time-interval', 'inside']);
const LOGICAL_OPS = new Set(['and', 'or', 'not']);
const AGGREGATION = /^(count|cum-count|(sum|avg|min|max|median|distinct|cum-sum|stddev|var)\(([A-Za-z_][\w.]*)\))$/;

export function compileStructuredQuery(input: CompileInput): Record<string, unknown> {
  const { query } = input;
  const expressionNames = Object.keys(query.expressions ?? {});
  const sourceTable = /^(model|card):/.test(query.source) ? null : query.source;
  const fail = (path: string, message: string): never => {
    throw new MbSyncError('CONFIG_INVALID', `${input.where}: query.${path}: ${message}`);
  };

  const column = (name: string, options: Record<string, unknown> = {}): unknown[] => {
    if (expressionNames.includes(name)) return ['expression', options, name];
    if (name.split('.').length === 3) return ['field', options, ref('field', name)];
    if (sourceTable === null) return ['field', { ...options, 'base-type': 'type/*' }, name];
    return ['field', options, ref('field', `${sourceTable}.${name}`)];
  };

  const expression = (arg: ExprArg, path: string): unknown => {
    if (Array.isArray(arg)) {
      const [op, ...args] = arg;
      if (typeof op !== 'string') return fail(path, 'an expression list starts with its operator, e.g. ["-", a, b]');
      return [op, {}, ...args.map((a, i) => expression(a, `${path}[${i + 1}]`))];
    }
    if (typeof arg === 'string') return column(arg);
    if (arg !== null && typeof arg === 'object') return arg.value;
    return arg;
  };

  const filter = (clause: ExprArg, path: string): unknown => {
    if (!Array.isArray(clause) || typeof clause[0] !== 'string') return fail(path, 'a filter is a list: [op, column, value…], e.g. [">=", streak_days, 3]');
    const [op, ...args] = clause as [string, ...ExprArg[]];
    if (LOGICAL_OPS.has(op)) return [op, {}, ...args.map((a, i) => filter(a, `${path}[${i + 1}]`))];
    if (!FILTER_OPS.has(op)) return fail(path, `unknown filter operator "${op}" (use ${[...FILTER_OPS, ...LOGICAL_OPS].join(', ')})`);
    const [target, ...values] = args;
    if (target === undefined) return fail(path, `"${op}" needs a column`);
    const lhs = Array.isArray(target) ? expression(target, `${path}[1]`) : typeof target === 'string' ? column(target) : fail(path, `"${op}" needs a column first`);
    return [op, {}, lhs, ...values.map((v) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v.value : v))];
  };

  const stage: Record<string, unknown> = { 'lib/type': 'mbql.stage/mbql' };
  if (sourceTable === null) stage['source-card'] = ref('card', query.source.slice(query.source.indexOf(':') + 1));
  else stage['source-table'] = ref('table', sourceTable);

  if (query.expressions) {
    stage.expressions = Object.entries(query.expressions).map(([name, arg]) => {
      const compiled = expression(arg, `expressions.${name}`);
      if (!Array.isArray(compiled)) return ['value', { 'lib/expression-name': name, 'effective-type': 'type/*' }, compiled];
      const [op, options, ...rest] = compiled as [string, Record<string, unknown>, ...unknown[]];
      return [op, { ...options, 'lib/expression-name': name }, ...rest];
    });
  }
  if (query.filter) stage.filters = query.filter.map((f, i) => filter(f, `filter[${i}]`));

  const aggregationIds: string[] = [];
  if (query.aggregate) {
    stage.aggregation = query.aggregate.map((text, i) => {
      const match = AGGREGATION.exec(text);
      if (!match) return fail(`aggregate[${i}]`, `cannot read "${text}"`);
      const uuid = stableUuid(input.project, input.cardKey, 'aggregation', String(i));
      aggregationIds.push(uuid);
      const op = match[2] ?? match[1]!;
      return match[3] === undefined ? [op, { 'lib/uuid': uuid }] : [op, { 'lib/uuid': uuid }, column(match[3])];
    });
  }
  if (query.breakout) {
    stage.breakout = query.breakout.map((text) => {
      const [name, unit] = text.split(':') as [string, string | undefined];
      return column(name, unit === undefined ? {} : { 'temporal-unit': unit });
    });
  }
  if (query.order_by) {
    stage['order-by'] = query.order_by.map((text, i) => {
      const direction = text.startsWith('-') ? 'desc' : 'asc';
      const name = text.replace(/^-/, '');
      const aggregate = query.aggregate?.indexOf(name) ?? -1;
      if (aggregate >= 0) return [direction, {}, ['aggregation', {}, aggregationIds[aggregate]]];
      if (AGGREGATION.test(name)) return fail(`order_by[${i}]`, `"${name}" is not one of the aggregations`);
      const [col, unit] = name.split(':') as [string, string | undefined];
      return [direction, {}, column(col, unit === undefined ? {} : { 'temporal-unit': unit })];
    });
  }
  if (query.fields) stage.fields = query.fields.map((f) => column(f));
  if (query.limit !== undefined) stage.limit = query.limit;
  addClauseUuids(stage, (path) => stableUuid(input.project, input.cardKey, 'clause', path));
  return { 'lib/type': 'mbql/query', database: ref('database', input.database), stages: [stage] };
}

/** Where each part of a compiled stage came from in the card's YAML, for server errors. */
export const STAGE_SOURCES: Record<string, string> = {
  'source-table': 'query.source',
  'source-card': 'query.source',
  aggregation: 'query.aggregate',
  breakout: 'query.breakout',
  filters: 'query.filter',
  'order-by': 'query.order_by',
  fields: 'query.fields',
  limit: 'query.limit',
  expressions: 'query.expressions',
};

/**
 * Gives every clause without one a `lib/uuid` derived from its position (Metabase mints random ones
 * when they are missing; deterministic ones keep a re-applied query identical).
 */
export function addClauseUuids(value: unknown, uuidFor: (path: string) => string, path = ''): void {
  if (!Array.isArray(value)) {
    if (typeof value === 'object' && value !== null && !('$ref' in value)) {
      for (const [key, child] of Object.entries(value)) addClauseUuids(child, uuidFor, `${path}/${key}`);
    }
    return;
  }
  const options = value[1];
  if (typeof value[0] === 'string' && typeof options === 'object' && options !== null && !Array.isArray(options) && !('$ref' in options)) {
    (options as Record<string, unknown>)['lib/uuid'] ??= uuidFor(path);
  }
  value.forEach((child, i) => addClauseUuids(child, uuidFor, `${path}/${i}`));
}
