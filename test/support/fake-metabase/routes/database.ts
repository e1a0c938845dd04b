import { HttpError, invalid, nonBlank, ok, oneOf, pick, type Request } from '../http.ts';
import { notFound, type Route, type ServerContext } from '../router.ts';
import { nextId, now, type FakeState, type Row } from '../state.ts';

const REDACTED = '**MetabasePass**';
const SECRET_KEYS = ['password', 'tunnel-pass', 'tunnel-private-key', 'ssl-key-value'];
const SCHEDULE_TYPES = ['hourly', 'daily', 'weekly', 'monthly'];
const TABLE_VISIBILITY = [null, 'hidden', 'technical', 'cruft'];
const FIELD_VISIBILITY = ['normal', 'details-only', 'sensitive', 'hidden', 'retired'];
const HAS_FIELD_VALUES = ['list', 'search', 'none', 'auto-list'];

/**
 * The schedules Metabase keeps: what was sent only when the connection lets the user control
 * scheduling (`details.let-user-control-scheduling`); otherwise its own choice, on create and on
 * every update that sends schedules (infer-db-schedules, warehouses/models/database.clj).
 */
function chosenSchedules(details: unknown, sent: unknown, current: unknown): Record<string, unknown> {
  if ((details as Record<string, unknown> | undefined)?.['let-user-control-scheduling'] === true && sent) return sent as Record<string, unknown>;
  if (current) return current as Record<string, unknown>;
  return { metadata_sync: { schedule_type: 'hourly', schedule_minute: 17 }, cache_field_values: { schedule_type: 'daily', schedule_hour: 4, schedule_minute: 17 } };
}

/** A stored `auto-list` reads back as `list` (infer-has-field-values, warehouse_schema/models/field.clj). */
function readField(field: Row): Row {
  return field.has_field_values === 'auto-list' ? { ...field, has_field_values: 'list' } : field;
}

