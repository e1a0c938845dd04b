import { z } from 'zod';

/** A key people write and mb-sync derives identities from: lower-case, digits, `-` and `_`. */
export const Key = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'use lower-case letters, digits, "-" and "_" (it is an identity: keep it stable)')
  .describe('Stable identifier; renaming it makes a new object.');

export const NonBlank = z.string().trim().min(1, 'must not be blank');

/** `schema.table`, e.g. `analytics.vw_pack_funnel`. */
export const TableName = z
  .string()
  .regex(/^[A-Za-z_][\w]*\.[A-Za-z_][\w]*$/, 'write a table as schema.table, e.g. analytics.vw_pack_funnel');

/** `schema.table.column`. */
export const FieldName = z
  .string()
  .regex(/^[A-Za-z_][\w]*\.[A-Za-z_][\w]*\.[A-Za-z_][\w]*$/, 'write a column as schema.table.column');

/** Metabase visualization settings are an open map (see `npx @metabase/cli skills get visualization`). */
export const VisualizationSettings = z.record(z.string(), z.unknown());

export const Weekday = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);

/** A human schedule, compiled to a Quartz cron (alerts) or pulse channel fields (subscriptions). */
export const Schedule = z
  .object({
    every: z.enum(['hour', 'day', 'week', 'month']),
    hour: z.number().int().min(0).max(23).optional(),
    minute: z.number().int().min(0).max(59).optional(),
    day: Weekday.optional().describe('for every: week'),
    frame: z.enum(['first', 'mid', 'last']).optional().describe('for every: month'),
  })
  .strict();

/**
 * Recipients: an e-mail address, `group:<key>` (a group declared in the config; notifications
 * send to its members) or `list:<name>` (a recipient list from the config).
 */
export const Recipient = z
  .string()
  .regex(/^(group:[a-z0-9_-]+|list:[a-z0-9_-]+|[^@\s]+@[^@\s]+\.[^@\s]+)$/, 'use an e-mail address, group:<key> or list:<name>');

export type ScheduleT = z.infer<typeof Schedule>;

const Scalar = z.union([z.string(), z.number(), z.boolean()]);

/** A filter's or a variable's default: a value, or a list of them (a filter with several values). */
export const ParameterDefault = z.union([Scalar, z.array(Scalar).min(1)], { error: 'a default is a value (past30days, 10, true) or a list of values' }).describe('a value (past30days, 10, true) or a list of values');

/**
 * A filter's or a variable's default that its widget could not read is refused at its path: Metabase
 * stores whatever it is sent, and a dashboard whose default its widget cannot read opens broken. A
 * number filter's default is numbers (or numeric text, as the Phoenix files write them), a date
 * filter's one text, a boolean's true/false. `type` is a filter's (`number/=`) or a variable's (`number`).
 */
export function checkDefault(param: { type: string; default?: unknown }, ctx: z.RefinementCtx): void {
  if (param.default === undefined) return;
  const values = Array.isArray(param.default) ? param.default : [param.default];
  const kind = param.type.split('/')[0];
  const problem =
    kind === 'number' && !values.every((v) => typeof v === 'number' || (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)))) ? 'a number filter\'s default is a number (or a list of numbers)'
    : kind === 'date' && !(values.length === 1 && typeof values[0] === 'string') ? 'a date filter\'s default is one text, e.g. past30days, thisweek or 2024-01-01~2024-03-31'
    : kind === 'boolean' && !values.every((v) => typeof v === 'boolean') ? 'a boolean filter\'s default is true or false'
    : undefined;
  if (problem) ctx.addIssue({ code: 'custom', path: ['default'], message: `${problem} (type ${param.type})` });
}
