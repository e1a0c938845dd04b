import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { loadMetabaseSchemas, type CliCommand } from '../metabase-schemas.ts';
import { HttpError, refusal, type Issue } from './http.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;

/**
 * The request decoder of the fake: every body a write route receives is checked against the schema
 * Metabase publishes for it (the official CLI's `inputSchema`, extracted at test time; see
 * test/support/metabase-schemas.ts) and, for MBQL 5 queries, against Metabase's MBQL 5 JSON Schema.
 * Where no published schema exists (the CLI has no command for the route), a hand-written schema
 * follows ../shared/metabase-api.md and names the section it comes from.
 *
 * Refusals have the real shape: 400 with `errors` (one line per top-level key) and `specific-errors`
 * (the same structure as the body, messages at the leaves, as malli's humanized errors).
 */

const nullable = (type: Record<string, unknown>) => ({ anyOf: [type, { type: 'null' }] });
const positiveInt = { type: 'integer', minimum: 1 };
const schedule = {
  type: 'object',
  required: ['schedule_type'],
  properties: {
    schedule_type: { enum: ['hourly', 'daily', 'weekly', 'monthly'] },
    schedule_minute: nullable({ type: 'integer', minimum: 0, maximum: 59 }),
    schedule_hour: nullable({ type: 'integer', minimum: 0, maximum: 23 }),
    schedule_day: nullable({ enum: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] }),
    schedule_frame: nullable({ enum: ['first', 'mid', 'last'] }),
  },
};

/** Routes the CLI has no command for: metabase-api.md §2–§4 (and Metabase's api.json for the same routes). */
const HAND_WRITTEN: Record<string, Record<string, unknown>> = {
  // §3 POST /api/database: name, engine, details required; schedules are {metadata_sync?, cache_field_values?}.
  'database create': {
    type: 'object',
    required: ['name', 'engine', 'details'],
    properties: {
      name: { type: 'string', minLength: 1 },
      engine: { type: 'string', minLength: 1 },
      details: { type: 'object' },
      is_full_sync: { type: 'boolean' },
      is_on_demand: { type: 'boolean' },
      auto_run_queries: nullable({ type: 'boolean' }),
      schedules: { type: 'object', properties: { metadata_sync: schedule, cache_field_values: schedule }, additionalProperties: false },
      cache_ttl: nullable(positiveInt),
      connection_source: { enum: ['admin', 'setup'] },
      is_stub: { const: false },
    },
  },
  // §3 PUT /api/database/:id: everything optional; details merged into the stored ones.
  'database update': {
    type: 'object',
    properties: {
      name: { type: 'string', minLength: 1 },
      engine: { type: 'string', minLength: 1 },
      details: { type: 'object' },
      is_full_sync: { type: 'boolean' },
      is_on_demand: { type: 'boolean' },
      auto_run_queries: nullable({ type: 'boolean' }),
      schedules: { type: 'object', properties: { metadata_sync: schedule, cache_field_values: schedule }, additionalProperties: false },
      description: nullable({ type: 'string' }),
      caveats: nullable({ type: 'string' }),
      points_of_interest: nullable({ type: 'string' }),
      settings: nullable({ type: 'object' }),
      cache_ttl: nullable(positiveInt),
    },
  },
  // §4 PUT /api/collection/:id
  'collection update': {
    type: 'object',
    properties: {
      name: { type: 'string', minLength: 1 },
      description: nullable({ type: 'string' }),
      archived: { type: 'boolean' },
      parent_id: nullable(positiveInt),
      authority_level: nullable({ enum: ['official'] }),
    },
  },
  // §4 PUT /api/collection/graph: {revision, groups: {gid: {cid|"root": read|write|none}}}.
  'collection graph update': {
    type: 'object',
    required: ['revision', 'groups'],
    properties: {
      revision: { type: 'integer', minimum: 0 },
      namespace: nullable({ type: 'string' }),
      groups: {
        type: 'object',
        propertyNames: { pattern: '^[0-9]+$' },
        additionalProperties: { type: 'object', propertyNames: { pattern: '^([0-9]+|root)$' }, additionalProperties: { enum: ['read', 'write', 'none'] } },
      },
    },
  },
  // §4 POST /api/permissions/group
  'group create': { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1 } } },
  // §4 POST /api/permissions/membership
  'membership create': { type: 'object', required: ['user_id', 'group_id'], properties: { user_id: positiveInt, group_id: positiveInt, is_group_manager: { type: 'boolean' } } },
  // §2 POST /api/session
  'session create': { type: 'object', required: ['username', 'password'], properties: { username: { type: 'string', minLength: 1 }, password: { type: 'string', minLength: 1 } } },
  // §2 POST /api/api-key
  'api-key create': { type: 'object', required: ['name', 'group_id'], properties: { name: { type: 'string', minLength: 1 }, group_id: positiveInt } },
  // §2 PUT /api/email
  'email update': { type: 'object', required: ['email-smtp-host', 'email-smtp-port'], properties: { 'email-smtp-host': { type: 'string', minLength: 1 }, 'email-smtp-port': { type: 'integer' } } },
  // Routes whose body Metabase ignores.
  'no body': { type: 'object' },
};