export function databaseRoutes(state: FakeState, ctx: ServerContext): Route[] {
  const get = (id: string): Row => {
    const db = state.databases.get(Number(id));
    if (!db) throw notFound(ctx);
    return db;
  };
  const superuser = (req: Request) => {
    if (!state.users.find((u) => u.id === req.userId)?.is_superuser) throw new HttpError({ status: 403, text: "You don't have permissions to do that." });
  };
  /** The connection is tested synchronously, against what the catalog says the server holds. */
  const testConnection = (details: Record<string, unknown>) => {
    const entry = ctx.catalog[`${String(details.host)}/${String(details.dbname)}`];
    if (!entry) throw new HttpError({ status: 400, json: { message: `Couldn't connect to ${String(details.host)}:${String(details.port ?? 5432)}: connection refused or database does not exist.`, errors: { host: 'check your host settings', dbname: 'check your database name' } } });
    if (entry.password !== undefined && entry.password !== details.password) {
      throw new HttpError({ status: 400, json: { message: `FATAL: password authentication failed for user "${String(details.user)}"`, errors: { password: 'check your password' } } });
    }
  };
  const redact = (db: Row) => {
    const details = { ...(db.details as Record<string, unknown>) };
    for (const key of SECRET_KEYS) if (details[key] !== undefined && details[key] !== null) details[key] = REDACTED;
    return { ...db, details };
  };
  const validateSchedules = (schedules: unknown, errors: Record<string, string>) => {
    for (const [name, s] of Object.entries((schedules ?? {}) as Record<string, Record<string, unknown>>)) {
      if (!SCHEDULE_TYPES.includes(s?.schedule_type as string)) errors[`schedules.${name}.schedule_type`] = `value must be one of: ${SCHEDULE_TYPES.join(', ')}.`;
    }
  };
  /** Reads advance a pending sync: after `syncPolls` reads the catalog's tables are there. */
  const tick = (db: Row) => {
    const left = state.pendingSync.get(db.id);
    if (left === undefined) return;
    if (left > 1) {
      state.pendingSync.set(db.id, left - 1);
      return;
    }
    state.pendingSync.delete(db.id);
    runSync(state, ctx, db);
  };
  const metadataOf = (db: Row, includeHidden: boolean) => ({
    ...redact(db),
    tables: [...state.tables.values()]
      .filter((t) => t.db_id === db.id && t.active !== false && (includeHidden || t.visibility_type === null))
      .map((t) => ({ ...t, fields: [...state.fields.values()].filter((f) => f.table_id === t.id).sort((a, b) => (a.position as number) - (b.position as number)).map(readField) })),
  });

  return [
    ['GET', /^\/api\/database$/, () => {
      // The list never expands `schedules`: only GET /api/database/:id does (warehouses_rest/api.clj).
      const data = [...state.databases.values()].map(redact).map((db) => Object.fromEntries(Object.entries(db).filter(([k]) => k !== 'schedules')));
      return ok({ data, total: data.length });
    }],
    ['POST', /^\/api\/database$/, (req) => {
      superuser(req);
      const errors: Record<string, string> = {};
      nonBlank(req.body, 'name', errors);
      nonBlank(req.body, 'engine', errors);
      if (typeof req.body.details !== 'object' || req.body.details === null) errors.details = 'value must be a map.';
      if (req.body.is_stub === true) errors.is_stub = 'value must be false.';
      validateSchedules(req.body.schedules, errors);
      if (Object.keys(errors).length) throw invalid(errors);
      if (req.body.engine !== 'postgres') throw new HttpError({ status: 400, json: { message: `Invalid engine: ${String(req.body.engine)}` } });
      testConnection(req.body.details as Record<string, unknown>);
      const db: Row = {
        id: nextId(),
        ...pick(req.body, ['name', 'engine', 'details', 'is_full_sync', 'is_on_demand', 'schedules', 'auto_run_queries', 'description']),
        is_full_sync: req.body.is_full_sync ?? true,
        is_on_demand: req.body.is_on_demand ?? false,
        schedules: chosenSchedules(req.body.details, req.body.schedules, undefined),
        initial_sync_status: 'incomplete',
        is_sample: false,
        is_audit: false,
        features: ['basic-aggregations', 'native-parameters'],
        settings: {},
        created_at: now(),
        updated_at: now(),
      };
      state.databases.set(db.id, db);
      state.pendingSync.set(db.id, ctx.syncPolls);
      return ok(redact(db));
    }],
    ['GET', /^\/api\/database\/(\d+)$/, (req) => {
      const db = get(req.params[0]!);
      tick(db);
      return ok(redact(db));
    }],
    ['PUT', /^\/api\/database\/(\d+)$/, (req) => {
      superuser(req);
      const db = get(req.params[0]!);
      const errors: Record<string, string> = {};
      if (req.body.name !== undefined) nonBlank(req.body, 'name', errors);
      validateSchedules(req.body.schedules, errors);
      if (Object.keys(errors).length) throw invalid(errors);
      const changes = pick(req.body, ['name', 'engine', 'details', 'is_full_sync', 'is_on_demand', 'schedules', 'auto_run_queries', 'description', 'caveats', 'points_of_interest', 'settings']);
      if (changes.details) {
        // details are merged; the redaction placeholder keeps the stored secret.
        const merged = { ...(db.details as Record<string, unknown>) };
        for (const [k, v] of Object.entries(changes.details as Record<string, unknown>)) if (v !== REDACTED) merged[k] = v;
        testConnection(merged);
        changes.details = merged;
      }
      if (changes.settings) changes.settings = { ...(db.settings as object), ...(changes.settings as object) };
      if (changes.schedules !== undefined) changes.schedules = chosenSchedules((changes.details ?? db.details) as Record<string, unknown>, changes.schedules, db.schedules);
      Object.assign(db, changes, { updated_at: now() });
      return ok(redact(db));
    }],
    ['GET', /^\/api\/database\/(\d+)\/metadata$/, (req) => {
      const db = get(req.params[0]!);
      tick(db);
      return ok(metadataOf(db, req.query.get('include_hidden') === 'true'));
    }],
    ['POST', /^\/api\/database\/(\d+)\/sync_schema$/, (req) => {
      superuser(req);
      const db = get(req.params[0]!);
      testConnection(db.details as Record<string, unknown>);
      state.pendingSync.set(db.id, ctx.syncPolls);
      return ok({ status: 'ok' });
    }],
    ['POST', /^\/api\/database\/(\d+)\/rescan_values$/, (req) => {
      superuser(req);
      get(req.params[0]!);
      return ok({ status: 'ok' });
    }],
    ['PUT', /^\/api\/table\/(\d+)$/, (req) => {
      const table = state.tables.get(Number(req.params[0]));
      if (!table) throw notFound(ctx);
      const errors: Record<string, string> = {};
      oneOf(req.body, 'visibility_type', TABLE_VISIBILITY, errors);
      if (Object.keys(errors).length) throw invalid(errors);
      Object.assign(table, pick(req.body, ['display_name', 'description', 'caveats', 'points_of_interest', 'entity_type', 'visibility_type', 'show_in_getting_started', 'field_order']), { updated_at: now() });
      return ok(table);
    }],
    ['PUT', /^\/api\/field\/(\d+)$/, (req) => {
      const field = state.fields.get(Number(req.params[0]));
      if (!field) throw notFound(ctx);
      const errors: Record<string, string> = {};
      oneOf(req.body, 'visibility_type', FIELD_VISIBILITY, errors);
      oneOf(req.body, 'has_field_values', HAS_FIELD_VALUES, errors);
      if (req.body.semantic_type !== undefined && req.body.semantic_type !== null && !/^type\/\w+$/.test(String(req.body.semantic_type))) errors.semantic_type = 'value must be a valid semantic type.';
      if (req.body.display_name !== undefined && (typeof req.body.display_name !== 'string' || req.body.display_name.trim() === '')) errors.display_name = 'value must be a non-blank string.';
      if (Object.keys(errors).length) throw invalid(errors);
      Object.assign(field, pick(req.body, ['display_name', 'description', 'caveats', 'points_of_interest', 'semantic_type', 'fk_target_field_id', 'visibility_type', 'has_field_values', 'coercion_strategy', 'settings']), { updated_at: now() });
      return ok(field);
    }],
  ];
}

