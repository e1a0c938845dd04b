import { z } from 'zod';
import { checkStructuredQuery } from '../core/compile-query.ts';
import { AGGREGATIONS, BUCKET_UNITS, FILTERS, JOIN_STRATEGIES, OPTIONS, specs, type Family } from '../core/query-vocabulary.ts';
import { allowed } from '../core/read-clause.ts';
import { checkDefault, FieldName, Key, NonBlank, ParameterDefault, VisualizationSettings } from './common.ts';

/**
 * Query-builder query, compiled to MBQL 5 (src/core/compile-query.ts). The operators, aggregations
 * and their arguments are the vocabulary of src/core/query-vocabulary.ts: the lists below are
 * derived from it, and every query is checked by the compiler's own rules (`checkStructuredQuery`).
 *
 * Columns are written by name relative to `source` (`event_date`), through a join (`health.balance`),
 * or fully (`analytics.vw_x.col`). Filters use a small list syntax, `[op, column, value…]`, e.g.
 * `[">=", streak_days, 3]`; expressions `["-", total_credits, total_spent]`, where every string is a
 * column and `{ value: "text" }` a literal. A clause's options go last: `{ case_sensitive: false }`.
 */
// Loose: an unknown option is reported by the compiler's check, which lists the options of that clause.
const ClauseOptions = z.looseObject(Object.fromEntries(OPTIONS.map((o) => [o.yaml, (o.type === 'boolean' ? z.boolean() : NonBlank).optional().describe(o.doc)])));
export type ClauseOptionsT = { [option: string]: boolean | string | undefined };

export type ExprArg = string | number | boolean | null | { value: string | number | boolean } | ClauseOptionsT | ExprArg[];
export const Expr: z.ZodType<ExprArg> = z.lazy(() =>
  z.union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.object({ value: z.union([z.string(), z.number(), z.boolean()]) }).strict(),
    ClauseOptions,
    z.array(Expr).min(1),
  ]),
);

const operator = (family: Family) =>
  z.enum(specs(family).map((s) => s.yaml) as [string, ...string[]], { error: (issue) => `unknown ${family} ${JSON.stringify(issue.input)}: ${allowed(family)}` });

/** `[op, column, value…]`, e.g. `[">=", streak_days, 3]`. */
export const Filter = z.tuple([operator('filter')], Expr).describe(`a condition: ${FILTERS.map((f) => f.yaml).join(', ')}`);

// Every name passes the text form here, so that `count-where` written as text gets the compiler's
// own message (write it as a list), not a generic one.
export const Aggregation = z.union([
  z.string().regex(new RegExp(`^(${AGGREGATIONS.map((a) => a.yaml).join('|')})(\\(.*\\))?$`), `write an aggregation as ${allowed('aggregation').replace(/^use /, '')}`),
  z.tuple([operator('aggregation')], Expr),
]).describe('count, sum(col)… or a list: [percentile, col, 0.9], [count-where, condition, { name: … }]');

/** `column` or `column:unit` (e.g. `event_date:week`). */
export const Breakout = z
  .string()
  .regex(new RegExp(`^[A-Za-z_][\\w. ]*(:(${BUCKET_UNITS.join('|')}))?$`), `write a breakout as column or column:unit (event_date:week), unit one of ${BUCKET_UNITS.join(', ')}`);

export const OrderBy = z.string().min(1).describe('column, -column (descending), an aggregation as written (-sum(x)) or its name');

/** A join to another view or a model (MBQL 5 `joins`); its columns are written `alias.column`. */
export const Join = z
  .object({
    source: z.string().describe('schema.table, or model:<key> / card:<key>'),
    alias: z.string().regex(/^[A-Za-z_]\w*$/, 'an alias is a name: letters, digits and _').describe('the name the query uses for the joined view: alias.column'),
    conditions: z.array(z.tuple([operator('join condition')], Expr)).min(1).describe('e.g. ["=", user_id, health.user_id]'),
    strategy: z.enum(JOIN_STRATEGIES).optional().describe('Metabase\'s default is left-join'),
    fields: z.union([z.enum(['all', 'none']), z.array(z.string()).min(1)]).optional().describe('joined columns to keep (names in the joined view); Metabase\'s default is none'),
  })
  .strict();

