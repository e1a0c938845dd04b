import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
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
    const first = await openPglite(env);
    await first.exec('CREATE TABLE made_by_the_first_run (id int)');
    await first.close();
    const [file] = await readdir(join(cache, 'mb-sync'));
    expect(file).toMatch(/^pglite-[\d.]+-initdb\.tar$/);
    const path = join(cache, 'mb-sync', file!);
    const written = (await stat(path)).mtimeMs;

    const second = await openPglite(env);
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
