import { pollUntil } from './poll.ts';
import type { DatabaseConfigT } from '../model/project.ts';
import { MbSyncError } from '../core/errors.ts';
import type { Project } from '../core/project.ts';
import { parseRef } from '../core/refs.ts';
import { DIGEST_KEY, secretDigest, warmSecretDigest } from '../core/secret-digest.ts';
import type { MetabaseApi } from '../metabase/types.ts';
import { Shapes } from '../metabase/shapes.ts';
import { createOnce } from './create-once.ts';
import { DATA_PERMISSION_ROWS, oneAtATime, runState, type ApplyContext, type ReadContext, type ResourceHandler } from './types.ts';

interface DatabaseBody {
  name: string;
  engine: string;
  details: Record<string, unknown>;
  is_full_sync: boolean;
  schedules: Record<string, { schedule_type: string }>;
}

export interface LiveTable {
  id: number;
  schema: string;
  name: string;
  display_name: string;
  description: string | null;
  visibility_type: string | null;
  fields: Array<Record<string, unknown> & { id: number; name: string }>;
}
export interface LiveDatabase {
  database: Record<string, unknown> & { id: number; name: string; details: Record<string, unknown> };
  tables: LiveTable[];
}

const SCHEDULE_FIELDS = { hourly: { schedule_minute: 0 }, daily: { schedule_hour: 3, schedule_minute: 0 }, weekly: { schedule_day: 'sun', schedule_hour: 3, schedule_minute: 0 } } as const;
/** Whether the connection changed during this apply: then its metadata must be synced again. */
const touched = (ctx: ApplyContext) => runState(ctx, 'database.touched', () => ({ value: false }));

function desiredBody(project: Project): DatabaseBody {
  const db = project.config.database;
  return {
    name: db.name,
    engine: db.engine,
    details: {
      host: db.host,
      port: db.port,
      dbname: db.dbname,
      user: db.user,
      ssl: db.ssl,
      'schema-filters-type': 'inclusion',
      'schema-filters-patterns': db.schemas.join(','),
      // Without it Metabase replaces the schedules with its own on every save (infer-db-schedules,
      // warehouses/models/database.clj) and `sync:` in the config would be silently ignored.
      'let-user-control-scheduling': true,
      [DIGEST_KEY]: secretDigest(db.password, `${project.config.project}/${db.key}`),
    },
    is_full_sync: true,
    schedules: { metadata_sync: { schedule_type: db.sync.metadata }, cache_field_values: { schedule_type: db.sync.field_values } },
  };
}

function requestBody(body: DatabaseBody, db: DatabaseConfigT, withPassword: boolean): Record<string, unknown> {
  const schedules = Object.fromEntries(Object.entries(body.schedules).map(([k, s]) => [k, { schedule_type: s.schedule_type, ...SCHEDULE_FIELDS[s.schedule_type as keyof typeof SCHEDULE_FIELDS] }]));
  return { ...body, schedules, details: withPassword ? { ...body.details, password: db.password } : body.details };
}

/** The Metabase database connection (the read-only role), its sync, and the table/field ids. */
export const databaseHandler: ResourceHandler<DatabaseBody, LiveDatabase> = {
  kind: 'database',
  dependsOn: [],
  desired: (project) => [{ key: project.config.database.key, body: desiredBody(project) }],
  // The password's digest (scrypt, ~50 ms of CPU by design) is worked out on libuv's thread pool.
  warm: (project) => warmSecretDigest(project.config.database.password, `${project.config.project}/${project.config.database.key}`),
  async read(ctx) {
    const { key, name } = ctx.project.config.database;
    const list = await ctx.api.get<{ data: LiveDatabase['database'][] }>('/api/database', { schema: Shapes.databases });
    const listed = list.data.find((d) => d.name === name);
    if (!listed) return [];
    ctx.refs.set('database', key, listed.id);
    // The list leaves `schedules` out: only the database's own GET has them.
    const [database, tables] = await Promise.all([ctx.api.get<LiveDatabase['database']>(`/api/database/${listed.id}`, { schema: Shapes.database }), readMetadata(ctx.api, listed.id, ctx)]);
    return [{ key, id: database.id, raw: { database, tables }, managed: true }];
  },
  normalize(live) {
    const { database } = live.raw;
    const details = database.details ?? {};
    const schedules = (database.schedules ?? {}) as Record<string, { schedule_type?: string } | null>;
    return {
      name: database.name,
      engine: database.engine as string,
      details: {
        host: details.host,
        port: details.port,
        dbname: details.dbname,
        user: details.user,
        ssl: details.ssl ?? false,
        'schema-filters-type': details['schema-filters-type'] ?? 'all',
        'schema-filters-patterns': details['schema-filters-patterns'] ?? null,
        'let-user-control-scheduling': details['let-user-control-scheduling'] ?? false,
        [DIGEST_KEY]: details[DIGEST_KEY] ?? '(unknown: set by hand)',
      },
      is_full_sync: (database.is_full_sync as boolean | undefined) ?? true,
      schedules: Object.fromEntries(Object.entries(schedules).filter(([, s]) => s?.schedule_type).map(([k, s]) => [k, { schedule_type: s!.schedule_type! }])),
    };
  },
  async create(desired, ctx) {
    // Not alongside a group's create (DATA_PERMISSION_ROWS): each fills the data permissions of the other's kind.
    const created = await oneAtATime(ctx, DATA_PERMISSION_ROWS, () => createOnce(
      () => ctx.api.post<{ id: number }>('/api/database', requestBody(desired.body, ctx.project.config.database, true), { schema: Shapes.item }),
      async () => (await ctx.api.get<{ data: Array<{ id: number; name: string }> }>('/api/database', { schema: Shapes.databases })).data.find((d) => d.name === desired.body.name),
    ));
    ctx.refs.set('database', desired.key, created.id);
    touched(ctx).value = true;
    return created.id;
  },
  async update(desired, live, ctx) {
    const current = this.normalize(live, ctx.refs);
    const passwordChanged = current.details[DIGEST_KEY] !== desired.body.details[DIGEST_KEY];
    await ctx.api.put(`/api/database/${live.id}`, requestBody(desired.body, ctx.project.config.database, passwordChanged));
    touched(ctx).value = true;
  },
  async afterStage(ctx) {
    const { key } = ctx.project.config.database;
    const id = ctx.refs.id('database', key) as number | undefined;
    if (id === undefined) return;
    await waitForTables(ctx, id, touched(ctx).value);
  },
};

