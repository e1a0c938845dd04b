import { MbSyncError } from '../core/errors.ts';
import { registerSecret } from '../core/secrets.ts';
import { lineAt, type PgError, type SqlRunner } from './runner.ts';
import { scramMatches, scramVerifier } from './scram.ts';
import { diffSnapshots, takeSnapshot } from './snapshot.ts';
import { definesTimezoneFunction, roleFile, viewFiles, type SqlFile, type SqlLayout } from './sql-files.ts';

export interface AnalyticsOptions {
  role: string;
  password: string;
  timezone: string;
  /** App tables the role may read besides the views (`schema.table` or `table` in public). */
  readableTables: string[];
  /** `db plan`: do everything in the transaction, report it, and roll it back. */
  dryRun?: boolean;
  /** The project's SQL folder and views schema (postgres.sql_dir, postgres.schema). */
  sql: SqlLayout;
}

export interface ApplyReport {
  views: string[];
  roleCreated: boolean;
  timezone: string;
  /** What changed (or, for a dry run, would change): `+ view …`, `- grant (revoked) …`. */
  changes: string[];
  password: 'set' | 'unchanged';
  applied: boolean;
}

/**
 * The views and the read-only role in one transaction: everything or nothing. Views are replaced in
 * place, and dropped only when their columns change and nothing but mb-sync's own views depends on
 * them. The role ends with exactly the privileges the config names: whatever else it holds
 * (memberships, database or schema privileges, grants elsewhere) is revoked and listed. The password
 * is set only when it changed, as a SCRAM verifier: the password itself is never sent.
 */
export async function applyAnalytics(db: SqlRunner, options: AnalyticsOptions): Promise<ApplyReport> {
  if (!/^[a-z_][a-z0-9_]*$/.test(options.role)) {
    throw new MbSyncError('CONFIG_INVALID', `postgres.readonly_role "${options.role}" must be a plain lower-case identifier`);
  }
  registerSecret(options.password);
  const layout = options.sql;
  const schema = layout.schema;
  const views = await viewFiles(layout);
  const { file: role, writtenAs } = await roleFile(layout, options.role);
  // The role file is written for one name (its own) and deployed under the configured one.
  role.text = role.text.replaceAll(writtenAs, options.role);
  const readable = options.readableTables;

  await db.exec('BEGIN');
  try {
    await checkTimezone(db, options.timezone);
    await refuseAdminRole(db, options.role);
    const before = await takeSnapshot(db, options.role, schema);
    const managed = new Set(views.flatMap(viewsOf));
    for (const file of views) await replaceViews(db, file, managed);
    if (definesTimezoneFunction(views, schema)) {
      const { rows: tzSql } = await db.query<{ sql: string }>(
        "SELECT format('CREATE OR REPLACE FUNCTION %I.analytics_timezone() RETURNS text LANGUAGE sql IMMUTABLE AS %L', $2::text, 'SELECT ' || quote_literal($1::text) || '::text') AS sql",
        [options.timezone, schema],
      );
      await db.exec(tzSql[0]!.sql);
    }
    await runFile(db, role);
    await grantTables(db, options.role, readable);
    await revokeTheRest(db, options.role, readable, schema);
    const password = await setPassword(db, options.role, options.password, options.dryRun === true);
    const after = await takeSnapshot(db, options.role, schema);
    const changes = [...diffSnapshots(before, after, options.role), ...(password === 'set' ? [`~ role ${options.role}: password ${before.roleExists ? 'rotated' : 'set'}`] : [])];
    await db.exec(options.dryRun ? 'ROLLBACK' : 'COMMIT');
    return { views: Object.keys(after.views).map((v) => v.slice(schema.length + 1)), roleCreated: !before.roleExists, timezone: options.timezone, changes, password, applied: !options.dryRun };
  } catch (error) {
    await db.exec('ROLLBACK').catch(() => {});
    throw error;
  }
}