/** Discovers the catalog's tables in the synced schemas (inclusion filter), keeping existing ids. */
export function runSync(state: FakeState, ctx: ServerContext, db: Row): void {
  const details = db.details as Record<string, unknown>;
  const entry = ctx.catalog[`${String(details.host)}/${String(details.dbname)}`];
  if (!entry) return;
  const patterns = details['schema-filters-type'] === 'inclusion' ? String(details['schema-filters-patterns'] ?? '').split(',').map((s) => s.trim()) : null;
  for (const source of entry.tables) {
    if (patterns && !patterns.includes(source.schema)) continue;
    let table = [...state.tables.values()].find((t) => t.db_id === db.id && t.schema === source.schema && t.name === source.name);
    if (!table) {
      table = { id: nextId(), db_id: db.id, schema: source.schema, name: source.name, display_name: humanize(source.name), description: null, entity_type: 'entity/GenericTable', visibility_type: null, active: true };
      state.tables.set(table.id, table);
    }
    source.columns.forEach((column, position) => {
      const exists = [...state.fields.values()].some((f) => f.table_id === table!.id && f.name === column.name);
      if (exists) return;
      const field: Row = {
        id: nextId(), table_id: table!.id, name: column.name, display_name: humanize(column.name), base_type: column.base_type, effective_type: column.base_type,
        database_type: column.database_type, semantic_type: null, visibility_type: 'normal', has_field_values: 'auto-list', description: null, position, fk_target_field_id: null,
      };
      state.fields.set(field.id, field);
    });
  }
  db.initial_sync_status = 'complete';
}

function humanize(name: string): string {
  return name.replace(/^vw_/, '').replace(/_/g, ' ').replace(/\b\w/g, (c) => c.toUpperCase());
}