export type BodySchema = CliCommand | keyof typeof HAND_WRITTEN;

/** Which schema checks each write route's body. A write route missing here is refused outright. */
export const REQUEST_SCHEMAS: Array<[method: string, path: RegExp, schema: BodySchema]> = [
  ['POST', /^\/api\/session$/, 'session create'],
  ['DELETE', /^\/api\/session$/, 'no body'],
  ['POST', /^\/api\/setup$/, 'setup'],
  ['POST', /^\/api\/api-key$/, 'api-key create'],
  ['PUT', /^\/api\/api-key\/\d+\/regenerate$/, 'no body'],
  ['PUT', /^\/api\/email$/, 'email update'],
  ['POST', /^\/api\/database$/, 'database create'],
  ['PUT', /^\/api\/database\/\d+$/, 'database update'],
  ['POST', /^\/api\/database\/\d+\/(sync_schema|rescan_values)$/, 'no body'],
  ['PUT', /^\/api\/table\/\d+$/, 'table update'],
  ['PUT', /^\/api\/field\/\d+$/, 'field update'],
  ['POST', /^\/api\/collection$/, 'collection create'],
  ['PUT', /^\/api\/collection\/graph$/, 'collection graph update'],
  ['PUT', /^\/api\/collection\/\d+$/, 'collection update'],
  ['POST', /^\/api\/permissions\/group$/, 'group create'],
  ['POST', /^\/api\/permissions\/membership$/, 'membership create'],
  ['POST', /^\/api\/card$/, 'card create'],
  ['PUT', /^\/api\/card\/\d+$/, 'card update'],
  ['POST', /^\/api\/dashboard$/, 'dashboard create'],
  ['PUT', /^\/api\/dashboard\/\d+$/, 'dashboard update'],
  ['POST', /^\/api\/pulse$/, 'subscription create'],
  ['PUT', /^\/api\/pulse\/\d+$/, 'subscription update'],
  ['POST', /^\/api\/notification$/, 'alert create'],
  ['PUT', /^\/api\/notification\/\d+$/, 'alert update'],
];

/**
 * Where the server is known to answer differently from the CLI's pre-flight schema, the fake follows
 * the server, and says which file shows it.
 */
const RELAXED: Record<string, (schema: Record<string, unknown>) => void> = {
  // A pulse channel without `enabled` is not a 400 on the server: the channel insert asserts it and
  // the request ends in a 500 (pulse/models/pulse_channel.clj); the route reproduces that.
  'subscription create': (schema) => dropRequired(schema, ['properties', 'channels', 'items'], 'enabled'),
  'subscription update': (schema) => dropRequired(schema, ['properties', 'channels', 'items'], 'enabled'),
};