/**
 * The role is revoked everything and given a new password: never the admin connection's own role,
 * nor a superuser (the role defaults to database.user, which someone may have pointed at either).
 */
async function refuseAdminRole(db: SqlRunner, role: string): Promise<void> {
  const { rows } = await db.query<{ me: string; superuser: boolean | null }>('SELECT current_user AS me, (SELECT rolsuper FROM pg_roles WHERE rolname = $1) AS superuser', [role]);
  const why = rows[0]?.me === role ? 'the role of the admin connection itself' : rows[0]?.superuser ? 'a superuser' : undefined;
  if (why !== undefined) {
    throw new MbSyncError('CONFIG_INVALID', `refusing to make ${role} read-only: it is ${why}`, { hint: 'give Metabase a role of its own (postgres.readonly_role and database.user), e.g. app_analytics_ro' });
  }
}

async function checkTimezone(db: SqlRunner, timezone: string): Promise<void> {
  const { rows } = await db.query<{ ok: boolean }>('SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = $1) AS ok', [timezone]);
  if (!rows[0]?.ok) throw new MbSyncError('CONFIG_INVALID', `postgres.timezone "${timezone}" is not a timezone PostgreSQL knows (e.g. Europe/Paris)`);
}

/** View names the file defines (`CREATE OR REPLACE VIEW analytics.x`): the only views mb-sync may drop. */
function viewsOf(file: SqlFile): string[] {
  return [...file.text.matchAll(/CREATE\s+OR\s+REPLACE\s+VIEW\s+([\w.]+)/gi)].map((m) => m[1]!.toLowerCase());
}

/**
 * Runs the views file. A view whose columns changed in a way CREATE OR REPLACE cannot do (a column
 * removed, renamed or retyped) is dropped and made again — with mb-sync's own views that depend on
 * it — but never when anything else depends on it: then nothing is applied and the dependents are named.
 */
async function replaceViews(db: SqlRunner, file: SqlFile, managed: Set<string>): Promise<void> {
  for (let attempt = 0; attempt <= managed.size; attempt++) {
    await db.exec('SAVEPOINT mb_sync_views');
    try {
      await runFile(db, file);
      await db.exec('RELEASE SAVEPOINT mb_sync_views');
      return;
    } catch (error) {
      await db.exec('ROLLBACK TO SAVEPOINT mb_sync_views');
      const cause = (error as { cause?: PgError }).cause;
      if (cause?.code !== '42P16') throw error;
      // Postgres does not say which view (the error has no position): try them one by one.
      const view = viewAt(file, cause.position) ?? (await failingView(db, file));
      if (view === undefined) throw error;
      const dependents = await dependentsOf(db, view);
      const foreign = dependents.filter((d) => !managed.has(d));
      if (foreign.length > 0) {
        throw new MbSyncError('POSTGRES', `${file.name}: the columns of ${view} change (${cause.message}), and these objects depend on it: ${foreign.join(', ')}`, {
          hint: 'nothing was applied. mb-sync never drops what it did not create: drop or adapt those objects, then run db apply again',
        });
      }
      // Dependents first (they are mb-sync's own views, made again by the file), never CASCADE.
      for (const name of [...dependents.reverse(), view]) await db.exec(`DROP VIEW IF EXISTS ${name}`);
    }
  }
}

function viewAt(file: SqlFile, position: string | undefined): string | undefined {
  if (position === undefined) return undefined;
  const upTo = file.text.slice(0, Number(position));
  const names = [...upTo.matchAll(/CREATE\s+OR\s+REPLACE\s+VIEW\s+([\w.]+)/gi)];
  return names.at(-1)?.[1]?.toLowerCase();
}

