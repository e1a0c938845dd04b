import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { openTarget } from '../../../src/engine/open-target.ts';
import { makePlan } from '../../../src/engine/make-plan.ts';
import { handlers } from '../../../src/resources/registry.ts';
import { MbSyncError } from '../../../src/core/errors.ts';
import { startFakeMetabase, type FakeMetabase } from '../../support/fake-metabase/index.ts';
import { openSession, writeProject } from './harness.ts';
import { catalog, env, files } from './fixture-project.ts';

/**
 * The server's version is asked for alongside the first lists (a plan is one round trip shorter),
 * and an old server is still reported as such, even when its answers to those lists break first.
 */
const BIN = join(import.meta.dirname, '../../../bin/mb-sync.js');
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function planAgainst(fake: FakeMetabase) {
  const project = await writeProject(files);
  cleanups.push(project.cleanup);
  const target = await openTarget({ configPath: join(project.root, 'metabase.config.yaml'), processEnv: { ...env, MB_URL: fake.url, MB_API_KEY: fake.apiKey } });
  return makePlan({ project: target.project, api: target.api, server: target.server, target: { environment: target.environment, url: target.url }, handlers, allowArchive: false });
}

async function fakeMetabase(version?: string): Promise<FakeMetabase> {
  const fake = await startFakeMetabase(version === undefined ? {} : { version });
  cleanups.push(() => fake.close());
  return fake;
}

describe('the server version', () => {
  it('lets many requests in flight share the client\'s abort signal without a leak warning', async () => {
    const fake = await fakeMetabase();
    const project = await writeProject(files);
    cleanups.push(project.cleanup);
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const target = await openTarget({ configPath: join(project.root, 'metabase.config.yaml'), processEnv: { ...env, MB_URL: fake.url, MB_API_KEY: fake.apiKey }, concurrency: 32 });
      await target.server;
      fake.setLatency(50);
      // Thirty reads at once, as a plan of a large instance has them in flight.
      await Promise.all(Array.from({ length: 30 }, () => target.api.get('/api/collection')));
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toEqual([]);
  });

  it('is read while the first lists are already asked for', async () => {
    const fake = await fakeMetabase();
    fake.injectFault({ path: '/api/session/properties' }, { delayMs: 300 });
    const state = await planAgainst(fake);
    expect(state.plan.target.metabaseVersion).toBe('v0.58.15');
    const version = fake.requests.find((r) => r.path === '/api/session/properties')!;
    const databases = fake.requests.find((r) => r.path === '/api/database' && r.method === 'GET')!;
    expect(databases.received!).toBeLessThan(version.answered!);
  });

  it('refuses an old server with its own error, even when a read fails before the version answers', async () => {
    const fake = await fakeMetabase('v0.56.9');
    fake.injectFault({ path: '/api/session/properties' }, { delayMs: 300 });
    fake.injectFault({ method: 'GET', path: '/api/database' }, { status: 404, body: 'API endpoint does not exist.' });
    const error = await planAgainst(fake).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(MbSyncError);
    expect((error as MbSyncError).message).toBe('Metabase v0.56.9 is not supported: mb-sync needs 0.58 or newer (MBQL 5 queries, notifications API, API keys)');
    // The failing read did answer first: the order the version error wins over.
    const failed = fake.requests.find((r) => r.path === '/api/database' && r.status === 404)!;
    const version = fake.requests.find((r) => r.path === '/api/session/properties')!;
    expect(failed.answered!).toBeLessThan(version.answered!);
  });

  it('refuses an old server and sends it nothing more once refused: reads waiting or in flight stop', async () => {
    // A Metabase holding the project, then downgraded (a restore from an old backup, say).
    const fake = await startFakeMetabase({ catalog, syncPolls: 1 });
    cleanups.push(() => fake.close());
    const project = await writeProject(files);
    cleanups.push(project.cleanup);
    const session = await openSession(fake, project.root, env);
    expect((await session.apply()).result.failed).toEqual([]);
    fake.setVersion('v0.57.2');
    fake.resetLog();
    // The collection list is still on its way when the version is refused; what follows it (each
    // managed collection's dashboards, then each dashboard) is never asked for.
    fake.injectFault({ method: 'GET', path: '/api/collection' }, { delayMs: 300 });
    const target = await openTarget({ configPath: join(project.root, 'metabase.config.yaml'), processEnv: { ...env, MB_URL: fake.url, MB_API_KEY: fake.apiKey } });
    const refused = makePlan({ project: target.project, api: target.api, server: target.server, target: { environment: target.environment, url: target.url }, handlers, allowArchive: false });
    await expect(refused).rejects.toThrow('Metabase v0.57.2 is not supported');
    // Refused without waiting for the slow list (logged once answered, 300 ms later)...
    expect(fake.requests.some((r) => r.path === '/api/collection')).toBe(false);
    // ...and once it has answered, nothing that needed it was sent.
    while (!fake.requests.some((r) => r.path === '/api/collection')) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 150));
    expect(fake.requests.map((r) => r.path).filter((p) => /^\/api\/(collection\/\d+|dashboard)/.test(p))).toEqual([]);
  });

  it('ends the process once refused, even with a read waiting out a Retry-After', async () => {
    const fake = await fakeMetabase('v0.57.2');
    fake.injectFault({ method: 'GET', path: '/api/collection' }, { status: 503, headers: { 'Retry-After': '20' }, times: 10 });
    // Refused once that read is waiting.
    fake.injectFault({ path: '/api/session/properties' }, { delayMs: 500 });
    const project = await writeProject(files);
    cleanups.push(project.cleanup);
    // Killed after 10 s if the wait holds it (the error then fails the test).
    const result = await promisify(execFile)(process.execPath, [BIN, 'plan'], { cwd: project.root, timeout: 10_000, env: { PATH: process.env.PATH ?? '', HOME: project.root, NO_COLOR: '1', MB_SYNC_NO_CACHE: '1', ...env, MB_URL: fake.url, MB_API_KEY: fake.apiKey } })
      .then(() => ({ code: 0, stderr: '' }), (e: { code: number | null; killed?: boolean; stderr: string }) => ({ code: e.killed ? 'killed' : e.code, stderr: e.stderr }));
    expect(result).toEqual({ code: 3, stderr: expect.stringContaining('Metabase v0.57.2 is not supported') });
    // The 503 was answered: the wait was started, then ended by the refusal.
    expect(fake.requests.some((r) => r.path === '/api/collection' && r.status === 503)).toBe(true);
  }, 20_000);
});
