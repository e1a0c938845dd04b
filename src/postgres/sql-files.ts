import { readdir, readFile } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { MbSyncError } from '../core/errors.ts';

/**
 * Where a project's SQL is and which schema its views live in:
 *   sql/app/*.sql        the app tables (only for the offline sandbox of `validate`)
 *   sql/<schema>/*.sql   the views, run in name order by `db apply`
 *   sql/roles/*.sql      the read-only role (one file; its name is replaced by postgres.readonly_role)
 *   sql/checks/*.sql     data-quality checks
 */
export interface SqlLayout {
  dir: string;
  schema: string;
}

/** The project's SQL folder: postgres.sql_dir (default `sql`) next to its config. */
export function sqlLayout(projectRoot: string, postgres: { sql_dir: string; schema: string }): SqlLayout {
  return { dir: resolve(projectRoot, postgres.sql_dir), schema: postgres.schema };
}

export interface SqlFile {
  /** Relative to the project root, for messages: `sql/analytics/dashboard_views.sql`. */
  name: string;
  text: string;
}

export async function readSqlFile(path: string, dir: string): Promise<SqlFile> {
  const absolute = join(dir, path);
  return { name: relative(join(dir, '..'), absolute), text: await readFile(absolute, 'utf8') };
}

async function sqlFilesIn(dir: string, folder: string): Promise<SqlFile[]> {
  const names = (await readdir(join(dir, folder)).catch(() => [] as string[])).filter((f) => f.endsWith('.sql')).sort();
  return Promise.all(names.map((name) => readSqlFile(`${folder}/${name}`, dir)));
}

/** The views files, `sql/<schema>/*.sql` in name order. */
export async function viewFiles(layout: SqlLayout): Promise<SqlFile[]> {
  const files = await sqlFilesIn(layout.dir, layout.schema);
  if (files.length === 0) throw new MbSyncError('CONFIG_INVALID', `no views to apply: ${join(relative(process.cwd(), layout.dir) || '.', layout.schema)}/*.sql is empty or missing`, { hint: 'postgres.schema names the folder of postgres.sql_dir (default sql/) that holds the views' });
  return files;
}

/** The app tables, `sql/app/*.sql` in name order: the offline sandbox runs them before the views. */
export async function appFiles(layout: SqlLayout): Promise<SqlFile[]> {
  return sqlFilesIn(layout.dir, 'app');
}

/** The role file and the role name written in it (its file name), which is replaced by the configured role. */
export async function roleFile(layout: SqlLayout, role: string): Promise<{ file: SqlFile; writtenAs: string }> {
  const files = await sqlFilesIn(layout.dir, 'roles');
  const file = files.length === 1 ? files[0] : files.find((f) => basename(f.name, '.sql') === role);
  if (file === undefined) {
    throw new MbSyncError('CONFIG_INVALID', files.length === 0 ? `no read-only role file in ${relative(process.cwd(), join(layout.dir, 'roles')) || 'sql/roles'}` : `several role files in sql/roles and none is ${role}.sql`, {
      hint: `write sql/roles/${role}.sql: create the role, revoke everything, grant USAGE and SELECT on schema ${layout.schema}`,
    });
  }
  return { file, writtenAs: basename(file.name, '.sql') };
}

export interface CheckDefinition extends SqlFile {
  check: string;
  threshold: number;
  severity: 'error' | 'warning';
  description: string;
}

/** Data-quality checks: one file per check, with `-- name:`, `-- threshold:`, `-- severity:` headers. */
export async function readChecks(dir: string): Promise<CheckDefinition[]> {
  const files = (await readdir(join(dir, 'checks')).catch(() => [] as string[])).filter((f) => f.endsWith('.sql')).sort();
  return Promise.all(files.map(async (file) => {
    const sql = await readSqlFile(`checks/${file}`, dir);
    const header = (key: string) => new RegExp(`^--\\s*${key}:\\s*(.+)$`, 'm').exec(sql.text)?.[1]?.trim();
    const description = sql.text.split('\n').filter((l) => l.startsWith('--') && !/^--\s*(name|threshold|severity):/.test(l)).map((l) => l.replace(/^--\s?/, '')).join(' ');
    return { ...sql, check: header('name') ?? file.replace(/\.sql$/, ''), threshold: Number(header('threshold') ?? 0), severity: header('severity') === 'warning' ? 'warning' : 'error', description };
  }));
}

/** Views the project's SQL defines (`sql/<schema>/*.sql`): tables Metabase will know after its sync. */
export async function definedViews(layout: SqlLayout): Promise<string[]> {
  const texts = (await sqlFilesIn(layout.dir, layout.schema)).map((f) => f.text);
  return texts.flatMap((text) => [...text.matchAll(/CREATE\s+(?:OR\s+REPLACE\s+)?(?:MATERIALIZED\s+)?VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?([\w.]+)/gi)].map((m) => m[1]!.toLowerCase()));
}

/** Whether the views define `<schema>.analytics_timezone()`, which db apply rewrites with postgres.timezone. */
export function definesTimezoneFunction(files: SqlFile[], schema: string): boolean {
  const pattern = new RegExp(`FUNCTION\\s+${schema}\\.analytics_timezone\\s*\\(`, 'i');
  return files.some((f) => pattern.test(f.text));
}
