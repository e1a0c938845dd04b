import { describe, expect, it } from 'vitest';
import { openSession, useFakeMetabase } from './harness.ts';
import { env, files } from './fixture-project.ts';

// A create the server carries out after the client stopped waiting (not a lost answer: when the
// client looks, the object is not there yet). It must never leave a second object that no plan
// lists: it is looked for a while, then failed without being sent again, and the next apply finds it.
const t = useFakeMetabase({ files });

const active = (map: Map<number, unknown>) => [...map.values()].filter((v) => !(v as { archived?: boolean }).archived).length;
const count = () => ({
  groups: t.fake.state.groups.length,
  databases: t.fake.state.databases.size,
  collections: active(t.fake.state.collections),
  cards: active(t.fake.state.cards),
  dashboards: active(t.fake.state.dashboards),
  pulses: active(t.fake.state.pulses),
  notifications: t.fake.state.notifications.size,
});
const EXPECTED = { groups: 3, databases: 1, collections: 2, cards: 3, dashboards: 1, pulses: 1, notifications: 1 };
const posts = (path: string) => t.fake.requests.filter((r) => r.method === 'POST' && r.path === path);
const changes = async () => (await (await openSession(t.fake, t.root, env)).plan()).plan.stages.flatMap((s) => s.actions).filter((a) => a.op !== 'noop').map((a) => a.address);

/** Resolves once every POST to `path` that reached the server has been answered (the slow one too). */
function answered(path: string): () => Promise<void> {
  let arrived = 0;
  t.fake.onRequest((r) => void (r.method === 'POST' && r.path === path && arrived++));
  return async () => {
    while (posts(path).length < arrived) await new Promise((resolve) => setTimeout(resolve, 50));
  };
}

// The client waits 1 s; the server writes after 5 s, later than the client's look-ups (3 s more).
const SLOW = { delayMs: 5_000 };
const client = { timeoutMs: 1_000 };

describe('a create that lands after the client stopped waiting', () => {
  it.each([
    ['collection', '/api/collection'],
    ['card', '/api/card'],
    ['dashboard', '/api/dashboard'],
    ['subscription', '/api/pulse'],
    ['alert', '/api/notification'],
    ['database', '/api/database'],
  ])('%s: failed as "not sent again", found by the next apply, never made twice', async (kind, path) => {
    t.fake.injectFault({ method: 'POST', path }, SLOW);
    const done = answered(path);
    const { result } = await (await openSession(t.fake, t.root, env, client)).apply();
    expect(result.failed.map((f) => f.address.split('.')[0])).toEqual([kind]);
    expect(result.failed[0]!.error).toMatch(/outcome unknown, not sent again.*next plan finds it/);
    await done();
    // Each object was asked for once (the other cards are the other POSTs to /api/card).
    const names = posts(path).map((r) => (r.body as { name?: string }).name);
    expect(new Set(names).size).toBe(names.length);
    const next = await (await openSession(t.fake, t.root, env)).apply();
    expect(next.result.failed).toEqual([]);
    expect(count()).toEqual(EXPECTED);
    expect(await changes()).toEqual([]);
  }, 30_000);

  it('a gateway\'s 504 is a timeout too: not sent again, and made by the next apply when it never landed', async () => {
    t.fake.injectFault({ method: 'POST', path: '/api/card' }, { status: 504 });
    const { result } = await (await openSession(t.fake, t.root, env)).apply();
    expect(result.failed.map((f) => f.address.split('.')[0])).toEqual(['card']);
    expect(result.failed[0]!.error).toMatch(/HTTP 504.*outcome unknown, not sent again/);
    const names = posts('/api/card').map((r) => (r.body as { name?: string }).name);
    expect(new Set(names).size).toBe(names.length);
    expect((await (await openSession(t.fake, t.root, env)).apply()).result.failed).toEqual([]);
    expect(count()).toEqual(EXPECTED);
    expect(await changes()).toEqual([]);
  }, 30_000);

  it('group: sent again, since the server refuses a second group of one name', async () => {
    t.fake.injectFault({ method: 'POST', path: '/api/permissions/group' }, SLOW);
    const done = answered('/api/permissions/group');
    const { result } = await (await openSession(t.fake, t.root, env, client)).apply();
    expect(result.failed).toEqual([]);
    await done();
    expect(count()).toEqual(EXPECTED);
    expect(await changes()).toEqual([]);
  }, 30_000);
});

// A create sent again after a lost answer (a 502 from a proxy, say) whose first request the server
// still carries out afterwards: two objects, both mb-sync's. The later one must be visible, listed as
// a duplicate and archived by the next apply, not taken for a person's copy and left for ever.
// A dashboard's or an alert's create carries no marker: after a lost answer it is never sent again
// (both landing would leave one nobody's, listed by no plan); the next apply finds the one that landed.
describe('a create that cannot carry its marker, whose answer is lost', () => {
  it.each([
    ['dashboard', '/api/dashboard'],
    ['alert', '/api/notification'],
  ])('%s: sent once, failed as outcome unknown, and found by the next apply when it lands after all', async (_kind, path) => {
    t.fake.injectFault({ method: 'POST', path }, { status: 502 });
    const session = await openSession(t.fake, t.root, env);
    const failed = (await session.apply()).result.failed;
    expect(failed.map((f) => f.error).join('\n')).toContain('outcome unknown, not sent again');
    expect(posts(path)).toHaveLength(1);
    const first = posts(path)[0]!;
    await session.api.post(path, first.body);
    expect((await (await openSession(t.fake, t.root, env)).apply()).result.failed).toEqual([]);
    expect(count()).toEqual(EXPECTED);
    expect(await changes()).toEqual([]);
  }, 30_000);
});

describe('a create sent again whose first request lands after all', () => {
  it.each([
    ['card', '/api/card'],
    ['subscription', '/api/pulse'],
  ])('%s: the later one is archived by the next apply as mb-sync\'s duplicate', async (kind, path) => {
    t.fake.injectFault({ method: 'POST', path }, { status: 502 });
    const session = await openSession(t.fake, t.root, env);
    expect((await session.apply()).result.failed).toEqual([]);
    const first = posts(path).find((r) => r.status === 502)!;
    await session.api.post(path, first.body);
    const next = await (await openSession(t.fake, t.root, env)).plan();
    const archived = next.plan.stages.flatMap((s) => s.actions).filter((a) => a.op === 'archive');
    expect(archived.map((a) => [a.kind, a.note])).toEqual([[kind, expect.stringMatching(new RegExp(`^duplicate of ${kind}\\.`))]]);
    expect((await (await openSession(t.fake, t.root, env)).apply()).result.failed).toEqual([]);
    expect(count()).toEqual(EXPECTED);
    expect(await changes()).toEqual([]);
  });
});