/** The first view of the file that CREATE OR REPLACE cannot replace (each tried, then undone). */
async function failingView(db: SqlRunner, file: SqlFile): Promise<string | undefined> {
  for (const match of file.text.matchAll(/CREATE\s+OR\s+REPLACE\s+VIEW\s+([\w.]+)\s+AS[\s\S]*?;[ \t]*$/gim)) {
    await db.exec('SAVEPOINT mb_sync_probe');
    try {
      await db.exec(match[0]);
    } catch (error) {
      if ((error as PgError).code === '42P16') {
        await db.exec('ROLLBACK TO SAVEPOINT mb_sync_probe');
        return match[1]!.toLowerCase();
      }
    }
    await db.exec('ROLLBACK TO SAVEPOINT mb_sync_probe');
  }
  return undefined;
}

/** Views and materialized views built on `view`, directly or not, nearest first. */
async function dependentsOf(db: SqlRunner, view: string): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    `WITH RECURSIVE deps(oid, depth) AS (
       SELECT $1::regclass::oid, 0
       UNION
       SELECT rw.ev_class, deps.depth + 1 FROM deps
         JOIN pg_depend d ON d.refobjid = deps.oid AND d.classid = 'pg_rewrite'::regclass
         JOIN pg_rewrite rw ON rw.oid = d.objid
         WHERE rw.ev_class <> deps.oid AND deps.depth < 20)
     SELECT n.nspname || '.' || c.relname AS name FROM deps JOIN pg_class c ON c.oid = deps.oid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE deps.depth > 0 GROUP BY 1 ORDER BY min(deps.depth), 1`, [view]);
  return rows.map((r) => r.name.toLowerCase());
}

function qualified(table: string): [string, string] {
  const dot = table.indexOf('.');
  return dot < 0 ? ['public', table] : [table.slice(0, dot), table.slice(dot + 1)];
}

async function grantTables(db: SqlRunner, role: string, tables: string[]): Promise<void> {
  // A table outside public is reachable only with USAGE on its schema (a shop's `shop.orders`).
  for (const schema of new Set(tables.map((t) => qualified(t)[0]))) {
    const { rows } = await db.query<{ sql: string }>('SELECT format($$GRANT USAGE ON SCHEMA %I TO %I$$, $1::text, $2::text) AS sql', [schema, role]);
    await db.exec(rows[0]!.sql);
  }
  for (const table of tables) {
    const [schema, name] = qualified(table);
    const { rows } = await db.query<{ sql: string }>('SELECT format($$GRANT SELECT ON %I.%I TO %I$$, $1::text, $2::text, $3::text) AS sql', [schema, name, role]);
    await db.exec(rows[0]!.sql);
  }
}

