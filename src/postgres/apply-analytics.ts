import { MbSyncError } from '../core/errors.ts';
import { registerSecret } from '../core/secrets.ts';
import { lineAt, type PgError, type SqlRunner } from './runner.ts';
import { readSqlFile, type SqlFile } from './sql-files.ts';

export interface AnalyticsOptions {
  role: string;
  password: string;
  timezone: string;
}

export interface ApplyReport {
  views: string[];
  roleCreated: boolean;
  timezone: string;
}

const ROLE_PLACEHOLDER = 'phoenix_analytics_ro';

/**
 * The views and the read-only role in one transaction: everything or nothing. The password is
 * quoted by the server (`format('%L')`), never spliced into SQL text by hand.
 */
export async function applyAnalytics(db: SqlRunner, options: AnalyticsOptions): Promise<ApplyReport> {
  if (!/^[a-z_][a-z0-9_]*$/.test(options.role)) {
    throw new MbSyncError('CONFIG_INVALID', `postgres.readonly_role "${options.role}" must be a plain lower-case identifier`);
  }
  registerSecret(options.password);
  const views = await readSqlFile('analytics/dashboard_views.sql');
  const role = await readSqlFile('roles/phoenix_analytics_ro.sql');
  role.text = role.text.replaceAll(ROLE_PLACEHOLDER, options.role);

  await db.exec('BEGIN');
  try {
    await checkTimezone(db, options.timezone);
    const existed = (await db.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [options.role])).rows.length > 0;
    await runFile(db, views);
    const { rows: tzSql } = await db.query<{ sql: string }>(
      "SELECT format('CREATE OR REPLACE FUNCTION analytics.analytics_timezone() RETURNS text LANGUAGE sql IMMUTABLE AS %L', 'SELECT ' || quote_literal($1::text) || '::text') AS sql",
      [options.timezone],
    );
    await db.exec(tzSql[0]!.sql);
    await runFile(db, role);
    const { rows } = await db.query<{ sql: string }>('SELECT format($$ALTER ROLE %I WITH LOGIN PASSWORD %L$$, $1::text, $2::text) AS sql', [options.role, options.password]);
    await db.exec(rows[0]!.sql);
    const listed = await db.query<{ name: string }>("SELECT table_name AS name FROM information_schema.views WHERE table_schema = 'analytics' ORDER BY 1");
    await db.exec('COMMIT');
    return { views: listed.rows.map((r) => r.name), roleCreated: !existed, timezone: options.timezone };
  } catch (error) {
    await db.exec('ROLLBACK').catch(() => {});
    throw error;
  }
}

async function checkTimezone(db: SqlRunner, timezone: string): Promise<void> {
  const { rows } = await db.query<{ ok: boolean }>('SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = $1) AS ok', [timezone]);
  if (!rows[0]?.ok) throw new MbSyncError('CONFIG_INVALID', `postgres.timezone "${timezone}" is not a timezone PostgreSQL knows (e.g. Europe/Paris)`);
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
    });
  }
}