export const StructuredQuery = z
  .object({
    source: z.string().describe('schema.table, or model:<key> / card:<key> to build on a saved question'),
    join: z.array(Join).optional(),
    expressions: z.record(z.string().regex(/^[A-Za-z_][\w ]*$/), Expr).optional(),
    filter: z.array(Filter).optional().describe('all conditions must hold (AND)'),
    aggregate: z.array(Aggregation).optional(),
    breakout: z.array(Breakout).optional(),
    order_by: z.array(OrderBy).optional(),
    limit: z.number().int().positive().optional(),
    fields: z.array(z.string()).optional().describe('columns to keep (raw rows only)'),
  })
  .strict()
  .superRefine((query, ctx) => {
    for (const problem of checkStructuredQuery(query)) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
  });

/** A native-query variable (`{{name}}` in the SQL). */
export const NativeParam = z
  .object({
    type: z.enum(['text', 'number', 'date', 'boolean', 'dimension', 'temporal-unit']).default('dimension'),
    field: FieldName.optional().describe('the column a field filter (type dimension) applies to'),
    widget: z.string().optional().describe('dashboard widget type of a field filter, e.g. date/all-options, string/='),
    name: NonBlank.optional().describe('display name'),
    default: ParameterDefault.optional(),
    required: z.boolean().optional(),
  })
  .strict()
  .superRefine(checkDefault);

/** Column metadata of a model (stored in the card's result_metadata). */
export const ColumnMetadata = z
  .object({
    display_name: NonBlank.optional(),
    description: NonBlank.optional(),
    semantic_type: z.string().regex(/^type\/\w+$/).nullable().optional(),
    visibility: z.enum(['normal', 'details-only', 'hidden']).optional(),
  })
  .strict();

const cardFields = {
  name: NonBlank,
  description: NonBlank.optional(),
  display: z
    .enum(['table', 'scalar', 'smartscalar', 'line', 'bar', 'area', 'combo', 'row', 'pie', 'pivot', 'progress', 'funnel', 'gauge', 'waterfall', 'scatter', 'map', 'object'])
    .default('table'),
  type: z.enum(['question', 'model']).default('question'),
  collection: Key.optional().describe('collection key; defaults to the dashboard\'s'),
  query: StructuredQuery.optional(),
  sql: NonBlank.optional(),
  params: z.record(z.string().regex(/^[A-Za-z_]\w*$/), NativeParam).optional(),
  visualization: VisualizationSettings.optional(),
  columns: z.record(z.string(), ColumnMetadata).optional().describe('models only: column metadata by column name'),
  entity_id: z
    .string()
    .regex(/^[A-Za-z0-9_-]{21}$/, 'an entity_id is 21 characters: letters, digits, _ and -')
    .optional()
    .describe('adopt an existing Metabase card instead of creating one (written by mb-sync pull)'),
};

/** A saved question or model, defined on its own (models/*.yaml, alerts) or inline on a dashboard. */
export const Card = z
  .object({ key: Key, ...cardFields })
  .strict()
  .superRefine((card, ctx) => {
    if ((card.query === undefined) === (card.sql === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'a card needs exactly one of `query` (query builder) or `sql` (native)', path: [] });
    }
    if (card.params !== undefined && card.sql === undefined) {
      ctx.addIssue({ code: 'custom', message: '`params` only applies to native (`sql`) cards', path: ['params'] });
    }
    if (card.columns !== undefined && card.type !== 'model') {
      ctx.addIssue({ code: 'custom', message: '`columns` metadata only applies to models (type: model)', path: ['columns'] });
    }
  });

export const CardFields = cardFields;
export type CardT = z.infer<typeof Card>;
export type StructuredQueryT = z.infer<typeof StructuredQuery>;
export type JoinT = z.infer<typeof Join>;
export type NativeParamT = z.infer<typeof NativeParam>;
