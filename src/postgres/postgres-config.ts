import { readFile } from 'node:fs/promises';
import { yamlData } from '../config/read-yaml.ts';
import { interpolate, soleVariable } from '../config/interpolate.ts';
import { PostgresConfig, type PostgresConfigT } from '../model/project.ts';
import { ConfigError, MbSyncError } from '../core/errors.ts';
import { registerSecret } from '../core/secrets.ts';
import { dirname, resolve } from 'node:path';
import { sqlLayout, type SqlLayout } from './sql-files.ts';

export interface PostgresSettings {
  url: string;
  /** The read-only role and its password variable, when the config says or implies them (see requireRole). */
  role?: string;
  passwordEnv?: string;
  /** Why role or passwordEnv is missing. */
  roleIssues?: Array<{ file: string; path: string; message: string }>;
  timezone: string;
  /** postgres.lock_timeout_seconds: how long db plan and apply wait for a lock before giving up. */
  lockTimeoutSeconds: number;
  retentionMonths: number;
  readableTables: string[];
  /** The table `db purge` trims and its timestamp column, when the config names them. */
  retention?: { table: string; column: string };
  /** The project's SQL folder (postgres.sql_dir, next to the config) and the schema of its views. */
  sql: SqlLayout;
}

/**
 * Only the `postgres:` section of the config matters to `db` commands, so a problem elsewhere (a
 * dashboard, the Metabase environments) does not stop the database side. DATABASE_URL wins.
 */
export async function readPostgresSettings(configPath: string, env: NodeJS.ProcessEnv, options: { required?: boolean } = {}): Promise<PostgresSettings> {
  const { postgres, database } = await readPostgresSection(configPath, env, options);
  const url = env.DATABASE_URL || postgres.url;
  if (!url) {
    throw new MbSyncError('ENV_MISSING', 'no admin connection to the app database', { hint: 'set DATABASE_URL=postgres://user:password@host:5432/dbname (or postgres.url in the config)' });
  }
  // The role and its password default to what Metabase connects with: database.user, and the
  // variable database.password names. Nothing of any one project is assumed. Only the commands
  // that act as or on the role need them (db check and purge do not).
  const user = typeof database.user === 'string' ? interpolate(database.user, env).value : undefined;
  const role = postgres.readonly_role ?? (typeof user === 'string' && /^[a-z_][a-z0-9_]*$/.test(user) ? user : undefined);
  const passwordEnv = postgres.readonly_password_env ?? (typeof database.password === 'string' ? soleVariable(database.password) : undefined);
  const roleIssues = [
    ...(role === undefined ? [{ file: configPath, path: 'postgres.readonly_role', message: 'required: the role db apply makes read-only (database.user is not a plain lower-case identifier to default to)' }] : []),
    ...(passwordEnv === undefined ? [{ file: configPath, path: 'postgres.readonly_password_env', message: 'required: the variable that holds the read-only role\'s password (database.password does not name one as ${VAR})' }] : []),
  ];
  const { retention_table: table, retention_column: column } = postgres;
  if ((table === undefined) !== (column === undefined)) throw new ConfigError([{ file: configPath, path: table === undefined ? 'postgres.retention_table' : 'postgres.retention_column', message: 'retention_table and retention_column go together: the event table db purge trims and its timestamp column' }]);
  return {
    url,
    role,
    passwordEnv,
    ...(roleIssues.length > 0 ? { roleIssues } : {}),
    timezone: postgres.timezone,
    lockTimeoutSeconds: postgres.lock_timeout_seconds,
    retentionMonths: postgres.retention_months,
    readableTables: postgres.readable_tables,
    ...(table !== undefined && column !== undefined ? { retention: { table, column } } : {}),
    sql: sqlLayout(dirname(resolve(configPath)), postgres),
  };
}

/** The read-only role and its password variable, or the config error saying which is missing. */
export function requireRole(settings: PostgresSettings): { role: string; passwordEnv: string } {
  if (settings.role === undefined || settings.passwordEnv === undefined) throw new ConfigError(settings.roleIssues ?? []);
  return { role: settings.role, passwordEnv: settings.passwordEnv };
}

/**
 * The `postgres:` section of a config, interpolated and validated, with the raw `database:` section
 * its defaults come from. Only this part matters to `db` commands (a problem elsewhere does not stop
 * them), and it is all `apply` needs to start the SQL check before the whole project is read.
 */
export async function readPostgresSection(configPath: string, env: NodeJS.ProcessEnv, options: { required?: boolean } = {}): Promise<{ postgres: PostgresConfigT; database: { user?: unknown; password?: unknown } }> {
  let section: unknown = {};
  let database: { user?: unknown; password?: unknown } = {};
  try {
    // apply reads this before anything else, to start the SQL check: the fast reader when it can.
    const document = (await yamlData(await readFile(configPath, 'utf8'))) as { postgres?: unknown; database?: typeof database } | null;
    section = document?.postgres ?? {};
    database = document?.database ?? {};
  } catch (error) {
    // The role, its password and the SQL folder are the project's: there is nothing to run without its config.
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    if (!missing) throw new ConfigError([{ file: configPath, path: '', message: `cannot read: ${(error as Error).message}` }]);
    throw new ConfigError([{ file: configPath, path: '', message: options.required ? 'file not found (given with --config)' : 'file not found: db commands read the project\'s postgres: section (the read-only role, the SQL folder) from it; run them in the project folder or pass --config' }]);
  }
  const interpolated = interpolate(section, { ...env, DATABASE_URL: env.DATABASE_URL ?? '' });
  const parsed = PostgresConfig.safeParse(interpolated.value);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => ({ file: configPath, path: ['postgres', ...i.path].join('.'), message: i.message })));
  }
  return { postgres: parsed.data, database };
}

export function readonlyPassword(settings: PostgresSettings, env: NodeJS.ProcessEnv): string {
  const { role, passwordEnv } = requireRole(settings);
  const password = env[passwordEnv];
  if (!password) {
    throw new MbSyncError('ENV_MISSING', `${passwordEnv} is not set: it is the password of the read-only role ${role}`, { hint: `export ${passwordEnv}='…' (the same value Metabase's connection uses)` });
  }
  registerSecret(password);
  return password;
}
