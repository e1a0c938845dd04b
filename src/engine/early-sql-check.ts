import { createHash } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { openCacheFile } from '../config/cache-file.ts';
import { readPostgresSection } from '../postgres/postgres-config.ts';
import type { SqlRunner } from '../postgres/runner.ts';
import { openSandboxThread } from '../postgres/sandbox-thread.ts';
import { pgliteVersion } from '../postgres/pglite-version.ts';
import { appFiles, sqlLayout, viewFiles, type SqlLayout } from '../postgres/sql-files.ts';

// Apart from the rest of the SQL check (validate-offline.ts) so that `apply` can load it, and start
// embedded Postgres, before it loads the engine: its thread's boot is the longest step before a
// cold apply's first write.

/** What compiled SQL depends on besides itself: the app tables, the views, the timezone. */
export async function viewsDigest(layout: SqlLayout, timezone: string): Promise<string> {
  const inputs = createHash('sha256');
  for (const file of [...(await appFiles(layout)), ...(await viewFiles(layout))]) inputs.update(`${file.name}\u0000${file.text}\u0000`);
  inputs.update(`${timezone}\u0000${layout.schema}`);
  return inputs.digest('hex');
}

/**
 * Native SQL known to compile, by what it was compiled against (see prepareNativeSqlCheck), under
 * the embedded Postgres that compiled it: another PGlite is another Postgres.
 */
export function openSqlCache(root: string, env: NodeJS.ProcessEnv = process.env) {
  return openCacheFile<true>(root, 'sql', `2/pglite@${pgliteVersion()}`, env);
}

/** Embedded Postgres started before the project was read (bootSqlCheckEarly). */
export interface EarlySandbox {
  runner: SqlRunner;
  /** The SQL folder, views schema and timezone it was started with (see setupOf). */
  setup: string;
}

export const setupOf = (layout: SqlLayout, timezone: string) => `${layout.dir}\u0000${layout.schema}\u0000${timezone}`;

/**
 * For `apply`, before the files are read: in a checkout that never compiled SQL against these views
 * (a fresh clone, as CI has; views just changed), embedded Postgres starts booting in its thread at
 * once, while the files are parsed and Metabase is read. Anything unclear (no config, no views, a
 * config the load will refuse) starts nothing: the usual path then decides, and reports.
 */
export async function bootSqlCheckEarly(configPath: string, env: NodeJS.ProcessEnv): Promise<EarlySandbox | undefined> {
  try {
    const root = dirname(resolve(configPath));
    const { postgres } = await readPostgresSection(configPath, env);
    const layout = sqlLayout(root, postgres);
    const cache = await openSqlCache(root, env);
    if (cache?.get(`views:${await viewsDigest(layout, postgres.timezone)}`)) return undefined;
    return { runner: openSandboxThread({ timezone: postgres.timezone, sql: layout }), setup: setupOf(layout, postgres.timezone) };
  } catch {
    return undefined;
  }
}

