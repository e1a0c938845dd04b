import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProject } from '../../../src/config/load-project.ts';
import { applyPlan } from '../../../src/engine/apply-plan.ts';
import { makePlan } from '../../../src/engine/make-plan.ts';
import { createMetabaseClient, readServerInfo } from '../../../src/metabase/client.ts';
import { handlers } from '../../../src/resources/registry.ts';
import { catalogFromSandbox } from '../../support/catalog-from-sandbox.ts';
import { startFakeMetabase, type FakeMetabase } from '../../support/fake-metabase/index.ts';

const ROOT = join(import.meta.dirname, '../../..');
const env = { PHOENIX_ANALYTICS_RO_PASSWORD: 'ro-password-for-tests' };

// The Phoenix project of this repository, applied to fake Metabases of two versions whose
// database "contains" exactly the columns of the real views.
describe.each(['v0.58.15', 'v0.63.2'])('the Phoenix project on Metabase %s', (version) => {
  let fake: FakeMetabase;
  beforeAll(async () => {
    const catalog = await catalogFromSandbox({ host: 'localhost', dbname: 'phoenix', password: env.PHOENIX_ANALYTICS_RO_PASSWORD });
    fake = await startFakeMetabase({ version, catalog, syncPolls: 2 });
  });
  afterAll(async () => fake?.close());

  const session = async () => {
    const project = await loadProject({ configPath: join(ROOT, 'metabase.config.yaml'), env });
    const api = createMetabaseClient({ url: fake.url, auth: { apiKey: fake.apiKey }, retryBaseMs: 1 });
    const server = await readServerInfo(api);
    const target = { environment: 'test', url: fake.url };
    return { project, api, server, plan: () => makePlan({ project, api, server, target, handlers, allowArchive: false }) };
  };

  it('creates the database, metadata, collections, permissions, models, dashboards, subscription and alerts', async () => {
    const { project, api, server, plan } = await session();
    const state = await plan();
    const result = await applyPlan({ state, handlers, context: { api, project, server, progress: () => {}, pollIntervalMs: 5 }, emit: () => {} });
    expect(result.failed).toEqual([]);
    // Every body was checked against Metabase's published schemas and server rules: none refused.
    expect(fake.requests.filter((r) => r.status >= 400).map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([]);
    // The cards ordered by an aggregation go out with refs to that aggregation's lib/uuid.
    const orderedByAggregation = [...fake.state.cards.values()].filter((c) => JSON.stringify(c.dataset_query).includes('"aggregation",{'));
    expect(orderedByAggregation.map((c) => c.name).length).toBeGreaterThanOrEqual(4);
    for (const card of orderedByAggregation) {
      const stage = (card.dataset_query as { stages: Array<Record<string, unknown[][]>> }).stages[0]!;
      const uuids = stage.aggregation!.map((a) => (a[1] as Record<string, string>)['lib/uuid']);
      const refs = stage['order-by']!.map((o) => o[2] as unknown[]).filter((t) => t[0] === 'aggregation').map((t) => t[2]);
      expect(refs.every((r) => uuids.includes(r as string))).toBe(true);
    }
    // Models keep every column Metabase computed, with the files' names over them.
    const models = [...fake.state.cards.values()].filter((c) => c.type === 'model');
    for (const model of models) {
      const columns = model.result_metadata as Array<Record<string, unknown>>;
      expect(columns.length).toBeGreaterThan(0);
      for (const column of columns) expect(column).toMatchObject({ name: expect.any(String), display_name: expect.any(String), base_type: expect.any(String) });
    }
    const health = models.find((m) => m.name === 'Santé énergie des utilisateurs')!;
    expect((health.result_metadata as Array<Record<string, unknown>>).find((c) => c.name === 'balance')).toMatchObject({ display_name: 'Solde', semantic_type: 'type/Quantity' });
    const names = [...fake.state.dashboards.values()].map((d) => d.name).sort();
    expect(names).toEqual(['Activation', 'Aube & Rituels', 'Constellations', 'Phoenix – Energie Live']);
    expect([...fake.state.cards.values()].filter((c) => c.type === 'model')).toHaveLength(3);
    expect([...fake.state.notifications.values()]).toHaveLength(2);
    const pulse = [...fake.state.pulses.values()][0]!;
    expect(pulse.channels).toMatchObject([{ schedule_type: 'weekly', schedule_day: 'mon', schedule_hour: 8 }]);
    const product = fake.state.groups.find((g) => g.name === 'Product')!;
    const phoenix = [...fake.state.collections.values()].find((c) => c.name === 'Phoenix')!;
    expect(fake.state.graph.groups[String(product.id)]?.[String(phoenix.id)]).toBe('read');
    expect(fake.state.graph.groups['1']?.[String(phoenix.id)]).toBeUndefined();
    const module = [...fake.state.fields.values()].find((f) => f.name === 'module' && fake.state.tables.get(f.table_id as number)?.name === 'vw_daily_energy_ledger')!;
    expect(module).toMatchObject({ display_name: 'Module', semantic_type: 'type/Category', has_field_values: 'list' });
  });

  it('plans no change right after, and a second apply writes nothing', async () => {
    const { project, api, server, plan } = await session();
    const state = await plan();
    const changed = state.plan.stages.flatMap((s) => s.actions).filter((a) => a.op !== 'noop');
    expect(changed.map((a) => ({ address: a.address, changes: a.changes }))).toEqual([]);
    fake.resetLog();
    const cards = fake.state.cards.size;
    await applyPlan({ state, handlers, context: { api, project, server, progress: () => {} }, emit: () => {} });
    expect(fake.writes()).toBe(0);
    expect(fake.state.cards.size).toBe(cards);
  });
});
