import { z } from 'zod';
import { FieldName, Key, NonBlank, VisualizationSettings } from './common.ts';

/**
 * Query-builder query, compiled to MBQL 5 (src/core/compile-query.ts).
 *
 * Columns are written by name relative to `source` (`event_date`), or fully (`analytics.vw_x.col`).
 * Expressions and filters use a small list syntax: `[op, arg, …]`, e.g. `[">=", streak_days, 3]`,
 * `["-", total_credits, total_spent]`; a string argument is a column name unless quoted in the list as
 * `{ value: "text" }` or it is not a column of the source (then it is a literal).
 */
export const Aggregation = z
  .string()
  .regex(
    /^(count|cum-count|(sum|avg|min|max|median|distinct|cum-sum|stddev|var)\([A-Za-z_][\w.]*\)|share|count-where|sum-where)$/,
    'write an aggregation as count, sum(col), avg(col), min(col), max(col), median(col), distinct(col), cum-sum(col), cum-count',
  );

export const TemporalUnit = z.enum(['minute', 'hour', 'day', 'week', 'month', 'quarter', 'year', 'day-of-week', 'hour-of-day', 'month-of-year']);

/** `column` or `column:unit` (e.g. `event_date:week`). */
export const Breakout = z.string().regex(/^[A-Za-z_][\w.]*(:[a-z-]+)?$/, 'write a breakout as column or column:unit (event_date:week)');

export type ExprArg = string | number | boolean | null | { value: string | number | boolean } | ExprArg[];
export const Expr: z.ZodType<ExprArg> = z.lazy(() =>
  z.union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.object({ value: z.union([z.string(), z.number(), z.boolean()]) }).strict(),
    z.array(Expr).min(1),
  ]),
);

export const OrderBy = z.string().regex(/^-?[A-Za-z_][\w.()-]*$/, 'write an ordering as column, -column (descending), or an aggregation like -sum(x)');

export const StructuredQuery = z
  .object({
    source: z.string().describe('schema.table, or model:<key> / card:<key> to build on a saved question'),
    expressions: z.record(z.string().regex(/^[A-Za-z_][\w ]*$/), Expr).optional(),
    filter: z.array(Expr).optional().describe('all conditions must hold (AND)'),
    aggregate: z.array(Aggregation).optional(),
    breakout: z.array(Breakout).optional(),
    order_by: z.array(OrderBy).optional(),
    limit: z.number().int().positive().optional(),
    fields: z.array(z.string()).optional().describe('columns to keep (raw rows only)'),
  })
  .strict();

/** A native-query variable (`{{name}}` in the SQL). */
export const NativeParam = z
  .object({
    type: z.enum(['text', 'number', 'date', 'boolean', 'dimension', 'temporal-unit']).default('dimension'),
    field: FieldName.optional().describe('the column a field filter (type dimension) applies to'),
    widget: z.string().optional().describe('dashboard widget type of a field filter, e.g. date/all-options, string/='),
    name: NonBlank.optional().describe('display name'),
    default: z.unknown().optional(),
    required: z.boolean().optional(),
  })
  .strict();

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
export type NativeParamT = z.infer<typeof NativeParam>;
