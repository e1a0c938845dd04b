import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeMetabase, type FakeMetabase } from '../../support/fake-metabase/index.ts';
import { openSession, writeProject } from './harness.ts';
import { catalog, DB_PASSWORD, env, files } from './fixture-project.ts';

let fake: FakeMetabase;
let project: { root: string; cleanup: () => Promise<void> };

beforeEach(async () => {
  fake = await startFakeMetabase({ catalog, syncPolls: 2 });
  project = await writeProject(files);
});
afterEach(async () => {
  await fake.close();
  await project.cleanup();
});

describe('plan → apply → plan against the fake Metabase', () => {
  it('creates everything on a fresh instance, then the next plan has no changes and the next apply writes nothing', async () => {
    const session = await openSession(fake, project.root, env);
    const first = await session.apply();
    expect(first.result.failed).toEqual([]);
    expect(first.state.plan.summary.create).toBeGreaterThan(8);

    const db = [...fake.state.databases.values()][0]!;
    expect((db.details as Record<string, unknown>).password).toBe(DB_PASSWORD);
    expect(db.details).toMatchObject({ 'schema-filters-type': 'inclusion', 'schema-filters-patterns': 'analytics' });
    const dashboard = [...fake.state.dashboards.values()][0]!;
    const dashcards = [...fake.state.dashcards.values()].filter((d) => d.dashboard_id === dashboard.id);
    expect(dashcards).toHaveLength(3);
    expect([...fake.state.pulses.values()]).toHaveLength(1);
    expect([...fake.state.notifications.values()]).toHaveLength(1);
    const product = fake.state.groups.find((g) => g.name === 'Product')!;
    const phoenix = [...fake.state.collections.values()].find((c) => c.name === 'Phoenix')!;
    expect(fake.state.graph.groups[String(product.id)]?.[String(phoenix.id)]).toBe('read');

    const again = await openSession(fake, project.root, env);
    const second = await again.plan();
    const changed = second.plan.stages.flatMap((s) => s.actions).filter((a) => a.op !== 'noop');
    expect(changed.map((a) => ({ address: a.address, changes: a.changes }))).toEqual([]);
    fake.resetLog();
    const noop = await again.apply();
    expect(noop.result.applied).toEqual([]);
    expect(fake.writes()).toBe(0);
  });
});
