import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProject } from '../../../src/config/load-project.ts';
import { makePlan } from '../../../src/engine/make-plan.ts';
import { createMetabaseClient, readServerInfo } from '../../../src/metabase/client.ts';
import { handlers } from '../../../src/resources/registry.ts';
import { env, files } from './fixture-project.ts';
import { useFakeMetabase } from './harness.ts';

/** The most requests the fake was answering at one time, from when each came in and went out. */
function peakInFlight(requests: Array<{ received?: number; answered?: number }>): number {
  return Math.max(...requests.map((at) => requests.filter((r) => r.received! <= at.received! && at.received! < r.answered!).length));
}

describe('reads of a plan', () => {
  const t = useFakeMetabase({ files });

  // The dashboards of the managed collections are read one request each: at the concurrency the
  // user chose (--concurrency, `concurrency:` in the config), never more, and never a fixed lower one.
  it.each([4, 16])('reads dashboards %i at a time when the client allows that many', async (concurrency) => {
    await t.apply(t.root);
    const collection = [...t.fake.state.collections.values()].find((c) => c.name === 'Phoenix')!;
    const api = createMetabaseClient({ url: t.fake.url, auth: { apiKey: t.fake.apiKey }, concurrency });
    // Someone else's dashboards beside mb-sync's: read with the others (they may be the ones to adopt).
    for (let i = 0; i < 40; i++) await api.post('/api/dashboard', { name: `Other ${i}`, collection_id: collection.id });
    t.fake.setLatency(40);
    t.fake.resetLog();
    const project = await loadProject({ configPath: join(t.root, 'metabase.config.yaml'), env });
    await makePlan({ project, api, server: await readServerInfo(api), target: { environment: 'test', url: t.fake.url }, handlers, allowArchive: false });
    const reads = t.fake.requests.filter((r) => r.method === 'GET' && /^\/api\/dashboard\/\d+$/.test(r.path));
    expect(reads.length).toBeGreaterThan(40);
    const peak = peakInFlight(reads);
    expect(peak).toBeLessThanOrEqual(concurrency);
    expect(peak).toBeGreaterThan(concurrency === 4 ? 2 : 8);
    // A handler with many reads hands the client a few at a time: what another kind asks meanwhile
    // (the alerts' list, read once the cards are) does not wait behind all of them.
    const all = t.fake.requests;
    const alerts = all.findIndex((r) => r.path === '/api/notification');
    expect(alerts).toBeGreaterThan(0);
    expect(all.slice(alerts).filter((r) => reads.includes(r)).length).toBeGreaterThan(concurrency);
  });

  // A first plan (or one with a new collection) reads the collections' Trash too, one round trip more:
  // the cards' Trash does not wait for it, nor for the database's metadata; nor does the Trash where
  // the dashboards archived on their own are.
  it('asks for the cards and dashboards in the Trash with the first lists, not after the collections and the database', async () => {
    const api = createMetabaseClient({ url: t.fake.url, auth: { apiKey: t.fake.apiKey } });
    const server = await readServerInfo(api);
    t.fake.setLatency(40);
    t.fake.resetLog();
    const project = await loadProject({ configPath: join(t.root, 'metabase.config.yaml'), env });
    await makePlan({ project, api, server, target: { environment: 'test', url: t.fake.url }, handlers, allowArchive: false });
    const first = (test: (r: { method: string; path: string; query?: string }) => boolean) => t.fake.requests.find((r) => r.method === 'GET' && test(r))!;
    const cardTrash = first((r) => r.path === '/api/card' && r.query === '?f=archived');
    const collections = first((r) => r.path === '/api/collection' && r.query === '');
    const collectionTrash = first((r) => r.path === '/api/collection' && /archived=true/.test(r.query ?? ''));
    expect(collectionTrash).toBeDefined();
    expect(cardTrash.received!).toBeLessThan(collections.answered!);
    const trash = first((r) => r.path === '/api/collection/trash');
    expect(trash.received!).toBeLessThan(collections.answered!);
  });

  // Cards are read without waiting for the collections, but normalised with them: a card's
  // collection is compared by key, which only the collections' read knows.
  it('compares cards by their collection even when the collections answer last', async () => {
    await t.apply(t.root);
    t.fake.injectFault({ method: 'GET', path: '/api/collection' }, { delayMs: 300, times: 2 });
    const plan = await t.plan(t.root);
    expect(plan.summary).toMatchObject({ create: 0, update: 0, archive: 0 });
  });
});
