import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProject } from '../../../src/config/load-project.ts';
import { applyPlan } from '../../../src/engine/apply-plan.ts';
import { makePlan } from '../../../src/engine/make-plan.ts';
import { validateOffline } from '../../../src/engine/validate-offline.ts';
import { createMetabaseClient, readServerInfo } from '../../../src/metabase/client.ts';
import { sqlLayout } from '../../../src/postgres/sql-files.ts';
import { handlers } from '../../../src/resources/registry.ts';
import { catalogFromSandbox } from '../../support/catalog-from-sandbox.ts';
import { startFakeMetabase, type FakeMetabase } from '../../support/fake-metabase/index.ts';

const SHOP = join(import.meta.dirname, '../../fixtures/shop');
const env = { SHOP_REPORTING_RO_PASSWORD: 'shop-ro-password-for-tests' };

// A project that is not Phoenix (test/fixtures/shop): its own schema, views, role, collections and
// dashboards. Nothing in it may depend on a Phoenix name or on this repository's sql/ folder.
describe('the shop example project', () => {
  let fake: FakeMetabase;
  beforeAll(async () => {
    const catalog = await catalogFromSandbox({ host: 'localhost', dbname: 'shop', password: env.SHOP_REPORTING_RO_PASSWORD, schemas: ['reporting'], sql: sqlLayout(SHOP, { sql_dir: 'sql', schema: 'reporting' }) });
    fake = await startFakeMetabase({ catalog, syncPolls: 1 });
  });
  afterAll(async () => fake?.close());

  const session = async () => {
    const project = await loadProject({ configPath: join(SHOP, 'metabase.config.yaml'), env });
    const api = createMetabaseClient({ url: fake.url, auth: { apiKey: fake.apiKey }, retryBaseMs: 1 });
    const server = await readServerInfo(api);
    const target = { environment: 'local', url: fake.url };
    return { project, api, server, plan: () => makePlan({ project, api, server, target, handlers, allowArchive: false }) };
  };

  it('validates offline against its own views', async () => {
    const project = await loadProject({ configPath: join(SHOP, 'metabase.config.yaml'), env });
    const summary = await validateOffline(project);
    expect(summary.issues).toEqual([]);
    expect(summary).toMatchObject({ dashboards: 2, cards: 5, nativeCompiled: 1 });
  });

  it('applies end to end, then plans no change', async () => {
    const { project, api, server, plan } = await session();
    const result = await applyPlan({ state: await plan(), handlers, context: { api, project, server, progress: () => {}, pollIntervalMs: 5 }, emit: () => {} });
    expect(result.failed).toEqual([]);
    expect(fake.requests.filter((r) => r.status >= 400).map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([]);
    expect([...fake.state.dashboards.values()].map((d) => d.name).sort()).toEqual(['Shop – Customers', 'Shop – Sales']);
    expect([...fake.state.cards.values()].filter((c) => c.type === 'model').map((c) => c.name)).toEqual(['Revenue by country']);
    expect([...fake.state.pulses.values()]).toHaveLength(1);
    const sales = fake.state.groups.find((g) => g.name === 'Sales')!;
    const shop = [...fake.state.collections.values()].find((c) => c.name === 'Shop')!;
    expect(fake.state.graph.groups[String(sales.id)]?.[String(shop.id)]).toBe('read');
    // Nothing Phoenix was sent: no name, schema or role of the other project.
    const sent = JSON.stringify(fake.requests.filter((r) => r.method !== 'GET').map((r) => r.body));
    expect(sent).not.toMatch(/phoenix|analytics\./i);

    const again = await plan();
    expect(again.plan.stages.flatMap((s) => s.actions).filter((a) => a.op !== 'noop').map((a) => a.address)).toEqual([]);
  });
});
