import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { openSandboxThread } from '../../../src/postgres/sandbox-thread.ts';
import { PHOENIX_SQL } from '../../support/phoenix.ts';
import { MbSyncError } from '../../../src/core/errors.ts';

// The SQL check's embedded Postgres, in a worker thread (src/postgres/sandbox-thread.ts).
describe('the sandbox in its own thread', () => {
  it('answers statements once booted, with PostgreSQL\'s own error for a bad one', async () => {
    const db = openSandboxThread({ sql: PHOENIX_SQL, timezone: 'UTC' });
    try {
      expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM information_schema.views WHERE table_schema = $1', ['analytics'])).rows).toEqual([{ n: 11 }]);
      await expect(db.exec('PREPARE x AS SELECT nope FROM analytics.vw_pack_funnel')).rejects.toThrow('column "nope" does not exist');
    } finally {
      await db.close();
    }
  });

  it('closes at once with statements still waiting, which fail instead of holding the process', async () => {
    const db = openSandboxThread({ sql: PHOENIX_SQL, timezone: 'UTC' });
    const waiting = Array.from({ length: 50 }, (_, i) => db.exec(`PREPARE p${i} AS SELECT 1`).then(() => 'answered', (error: Error) => error.message));
    await db.close();
    expect(new Set(await Promise.all(waiting))).toEqual(new Set(['the SQL check was closed']));
    await expect(db.query('SELECT 1')).rejects.toThrow('the SQL check was closed');
    await db.stopped;
  });

  it('does not make the caller wait while the thread frees embedded Postgres', async () => {
    const db = openSandboxThread({ sql: PHOENIX_SQL, timezone: 'UTC' });
    await db.query('SELECT 1');
    let ended = false;
    void db.stopped.then(() => (ended = true));
    await db.close();
    // Closed for the caller (nothing more is answered), still stopping on its own thread.
    await expect(db.query('SELECT 1')).rejects.toThrow('the SQL check was closed');
    expect(ended).toBe(false);
    await db.stopped;
  });

  it('reports a boot that fails (no views) as the error of the first statement', async () => {
    const db = openSandboxThread({ sql: { dir: '/nonexistent', schema: 'analytics' } });
    const error = await db.query('SELECT 1').then(() => undefined, (e: unknown) => e);
    // mb-sync's own error, with its code and hint, as when Postgres boots in the main thread.
    expect(error).toBeInstanceOf(MbSyncError);
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(/no views to apply/), hint: expect.stringContaining('postgres.schema') });
    await db.close();
  });

  it('holds no process open when it is never asked anything nor closed (an apply refused early)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mb-sync-thread-'));
    try {
      const script = join(dir, 'open-only.mts');
      await writeFile(script, `import { openSandboxThread } from ${JSON.stringify(join(import.meta.dirname, '../../../src/postgres/sandbox-thread.ts'))};
openSandboxThread({ sql: ${JSON.stringify(PHOENIX_SQL)}, timezone: 'UTC' });
console.log('opened');
`);
      // Killed after 30 s if the thread keeps it alive (the error then fails the test).
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], { cwd: join(import.meta.dirname, '../../..'), timeout: 30_000, env: { ...process.env, MB_SYNC_NO_CACHE: '1' } });
      expect(stdout.trim()).toBe('opened');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 40_000);
});
