import pg from 'pg';
import { MbSyncError } from '../core/errors.ts';
import { redactText, registerSecret, registerUrlSecrets } from '../core/secrets.ts';
import type { PgError, SqlRunner } from './runner.ts';

/** A pg connection as a SqlRunner, with errors a person can act on and no password in them. */
export async function connectPostgres(url: string, options: { user?: string; password?: string; label?: string } = {}): Promise<SqlRunner> {
  const parsed = safeUrl(url);
  registerUrlSecrets(url);
  if (options.password) registerSecret(options.password);
  // pg lets the connection string win over separate options: put the role's credentials in the URL.
  const target = new URL(parsed.toString());
  if (options.user) target.username = encodeURIComponent(options.user);
  if (options.password !== undefined) target.password = encodeURIComponent(options.password);
  const client = new pg.Client({ connectionString: target.toString(), connectionTimeoutMillis: 10_000, application_name: 'mb-sync' });
  const who = `${options.user ?? (decodeURIComponent(parsed.username) || 'postgres')}@${parsed.hostname || 'localhost'}:${parsed.port || 5432}/${parsed.pathname.replace(/^\//, '') || '(default)'}`;
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw connectionError(error as PgError & { code?: string }, who, options.label);
  }
  client.on('error', () => {});
  return {
    query: async <T>(sql: string, params?: unknown[]) => ({ rows: (await client.query(sql, params)).rows as T[] }),
    exec: async (sql: string) => {
      await client.query(sql);
    },
    close: () => client.end(),
  };
}

function connectionError(error: PgError, who: string, label = 'PostgreSQL'): MbSyncError {
  const byCode: Record<string, string> = {
    '28P01': `wrong password for ${who}`,
    '28000': `${who} is not allowed to connect (pg_hba.conf or role without LOGIN)`,
    '3D000': `database does not exist: ${who}`,
    ECONNREFUSED: `cannot reach ${who}: connection refused`,
    ENOTFOUND: `cannot reach ${who}: unknown host`,
    ETIMEDOUT: `cannot reach ${who}: timed out`,
  };
  const message = byCode[error.code ?? ''] ?? `cannot connect to ${who}: ${redactText(error.message)}`;
  return new MbSyncError('POSTGRES', `${label}: ${message}`, { hint: 'check DATABASE_URL (or postgres.url in the config) and that the server is running' });
}

function safeUrl(url: string): URL {
  try {
    return new URL(url);
  } catch {
    throw new MbSyncError('POSTGRES', 'DATABASE_URL is not a valid URL', { hint: 'write it as postgres://user:password@host:5432/dbname' });
  }
}
