import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openPglite } from '../../../src/postgres/pglite-runner.ts';

// Embedded Postgres starts from an empty cluster kept in the user's cache (src/postgres/pglite-runner.ts).
const dirs: string[] = [];
const DAY = 24 * 3600_000;
const REPO = join(import.meta.dirname, '../../..');
const run = promisify(execFile);
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('the empty cluster kept between runs', () => {
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
    // Another version's cluster: kept while another install may use it, gone after 30 days unused.
    const otherUsed = join(cache, 'mb-sync', 'pglite-0.0.2-cluster.tar');
    const otherUnused = join(cache, 'mb-sync', 'pglite-0.0.1-initdb.tar');
    await writeFile(otherUsed, 'a cluster');
    await utimes(otherUsed, new Date(Date.now() - 29 * DAY), new Date(Date.now() - 29 * DAY));
    await writeFile(otherUnused, 'a cluster');
    await utimes(otherUnused, new Date(Date.now() - 31 * DAY), new Date(Date.now() - 31 * DAY));
    const first = await openPglite(env);
    await first.exec('CREATE TABLE made_by_the_first_run (id int)');
    await first.close();
    expect((await readdir(join(cache, 'mb-sync'))).filter((f) => f.endsWith('.partial'))).toEqual([recent.split('/').pop()]);
    expect(await readdir(join(cache, 'mb-sync'))).not.toContain('pglite-0.0.1-initdb.tar');
    await rm(recent);
    await rm(otherUsed);
    const [file] = await readdir(join(cache, 'mb-sync'));
    expect(file).toMatch(/^pglite-[\d.]+-cluster-v\d+\.tar$/);
    const path = join(cache, 'mb-sync', file!);
    const written = (await stat(path)).mtimeMs;
    // What keeps its start short: one database to unpack, one WAL segment of 1 MB (~10 MB in all).
    expect((await stat(path)).size).toBeLessThan(11_000_000);

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
    expect((await second.query<{ datname: string }>('SELECT datname FROM pg_database')).rows).toEqual([{ datname: 'postgres' }]);
    expect((await second.query<{ shared_buffers: string }>('SHOW shared_buffers')).rows).toEqual([{ shared_buffers: '1MB' }]);
    // The WAL segments left out of it are made again as the WAL grows past them (~6 MB written here).
    await second.exec("CREATE TABLE grows AS SELECT g, repeat('x', 500) AS filler FROM generate_series(1, 10000) g; CHECKPOINT");
    expect((await second.query<{ n: number }>('SELECT count(*)::int AS n FROM grows')).rows).toEqual([{ n: 10000 }]);
    expect((await second.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_ls_waldir()')).rows[0]!.n).toBeGreaterThan(1);
    await second.close();
    expect((await stat(path)).mtimeMs).toBe(written);

    // Used a day after it was written: its date is refreshed, so no other install takes it for unused.
    await utimes(path, new Date(Date.now() - 2 * DAY), new Date(Date.now() - 2 * DAY));
    await (await openPglite(env)).close();
    expect(Date.now() - (await stat(path)).mtimeMs).toBeLessThan(DAY);

    await writeFile(path, 'not a tar file');
    const third = await openPglite(env);
    expect((await third.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await third.close();
    expect((await stat(path)).size).toBeGreaterThan(1_000_000);
  });

  it('is not needed: a cluster that cannot be written leaves no half file, and the run goes on', async () => {
    const cache = await mkdtemp(join(tmpdir(), 'mb-sync-xdg-'));
    dirs.push(cache);
    const { version } = JSON.parse(await readFile(join(REPO, 'node_modules/@electric-sql/pglite/package.json'), 'utf8')) as { version: string };
    // A folder where the file should be: it can be neither read nor replaced.
    const taken = join(cache, 'mb-sync', `pglite-${version}-cluster-v3.tar`);
    await mkdir(taken, { recursive: true });
    await writeFile(join(taken, 'keep'), 'not ours');
    const db = await openPglite({ XDG_CACHE_HOME: cache });
    expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await db.close();
    expect(await readdir(join(cache, 'mb-sync'))).toEqual([`pglite-${version}-cluster-v3.tar`]);
    expect(await readdir(taken)).toEqual(['keep']);
  });

  it('is left as it is when damaged in a cache the user cannot write, and the run goes on', async (ctx) => {
    const cache = await mkdtemp(join(tmpdir(), 'mb-sync-xdg-'));
    dirs.push(cache);
    const { version } = JSON.parse(await readFile(join(REPO, 'node_modules/@electric-sql/pglite/package.json'), 'utf8')) as { version: string };
    const damaged = join(cache, 'mb-sync', `pglite-${version}-cluster-v3.tar`);
    await mkdir(join(cache, 'mb-sync'));
    await writeFile(damaged, 'not a tar');
    if (process.getuid?.() === 0) {
      // Root removes files from any folder: the run is another user's (nobody), on a cache folder
      // root owns; skipped where that user cannot read the checkout.
      const asNobody = { cwd: REPO, uid: 65534, gid: 65534, env: { PATH: process.env.PATH ?? '', XDG_CACHE_HOME: cache, HOME: '/nonexistent' } };
      if (!(await run(process.execPath, [join(REPO, 'bin/mb-sync.js'), '--version'], asNobody).then(() => true, () => false))) ctx.skip();
      await chmod(cache, 0o755);
      await chmod(join(cache, 'mb-sync'), 0o755);
      const { stdout, stderr } = await run(process.execPath, [join(REPO, 'bin/mb-sync.js'), 'validate'], asNobody);
      expect(`${stdout}${stderr}`).toMatch(/valid: \d+ dashboard.*native queries compiled/);
    } else {
      await chmod(join(cache, 'mb-sync'), 0o555);
      const db = await openPglite({ XDG_CACHE_HOME: cache }).finally(() => chmod(join(cache, 'mb-sync'), 0o755));
      expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      await db.close();
    }
    expect(await readFile(damaged, 'utf8')).toBe('not a tar');
  }, 60_000);

  it('is neither read nor written with MB_SYNC_NO_CACHE=1', async () => {
    const cache = await mkdtemp(join(tmpdir(), 'mb-sync-xdg-'));
    dirs.push(cache);
    const db = await openPglite({ XDG_CACHE_HOME: cache, MB_SYNC_NO_CACHE: '1' });
    await db.close();
    expect(await readdir(cache)).toEqual([]);
  });
});
