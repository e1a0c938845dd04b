import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openPglite } from '../../../src/postgres/pglite-runner.ts';

// Embedded Postgres starts from an empty cluster kept in the user's cache (src/postgres/pglite-runner.ts).
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('the initdb cluster kept between runs', () => {
  it('is written by the first run, started from by the next, and made again when damaged', async () => {
    const cache = await mkdtemp(join(tmpdir(), 'mb-sync-xdg-'));
    dirs.push(cache);
    const env = { XDG_CACHE_HOME: cache };
    // What runs stopped while writing it left: the old one goes, a recent one may still be written.
    await mkdir(join(cache, 'mb-sync'));
    const stale = join(cache, 'mb-sync', 'pglite-0.0.1-initdb.tar.123-1-aa.partial');
    const recent = join(cache, 'mb-sync', 'pglite-0.0.1-initdb.tar.456-1-bb.partial');
    await writeFile(stale, 'half a cluster');
    await utimes(stale, new Date(Date.now() - 2 * 3600_000), new Date(Date.now() - 2 * 3600_000));
    await writeFile(recent, 'half a cluster');
    const first = await openPglite(env);
    await first.exec('CREATE TABLE made_by_the_first_run (id int)');
    await first.close();
    expect((await readdir(join(cache, 'mb-sync'))).filter((f) => f.endsWith('.partial'))).toEqual([recent.split('/').pop()]);
    await rm(recent);
    const [file] = await readdir(join(cache, 'mb-sync'));
    expect(file).toMatch(/^pglite-[\d.]+-initdb\.tar$/);
    const path = join(cache, 'mb-sync', file!);
    const written = (await stat(path)).mtimeMs;

    // Left over while the cache exists: still cleaned up at the next start, and what cannot be
    // removed (a folder of that name) is skipped without failing the run.
    await writeFile(stale, 'half a cluster');
    await utimes(stale, new Date(Date.now() - 2 * 3600_000), new Date(Date.now() - 2 * 3600_000));
    const folder = join(cache, 'mb-sync', 'pglite-folder.partial');
    await mkdir(folder);
    await utimes(folder, new Date(Date.now() - 2 * 3600_000), new Date(Date.now() - 2 * 3600_000));
    const second = await openPglite(env);
    expect((await readdir(join(cache, 'mb-sync'))).sort()).toEqual([file!, 'pglite-folder.partial']);
    await rm(folder, { recursive: true });
    // A working, empty cluster: nothing of the first run's work is in it.
    expect((await second.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'made_by_the_first_run'")).rows).toEqual([{ n: 0 }]);
    await second.close();
    expect((await stat(path)).mtimeMs).toBe(written);

    await writeFile(path, 'not a tar file');
    const third = await openPglite(env);
    expect((await third.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await third.close();
    expect((await stat(path)).size).toBeGreaterThan(1_000_000);
  });

  it('is neither read nor written with MB_SYNC_NO_CACHE=1', async () => {
    const cache = await mkdtemp(join(tmpdir(), 'mb-sync-xdg-'));
    dirs.push(cache);
    const db = await openPglite({ XDG_CACHE_HOME: cache, MB_SYNC_NO_CACHE: '1' });
    await db.close();
    expect(await readdir(cache)).toEqual([]);
  });
});
