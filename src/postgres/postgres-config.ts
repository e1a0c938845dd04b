import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { interpolate } from '../config/interpolate.ts';
import { PostgresConfig } from '../model/project.ts';
import { ConfigError, MbSyncError } from '../core/errors.ts';
import { registerSecret } from '../core/secrets.ts';
import { dirname, resolve } from 'node:path';
import { sqlLayout, type SqlLayout } from './sql-files.ts';

export interface PostgresSettings {
  url: string;
  role: string;
  passwordEnv: string;
  timezone: string;
  retentionMonths: number;
  readableTables: string[];
  /** The table `db purge` trims and its timestamp column. */
  retention: { table: string; column: string };
  /** The project's sql/ folder (next to the config) and the schema of its views. */
  sql: SqlLayout;
}

/**
 * Only the `postgres:` section of the config matters to `db` commands, so a problem elsewhere (a
 * dashboard, the Metabase environments) does not stop the database side. DATABASE_URL wins.
 */
export async function readPostgresSettings(configPath: string, env: NodeJS.ProcessEnv, options: { required?: boolean } = {}): Promise<PostgresSettings> {
  let section: unknown = {};
  try {
    const document = parse(await readFile(configPath, 'utf8')) as { postgres?: unknown } | null;
    section = document?.postgres ?? {};
  } catch (error) {
    // Without a config the defaults serve (a folder with only DATABASE_URL); a --config that is not there is a mistake.
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    if (!missing) throw new ConfigError([{ file: configPath, path: '', message: `cannot read: ${(error as Error).message}` }]);
    if (options.required) throw new ConfigError([{ file: configPath, path: '', message: 'file not found (given with --config)' }]);
  }
  const interpolated = interpolate(section, { ...env, DATABASE_URL: env.DATABASE_URL ?? '' });
  const parsed = PostgresConfig.safeParse(interpolated.value);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => ({ file: configPath, path: ['postgres', ...i.path].join('.'), message: i.message })));
  }
  const url = env.DATABASE_URL || parsed.data.url;
  if (!url) {
    throw new MbSyncError('ENV_MISSING', 'no admin connection to the app database', { hint: 'set DATABASE_URL=postgres://user:password@host:5432/dbname (or postgres.url in the config)' });
  }
  return {
    url,
    role: parsed.data.readonly_role,
    passwordEnv: parsed.data.readonly_password_env,
    timezone: parsed.data.timezone,
    retentionMonths: parsed.data.retention_months,
    readableTables: parsed.data.readable_tables,
    retention: { table: parsed.data.retention_table, column: parsed.data.retention_column },
    sql: sqlLayout(dirname(resolve(configPath)), parsed.data.schema),
  };
}

export function readonlyPassword(settings: PostgresSettings, env: NodeJS.ProcessEnv): string {
  const password = env[settings.passwordEnv];
  if (!password) {
    throw new MbSyncError('ENV_MISSING', `${settings.passwordEnv} is not set: it is the password of the read-only role ${settings.role}`, { hint: `export ${settings.passwordEnv}='…' (the same value Metabase's connection uses)` });
  }
  registerSecret(password);
  return password;
}
