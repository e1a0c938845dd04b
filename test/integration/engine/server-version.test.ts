import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openTarget } from '../../../src/engine/open-target.ts';
import { makePlan } from '../../../src/engine/make-plan.ts';
import { handlers } from '../../../src/resources/registry.ts';
import { MbSyncError } from '../../../src/core/errors.ts';
import { startFakeMetabase, type FakeMetabase } from '../../support/fake-metabase/index.ts';
import { writeProject } from './harness.ts';
import { env, files } from './fixture-project.ts';

/**
 * The server's version is asked for alongside the first lists (a plan is one round trip shorter),
 * and an old server is still reported as such, even when its answers to those lists break first.
 */
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
  it('is read while the first lists are already asked for', async () => {
    const fake = await fakeMetabase();
    fake.setLatency(40);
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

  it('refuses an old server that answers every read', async () => {
    const fake = await fakeMetabase('v0.57.2');
    await expect(planAgainst(fake)).rejects.toThrow('Metabase v0.57.2 is not supported');
    expect(fake.writes()).toBe(0);
  });
});
