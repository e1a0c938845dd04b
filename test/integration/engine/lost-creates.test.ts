import { describe, expect, it } from 'vitest';
import { openSession, useFakeMetabase } from './harness.ts';
import { env, files } from './fixture-project.ts';

// A create that went through but whose answer was lost (the connection dropped after the write) is
// looked up by its identity before anything is created again: one apply, no duplicate, every kind.
const t = useFakeMetabase({ files });

const count = () => ({
  groups: t.fake.state.groups.length,
  databases: t.fake.state.databases.size,
  collections: t.fake.state.collections.size,
  cards: t.fake.state.cards.size,
  dashboards: t.fake.state.dashboards.size,
  pulses: t.fake.state.pulses.size,
  notifications: t.fake.state.notifications.size,
});
const EXPECTED = { groups: 3, databases: 1, collections: 2, cards: 3, dashboards: 1, pulses: 1, notifications: 1 };

describe('a create whose answer was lost', () => {
  it.each([
    ['group', '/api/permissions/group'],
    ['database', '/api/database'],
    ['collection', '/api/collection'],
    ['card', '/api/card'],
    ['dashboard', '/api/dashboard'],
    ['subscription', '/api/pulse'],
    ['alert', '/api/notification'],
  ])('%s: one apply succeeds and nothing is made twice', async (_kind, path) => {
    t.fake.injectFault({ method: 'POST', path }, { afterWrite: true, dropConnection: true });
    const { result } = await (await openSession(t.fake, t.root, env)).apply();
    expect(result.failed).toEqual([]);
    expect(count()).toEqual(EXPECTED);
    const next = await (await openSession(t.fake, t.root, env)).plan();
    expect(next.plan.stages.flatMap((s) => s.actions).filter((a) => a.op !== 'noop').map((a) => a.address)).toEqual([]);
  });

  it('a group made meanwhile by someone else ("already exists") is adopted, not an error', async () => {
    t.fake.state.groups.push({ id: 9_001, name: 'Product' });
    const session = await openSession(t.fake, t.root, env);
    const plan = await session.plan();
    expect(plan.plan.stages.find((s) => s.kind === 'group')!.actions[0]!.op).toBe('noop');
    t.fake.state.groups.pop();
    const state = await session.plan();
    t.fake.state.groups.push({ id: 9_002, name: 'Product' });
    const { applyPlan } = await import('../../../src/engine/apply-plan.ts');
    const { handlers } = await import('../../../src/resources/registry.ts');
    const result = await applyPlan({ state, handlers, context: { api: session.api, project: session.project, server: session.server, progress: () => {}, pollIntervalMs: 5 }, emit: () => {} });
    expect(result.failed).toEqual([]);
    expect(t.fake.state.groups.filter((g) => g.name === 'Product')).toHaveLength(1);
  });
});

describe('a permissions graph edited by someone else meanwhile', () => {
  it('409 on the graph: it is read again and the change applied on the new revision', async () => {
    t.fake.injectFault({ method: 'PUT', path: '/api/collection/graph' }, { status: 409, body: 'Looks like someone else edited the permissions and your data is out of date. Please fetch new data and try again.' });
    const { result } = await (await openSession(t.fake, t.root, env)).apply();
    expect(result.failed).toEqual([]);
    const product = t.fake.state.groups.find((g) => g.name === 'Product')!;
    const phoenix = [...t.fake.state.collections.values()].find((c) => c.name === 'Phoenix')!;
    expect(t.fake.state.graph.groups[String(product.id)]?.[String(phoenix.id)]).toBe('read');
    expect(t.fake.requests.filter((r) => r.method === 'PUT' && r.path === '/api/collection/graph').map((r) => r.status)).toEqual([409, 200]);
  });
});
