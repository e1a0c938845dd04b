import {
  AGGREGATIONS, BUCKET_UNITS, FILTERS, INTERVAL_UNITS, JOIN_CONDITIONS, JOIN_STRATEGIES, OPTIONS,
  arity, writtenAsCall, type AggregationSpec, type ClauseSpec,
} from './query-vocabulary.ts';
import { describeArgs } from './read-clause.ts';

export const VOCABULARY_START = '<!-- query-vocabulary:start — generated from src/core/query-vocabulary.ts by `npm run docs` -->';
export const VOCABULARY_END = '<!-- query-vocabulary:end -->';

/** A query using a bit of everything, shown first in the README (a test checks that it compiles). */
export const EXAMPLE_QUERY = `query:
  source: analytics.vw_energy_spend_events       # schema.table, or model:<key> / card:<key>
  join:                                          # other views, their columns written alias.column
    - source: analytics.vw_user_energy_health
      alias: health
      conditions: [["=", user_id, health.user_id]]
      strategy: inner-join
  expressions: { net: ["-", cost, 1] }           # custom columns: strings are columns, { value: … } a literal
  filter:                                        # all must hold
    - [time-interval, event_date, -30, day, { include_current: true }]
    - [contains, action, aube, { case_sensitive: false }]
  aggregate: [count, sum(cost), [count-where, [">=", streak_days, 3], { name: Séries ≥ 3 }]]
  breakout: [event_date:week, health.signup_cohort:month]
  order_by: [-sum(cost)]                          # an aggregation as written, or its name
  limit: 100`;

const code = (text: string) => `\`${text.replace(/\|/g, '\\|')}\``;
const mbql = (spec: ClauseSpec) => {
  const options = spec.options?.length ? `{${spec.options.map((o) => `"${o.mbql}"?`).join(', ')}}` : '{}';
  const { min } = arity(spec);
  const args = spec.args.map((kind, i) => (i >= min ? `${kind}?` : kind));
  return code(`["${spec.mbql}", ${options}, ${[...args, ...(spec.rest ? [`${spec.rest}…`] : [])].join(', ')}]`.replace(', ]', ']'));
};
const written = (spec: AggregationSpec) => {
  if (!writtenAsCall(spec)) return code(spec.example);
  return arity(spec).min === 0 ? `${code(spec.yaml)} or ${code(`${spec.yaml}(col)`)}` : code(`${spec.yaml}(col)`);
};

/** The README section on the query-builder vocabulary, generated from the table. */
export function vocabularyMarkdown(): string {
  const lines = [
    VOCABULARY_START,
    '',
    'A query-builder card (`query:`) compiles to MBQL 5. Everything it can say:',
    '',
    '```yaml',
    EXAMPLE_QUERY,
    '```',
    '',
    '- **Columns**: `name` (of `source`), `name:unit` to group or compare by a unit of time',
    `  (${BUCKET_UNITS.join(', ')}), \`alias.name\` for a joined view, \`schema.table.column\`, or the name of an expression.`,
    '- **Filters** are lists `[operator, column, …]`; a clause\'s options go last, as a map.',
    '',
    '| filter | arguments | example | MBQL 5 |',
    '|---|---|---|---|',
    ...FILTERS.map((f) => `| ${code(f.yaml)} | ${f.doc}: ${describeArgs(f)} | ${code(f.example)} | ${mbql(f)} |`),
    '',
    '- **Aggregations** of one column are written `op(column)`; the others are lists `[op, …]`. Any of them',
    '  may be a list ending with `{ name: … }`, the column\'s title, which `order_by` can then use.',
    '',
    '| aggregation | written | result column | MBQL 5 |',
    '|---|---|---|---|',
    ...AGGREGATIONS.map((a) => `| ${code(a.yaml)} — ${a.doc} | ${written(a)} | ${code(a.column.replace('{0}', '<column>'))} | ${mbql(a)} |`),
    '',
    `- **Options**: ${OPTIONS.map((o) => `${code(o.yaml)} (${o.type}, MBQL ${code(o.mbql)}): ${o.doc}`).join('; ')}.`,
    `- **Units** of \`time-interval\` and \`relative-time-interval\`: ${INTERVAL_UNITS.join(', ')}.`,
    `- **Joins** (\`join:\`, MBQL 5 \`joins\` of \`lib/type: mbql/join\`): \`source\`, \`alias\`, \`conditions\` (${JOIN_CONDITIONS.map((c) => code(c.yaml)).join(', ')}`,
    `  between two columns), \`strategy\` (${JOIN_STRATEGIES.join(', ')}; Metabase's default is left-join) and \`fields\``,
    '  (`all`, `none` — Metabase\'s default — or a list of the joined view\'s columns).',
    '- **`limit`**: the number of rows; **`fields`**: the columns to keep, for a query without aggregation.',
    '',
    VOCABULARY_END,
  ];
  return lines.join('\n');
}

/** `text` with its generated vocabulary section replaced by the current one. */
export function withVocabulary(text: string): string {
  const start = text.indexOf(VOCABULARY_START);
  const end = text.indexOf(VOCABULARY_END);
  if (start < 0 || end < start) throw new Error(`the README has no ${VOCABULARY_START} … ${VOCABULARY_END} section`);
  return `${text.slice(0, start)}${vocabularyMarkdown()}${text.slice(end + VOCABULARY_END.length)}`;
}
