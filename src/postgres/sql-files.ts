import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join, relative } from 'node:path';

/** The project's sql/ folder, wherever mb-sync is run from. */
export const SQL_DIR = fileURLToPath(new URL('../../sql/', import.meta.url));

export interface SqlFile {
  /** Relative to the project root, for messages: `sql/analytics/dashboard_views.sql`. */
  name: string;
  text: string;
}

export async function readSqlFile(path: string): Promise<SqlFile> {
  const absolute = join(SQL_DIR, path);
  return { name: relative(join(SQL_DIR, '..'), absolute), text: await readFile(absolute, 'utf8') };
}

export interface CheckDefinition extends SqlFile {
  check: string;
  threshold: number;
  severity: 'error' | 'warning';
  description: string;
}

/** Data-quality checks: one file per check, with `-- name:`, `-- threshold:`, `-- severity:` headers. */
export async function readChecks(): Promise<CheckDefinition[]> {
  const files = (await readdir(join(SQL_DIR, 'checks'))).filter((f) => f.endsWith('.sql')).sort();
  return Promise.all(files.map(async (file) => {
    const sql = await readSqlFile(`checks/${file}`);
    const header = (key: string) => new RegExp(`^--\\s*${key}:\\s*(.+)$`, 'm').exec(sql.text)?.[1]?.trim();
    const description = sql.text.split('\n').filter((l) => l.startsWith('--') && !/^--\s*(name|threshold|severity):/.test(l)).map((l) => l.replace(/^--\s?/, '')).join(' ');
    return { ...sql, check: header('name') ?? file.replace(/\.sql$/, ''), threshold: Number(header('threshold') ?? 0), severity: header('severity') === 'warning' ? 'warning' : 'error', description };
  }));
}

/** Views the project's SQL defines (`sql/analytics/*.sql`): tables Metabase will know after its sync. */
export async function definedViews(): Promise<string[]> {
  const dir = join(SQL_DIR, 'analytics');
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.sql'));
  const texts = await Promise.all(files.map((f) => readFile(join(dir, f), 'utf8')));
  return texts.flatMap((text) => [...text.matchAll(/CREATE\s+(?:OR\s+REPLACE\s+)?(?:MATERIALIZED\s+)?VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?([\w.]+)/gi)].map((m) => m[1]!.toLowerCase()));
}