/** Table and field ids by name: `table:analytics.vw_x`, `field:analytics.vw_x.col`. */
export async function readMetadata(api: MetabaseApi, id: number, ctx: Pick<ReadContext, 'refs'>): Promise<LiveTable[]> {
  // include_hidden: a table hidden by mb-sync's own metadata must still be found.
  const metadata = await api.get<{ tables?: LiveTable[] }>(`/api/database/${id}/metadata`, { params: { include_hidden: true }, schema: Shapes.metadata });
  const tables = metadata.tables ?? [];
  for (const table of tables) {
    ctx.refs.set('table', `${table.schema}.${table.name}`, table.id);
    for (const field of table.fields ?? []) ctx.refs.set('field', `${table.schema}.${table.name}.${field.name}`, field.id);
  }
  return tables;
}

/**
 * After the connection is created or changed, or when the plan refers to tables and fields
 * Metabase does not know yet: sync, then poll the metadata until every one of them exists.
 * `initial_sync_status` only tracks the first sync, so later syncs are followed by the names.
 */
async function waitForTables(ctx: ApplyContext, id: number, changed: boolean): Promise<void> {
  const wanted = [...ctx.wantedRefs].filter((r) => r.startsWith('table:') || r.startsWith('field:')).map((r) => parseRef({ $ref: r }));
  const missing = () => wanted.filter(({ kind, name }) => !ctx.refs.has(kind, name)).map(({ kind, name }) => `${kind} ${name}`);
  if (!changed && missing().length === 0) return;
  const timeoutMs = ctx.project.config.database.sync.timeout_seconds * 1000;
  // Starting a sync twice is harmless: safe to retry.
  await ctx.api.post(`/api/database/${id}/sync_schema`, {}, { idempotent: true });
  ctx.emit({ type: 'info', message: `database.${ctx.project.config.database.key}: metadata sync started` });
  let left = missing();
  try {
    // A small schema syncs in a second or two: polled soon, then less often.
    await pollUntil(ctx, {
      firstWaitMs: 100,
      timeoutMs,
      check: async () => {
        const database = await ctx.api.get<{ initial_sync_status?: string }>(`/api/database/${id}`, { schema: Shapes.database });
        await readMetadata(ctx.api, id, ctx);
        left = missing();
        return left.length === 0 && database.initial_sync_status !== 'incomplete' ? true : undefined;
      },
      waiting: (elapsed) => ctx.progress(`waiting for the sync: ${left.length} table(s)/field(s) still missing (${Math.round(elapsed / 1000)} s)`),
      timedOut: () => new MbSyncError('SYNC_TIMEOUT', `Metabase's sync did not find ${left.length} expected object(s) after ${Math.round(timeoutMs / 1000)} s:\n${left.map((m) => `  ${m}`).join('\n')}`, {
        hint: 'check that `mb-sync db apply` created the views, that the schema filter includes their schema, and that the read-only role can see them (`mb-sync db verify`)',
      }),
    });
  } finally {
    // Groups and collections may still be written: the status line shows them, not a finished wait.
    ctx.progress(undefined);
  }
  ctx.emit({ type: 'info', message: `database.${ctx.project.config.database.key}: metadata ready` });
}