function dropRequired(schema: Record<string, unknown>, path: string[], key: string): void {
  const node = path.reduce<Record<string, unknown> | undefined>((n, k) => n?.[k] as Record<string, unknown> | undefined, schema);
  if (!node || !Array.isArray(node.required)) throw new Error(`fake Metabase: the schema no longer has ${path.join('.')}.required: review RELAXED`);
  node.required = node.required.filter((k) => k !== key);
}

let compiled: { body: Map<string, ValidateFunction>; query: ValidateFunction } | undefined;

function validators(): NonNullable<typeof compiled> {
  if (compiled) return compiled;
  const schemas = loadMetabaseSchemas();
  // The same options the CLI validates with.
  const ajv = new Ajv2020({ allErrors: true, strict: false, strictTuples: false, allowUnionTypes: true });
  addFormats(ajv);
  for (const [name, schema] of Object.entries(schemas.mbql.defs)) ajv.addSchema(schema, name);
  ajv.addSchema(schemas.mbql.schema, 'query.yaml');
  const body = new Map<string, ValidateFunction>();
  for (const [name, schema] of Object.entries({ ...schemas.commands, ...HAND_WRITTEN })) {
    const { $schema: _ignored, ...rest } = structuredClone(schema) as Record<string, unknown>;
    RELAXED[name]?.(rest);
    body.set(name, ajv.compile(rest));
  }
  compiled = { body, query: ajv.getSchema('query.yaml')! };
  return compiled;
}

/**
 * Compiles the request schemas now rather than on the first write (~0.5 s): a running Metabase has
 * long compiled its own, and the bench must not count the fake's start-up in mb-sync's first apply.
 */
export function warmValidators(): void {
  validators();
}

/** Checks one request body; throws the 400 Metabase would answer. */
export function validateRequest(method: string, path: string, body: unknown): void {
  if (method === 'GET') return;
  const entry = REQUEST_SCHEMAS.find(([m, p]) => m === method && p.test(path));
  if (!entry) throw new HttpError({ status: 500, json: { message: `fake Metabase: no request schema for ${method} ${path}: add one to REQUEST_SCHEMAS` } });
  const { body: schemas, query } = validators();
  const check = schemas.get(entry[2])!;
  const issues: Issue[] = [];
  if (!check(body)) issues.push(...leafErrors(check.errors!).map((e) => toIssue(e, [])));
  const datasetQuery = (body as { dataset_query?: unknown } | null)?.dataset_query;
  if (entry[2].startsWith('card ') && isMbql5(datasetQuery) && !query(datasetQuery)) {
    issues.push(...leafErrors(query.errors!).map((e) => toIssue(e, ['dataset_query'])));
  }
  if (issues.length > 0) throw refusal(issues);
}

function isMbql5(query: unknown): boolean {
  return typeof query === 'object' && query !== null && (query as Record<string, unknown>)['lib/type'] === 'mbql/query';
}

/** "must match then schema" and friends only repeat what the errors under them say. */
function leafErrors(errors: ErrorObject[]): ErrorObject[] {
  const leaves = errors.filter((e) => e.keyword !== 'if' && e.keyword !== 'anyOf' && e.keyword !== 'allOf');
  return leaves.length > 0 ? leaves : errors;
}

function toIssue(error: ErrorObject, prefix: Array<string | number>): Issue {
  const segments = error.instancePath === '' ? [] : error.instancePath.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const path = [...prefix, ...segments.map((s) => (/^\d+$/.test(s) ? Number(s) : s))];
  // A missing key is reported at that key, as malli does.
  if (error.keyword === 'required') return { path: [...path, (error.params as { missingProperty: string }).missingProperty], message: 'missing required key' };
  return { path, message: error.message ?? 'invalid' };
}