/** Everything the role holds beyond SELECT on the views and the named tables (and what reaching them needs). */
async function revokeTheRest(db: SqlRunner, role: string, tables: string[], schema: string): Promise<void> {
  const readable = new Set(tables.map((t) => qualified(t).join('.')));
  const reachable = new Set([schema, 'public', ...tables.map((t) => qualified(t)[0])]);
  const allowed = (line: string): boolean => {
    if (line === 'database CONNECT') return true;
    const usage = /^schema (\S+) USAGE$/.exec(line);
    if (usage) return reachable.has(usage[1]!);
    if (line.startsWith(`default ${schema} TABLES SELECT`)) return true;
    const table = /^table (\S+)\.(\S+) SELECT$/.exec(line);
    return table !== null && (table[1] === schema || readable.has(`${table[1]}.${table[2]}`));
  };
  const after = await takeSnapshot(db, role, schema);
  const statements: Array<{ sql: string; params: string[] }> = [];
  for (const group of after.memberships) statements.push({ sql: 'SELECT format($$REVOKE %I FROM %I$$, $1::text, $2::text) AS sql', params: [group, role] });
  for (const line of after.privileges.filter((l) => !allowed(l))) {
    const [kind, ...rest] = line.split(' ');
    const privilege = rest.at(-1)!;
    if (kind === 'database') statements.push({ sql: `SELECT format($$REVOKE ${privilege} ON DATABASE %I FROM %I$$, current_database(), $1::text) AS sql`, params: [role] });
    else if (kind === 'schema') statements.push({ sql: `SELECT format($$REVOKE ${privilege} ON SCHEMA %I FROM %I$$, $1::text, $2::text) AS sql`, params: [rest[0]!, role] });
    else if (kind === 'table') statements.push({ sql: `SELECT format($$REVOKE ${privilege} ON %I.%I FROM %I$$, $1::text, $2::text, $3::text) AS sql`, params: [...qualified(rest[0]!), role] });
    else if (kind === 'column') {
      const [schema, table, column] = rest[0]!.split('.') as [string, string, string];
      statements.push({ sql: `SELECT format($$REVOKE ${privilege} (%I) ON %I.%I FROM %I$$, $1::text, $2::text, $3::text, $4::text) AS sql`, params: [column, schema, table, role] });
    } else if (kind === 'function') statements.push({ sql: `SELECT format($$REVOKE ${privilege} ON FUNCTION ${rest.slice(0, -1).join(' ')} FROM %I$$, $1::text) AS sql`, params: [role] });
    else if (kind === 'default') {
      const [target, objects] = rest as [string, string];
      const grantor = /\(by (\S+)\)$/.exec(line)?.[1];
      if (grantor === undefined || target === '*') continue;
      statements.push({ sql: `SELECT format($$ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I REVOKE ${rest[2]} ON ${objects} FROM %I$$, $1::text, $2::text, $3::text) AS sql`, params: [grantor, target, role] });
    }
  }
  for (const statement of statements) {
    const { rows } = await db.query<{ sql: string }>(statement.sql, statement.params);
    await db.exec(rows[0]!.sql);
  }
}

/**
 * Sets the password only when the stored verifier does not already match it: a new verifier has a new
 * salt, so setting it again would change the role for nothing. What is sent is a SCRAM verifier made
 * here, never the password, which a server logging DDL (`log_statement = ddl`) would keep in its log;
 * `db plan` sends neither. Only a superuser reads verifiers (pg_authid): for another admin the
 * password is set every time, and the query is not tried (it would abort the transaction).
 */
async function setPassword(db: SqlRunner, role: string, password: string, dryRun: boolean): Promise<'set' | 'unchanged'> {
  const { rows: readable } = await db.query<{ ok: boolean }>("SELECT has_table_privilege('pg_authid', 'SELECT') AS ok");
  const { rows: stored } = readable[0]?.ok ? await db.query<{ verifier: string | null }>('SELECT rolpassword AS verifier FROM pg_authid WHERE rolname = $1', [role]) : { rows: [] };
  if (stored[0]?.verifier && scramMatches(stored[0].verifier, password)) return 'unchanged';
  const { rows } = dryRun
    ? await db.query<{ sql: string }>('SELECT format($$ALTER ROLE %I WITH LOGIN$$, $1::text) AS sql', [role])
    : await db.query<{ sql: string }>('SELECT format($$ALTER ROLE %I WITH LOGIN PASSWORD %L$$, $1::text, $2::text) AS sql', [role, scramVerifier(password)]);
  await db.exec(rows[0]!.sql);
  return 'set';
}

/** Runs one file; an error names the file and the line it happened on. Nothing is kept (ROLLBACK). */
export async function runFile(db: SqlRunner, file: SqlFile): Promise<void> {
  try {
    await db.exec(file.text);
  } catch (error) {
    const e = error as PgError;
    const line = lineAt(file.text, e.position === undefined ? undefined : Number(e.position));
    throw new MbSyncError('POSTGRES', `${file.name}${line === undefined ? '' : `:${line}`}: ${e.message}${e.detail ? ` (${e.detail})` : ''}`, {
      hint: 'nothing was applied: the whole db apply runs in one transaction',
      cause: error,
    });
  }
}
