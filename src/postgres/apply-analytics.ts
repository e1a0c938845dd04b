import { MbSyncError } from '../core/errors.ts';
import { registerSecret } from '../core/secrets.ts';
import { replaceViews } from './replace-views.ts';
import { runFile } from './run-sql.ts';
import type { SqlRunner } from './runner.ts';
import { scramMatches, scramVerifier } from './scram.ts';
import { diffSnapshots, takeSnapshot } from './snapshot.ts';
import { definesTimezoneFunction, roleFile, viewFiles, type SqlLayout } from './sql-files.ts';

export interface AnalyticsOptions {
  role: string;
  password: string;
  timezone: string;
  /** App tables the role may read besides the views (`schema.table` or `table` in public). */
  readableTables: string[];
  /**
   * How long to wait for a lock (postgres.lock_timeout_seconds, default 5): a view replaced waits for
   * every transaction reading it, and every new reader waits behind it, so mb-sync gives up instead.
   */
  lockTimeoutSeconds?: number;
  /** `db plan`: do the same in the transaction, report it, and roll it back (the password is only compared, not sent). */
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
 * The views and the read-only role in one transaction: everything or nothing, and nothing at all (the
 * transaction rolled back) when nothing changed. A view is replaced only when its definition changed
 * (replace-views.ts), in place, and dropped only when its columns change and nothing but mb-sync's own
 * views depends on it. The role ends with exactly the privileges the config names: whatever else it holds
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
    await db.exec(`SET LOCAL lock_timeout = '${Math.max(1, Math.round((options.lockTimeoutSeconds ?? 5) * 1000))}ms'`);
    await checkTimezone(db, options.timezone);
    await refuseAdminRole(db, options.role);
    const before = await takeSnapshot(db, options.role, schema);
    await replaceViews(db, views);
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
    // Committed even when the snapshot shows no change: the files may change what it does not see
    // (a role setting, a grant outside the schema, an index, rows). The views that did not change
    // were not replaced, so readers were never waited on.
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
