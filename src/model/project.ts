import { z } from 'zod';
import { Card } from './card.ts';
import { Key, NonBlank, Recipient, Schedule, TableName } from './common.ts';

const Auth = z.union([
  z.object({ api_key: NonBlank }).strict(),
  z.object({ username: NonBlank, password: NonBlank }).strict(),
]);

export const Environment = z
  .object({
    url: z.string().url(),
    auth: Auth.optional().describe('or MB_API_KEY / MB_USERNAME + MB_PASSWORD'),
    api_key_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name, e.g. MB_STAGING_API_KEY').optional()
      .describe('the variable holding this environment\'s API key, so one shell can hold the keys of several (default MB_API_KEY)'),
  })
  .strict();

const SyncSchedule = z.enum(['hourly', 'daily', 'weekly']);

const FieldMetadata = z
  .object({
    display_name: NonBlank.optional(),
    description: NonBlank.optional(),
    semantic_type: z.string().regex(/^type\/\w+$/).nullable().optional(),
    visibility: z.enum(['normal', 'details-only', 'sensitive', 'hidden', 'retired']).optional(),
    values: z.enum(['list', 'search', 'none', 'auto-list']).optional().describe('has_field_values: list for filter dropdowns'),
  })
  .strict();

const TableMetadata = z
  .object({
    display_name: NonBlank.optional(),
    description: NonBlank.optional(),
    visibility: z.enum(['visible', 'hidden', 'technical', 'cruft']).optional(),
    columns: z.record(z.string(), FieldMetadata).default({}),
  })
  .strict();

export const DatabaseConfig = z
  .object({
    key: Key,
    name: NonBlank,
    engine: z.literal('postgres').default('postgres'),
    host: NonBlank,
    port: z.coerce.number().int().positive().default(5432),
    dbname: NonBlank,
    user: NonBlank,
    password: NonBlank.describe('use ${VAR}: never write a password in this file'),
    ssl: z.boolean().default(false),
    schemas: z.array(NonBlank).min(1).describe('only these schemas are synced (inclusion filter)'),
    sync: z
      .object({ metadata: SyncSchedule.default('hourly'), field_values: SyncSchedule.default('daily'), timeout_seconds: z.number().int().positive().default(300) })
      .strict()
      .default({ metadata: 'hourly', field_values: 'daily', timeout_seconds: 300 }),
    tables: z.record(TableName, TableMetadata).default({}).describe('table and column metadata by schema.table'),
  })
  .strict();

export type CollectionNode = { key: string; name: string; description?: string; children?: CollectionNode[] };
export const Collection: z.ZodType<CollectionNode> = z.lazy(() =>
  z
    .object({
      key: Key,
      name: NonBlank,
      description: NonBlank.optional(),
      children: z.array(Collection).optional(),
    })
    .strict(),
);

export const Alert = z
  .object({
    key: Key,
    card: Key.describe('a card (models/ or alerts card) that returns rows only when the alert should fire'),
    schedule: Schedule,
    to: z.array(Recipient).min(1),
    send_once: z.boolean().default(false),
  })
  .strict();

export const PostgresConfig = z
  .object({
    url: z.string().optional().describe('admin connection; DATABASE_URL overrides it'),
    schema: z.string().regex(/^[a-z_][a-z0-9_]*$/, 'a plain lower-case identifier, e.g. analytics').default('analytics')
      .describe('the schema of the views: db apply runs <sql_dir>/<schema>/*.sql, validate compiles cards against them'),
    sql_dir: NonBlank.default('sql').describe('the folder of the project\'s SQL, relative to this file: <schema>/ views, roles/ the read-only role, app/ the app tables, checks/'),
    readonly_role: z.string().regex(/^[a-z_][a-z0-9_]*$/, 'a plain lower-case identifier (letters, digits, _), e.g. phoenix_analytics_ro').optional()
      .describe('the role db apply makes read-only; by default database.user, the role Metabase connects as'),
    readonly_password_env: NonBlank.optional()
      .describe('the variable holding its password; by default the one database.password names (${VAR})'),
    timezone: NonBlank.default('UTC'),
    lock_timeout_seconds: z.number().positive().default(5)
      .describe('how long db plan and db apply wait for a lock (a view they replace, while a long query reads it) before giving up, naming the view and who holds it'),
    retention_months: z.number().int().positive().default(12),
    retention_table: z.string().regex(/^([A-Za-z_][\w]*\.)?[A-Za-z_][\w]*$/, 'a table as name or schema.name').optional()
      .describe('the event table `db purge` trims'),
    retention_column: z.string().regex(/^[A-Za-z_][\w]*$/, 'a column name').optional().describe('its timestamp column'),
    readable_tables: z.array(z.string().regex(/^([A-Za-z_][\w]*\.)?[A-Za-z_][\w]*$/, 'a table as name or schema.name')).default([])
      .describe('app tables the read-only role may read besides the analytics views; everything else it holds is revoked'),
  })
  .strict();

export const ProjectConfig = z
  .object({
    $schema: z.string().optional(),
    project: Key.describe('namespace of this project: part of every derived identity, never change it'),
    default_environment: Key.optional(),
    environments: z.record(Key, Environment),
    postgres: PostgresConfig.prefault({}),
    database: DatabaseConfig,
    collections: z.array(Collection).default([]),
    groups: z.array(z.object({ key: Key, name: NonBlank }).strict()).default([]),
    permissions: z
      .array(z.object({ group: Key, collection: Key, access: z.enum(['read', 'write', 'none']) }).strict())
      .default([]),
    recipients: z.record(Key, z.array(Recipient).min(1)).default({}).describe('named recipient lists (list:<name>)'),
    require_email: z.boolean().default(true).describe('refuse to create alerts/subscriptions when Metabase has no SMTP'),
    concurrency: z.number().int().min(1).max(64).default(8).describe('requests in flight at once (reads and independent writes); --concurrency wins'),
    cards: z.array(Card).default([]).describe('cards not placed on a dashboard, e.g. the cards alerts run'),
    alerts: z.array(Alert).default([]),
  })
  .strict();

export type ProjectConfigT = z.infer<typeof ProjectConfig>;
export type DatabaseConfigT = z.infer<typeof DatabaseConfig>;
export type PostgresConfigT = z.infer<typeof PostgresConfig>;
export type AlertT = z.infer<typeof Alert>;
