import { PGlite } from '@electric-sql/pglite';
import { createRequire } from 'node:module';
import { lstat, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { makeDirs } from '../config/make-dirs.ts';
import { machineCacheDir } from '../config/cache-home.ts';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import type { SqlRunner } from './runner.ts';

/**
 * Embedded PostgreSQL (WASM): the fallback when no server is given, and `validate`'s sandbox.
 *
 * A new PGlite runs initdb, about a second and a half of CPU. The empty cluster it makes depends
 * only on the PGlite version, so it is kept once per machine, in the user's cache
 * (`$XDG_CACHE_HOME/mb-sync`, else `~/.cache/mb-sync`; no project data, ~28 MB), and later
 * instances start from it in a third of the time. `MB_SYNC_NO_CACHE=1` turns it off; a cache that
 * cannot be read or written is ignored.
 */
export async function openPglite(env: NodeJS.ProcessEnv = process.env): Promise<SqlRunner & { pglite: PGlite }> {
  const pglite = await startPglite(env);
  return {
    pglite,
    query: async <T>(sql: string, params?: unknown[]) => ({ rows: (await pglite.query<T>(sql, params)).rows }),
    exec: async (sql: string) => {
      await pglite.exec(sql);
    },
    close: () => pglite.close(),
  };
}

async function startPglite(env: NodeJS.ProcessEnv): Promise<PGlite> {
  const file = clusterFile(env);
  if (file === undefined) return ready(new PGlite());
  await removeStalePartials(join(file, '..'));
  const read = await readFile(file).catch(() => undefined);
  // A tar archive says so at byte 257; anything else (a damaged or foreign file) is made again.
  const saved = read?.subarray(257, 262).toString('latin1') === 'ustar' ? read : undefined;
  if (saved === undefined && read !== undefined) await rm(file, { force: true });
  if (saved !== undefined) {
    try {
      return await ready(new PGlite({ loadDataDir: new Blob([saved]) }));
    } catch {
      // A damaged file: made again below.
      await rm(file, { force: true });
    }
  }
  const pglite = await ready(new PGlite());
  try {
    const dump = Buffer.from(await (await pglite.dumpDataDir('none')).arrayBuffer());
    await makeDirs(join(file, '..'));
    // Written aside and renamed: two runs at once never read half a file.
    const partial = `${file}.${process.pid}-${threadId}-${randomUUID()}.partial`;
    await writeFile(partial, dump);
    await rename(partial, file);
  } catch {
    // Read-only home, full disk: the next run runs initdb again.
  }
  return pglite;
}

/**
 * A run stopped while writing the cluster (its SQL check closed, the process killed) leaves its
 * `.partial` file, ~28 MB: files of that name older than an hour go, at every start (a younger one
 * may be another run's, still being written). Nothing here can fail the run.
 */
async function removeStalePartials(dir: string): Promise<void> {
  const now = Date.now();
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!/^pglite-.*\.partial$/.test(name)) continue;
    const path = join(dir, name);
    const info = await lstat(path).catch(() => undefined);
    if (info?.isFile() && now - info.mtimeMs > 3600_000) await rm(path, { force: true }).catch(() => {});
  }
}

async function ready(pglite: PGlite): Promise<PGlite> {
  await pglite.waitReady;
  return pglite;
}

function clusterFile(env: NodeJS.ProcessEnv): string | undefined {
  const dir = machineCacheDir(env);
  return dir === undefined ? undefined : join(dir, `pglite-${pgliteVersion()}-initdb.tar`);
}

/** The installed PGlite's version (its package.json is not among its exports: found from its entry). */
function pgliteVersion(): string {
  let dir = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@electric-sql/pglite' && pkg.version) return pkg.version;
    } catch {
      // Not here: one level up.
    }
    if (dirname(dir) === dir) return 'unknown';
    dir = dirname(dir);
  }
}
