import { describe, expect, it } from 'vitest';
import { openSession, useFakeMetabase } from './harness.ts';
import { env, files } from './fixture-project.ts';

// Things a real Metabase does to what it is sent (metabase-api.md §11), which the fake reproduces:
// each test fails on a client that trusts its own request instead of what the server keeps.
const t = useFakeMetabase();

async function project(edit: (f: Record<string, string>) => Record<string, string> = (f) => f): Promise<string> {
  return t.project(edit({ ...files }));
}
async function pending(root: string): Promise<string[]> {
  const state = await (await openSession(t.fake, root, env)).plan();
  return state.plan.stages.flatMap((s) => s.actions).filter((a) => a.op !== 'noop').map((a) => `${a.op} ${a.address}: ${a.changes.map((c) => c.path).join(', ')}`);
}

describe('what Metabase keeps of what it is sent', () => {
  it('database sync schedules: the ones in the files are kept (let-user-control-scheduling) and read from the database itself', async () => {
    const root = await project((f) => ({ ...f, 'metabase.config.yaml': f['metabase.config.yaml']!.replace('sync: { timeout_seconds: 5 }', 'sync: { timeout_seconds: 5, metadata: daily, field_values: weekly }') }));
    await (await openSession(t.fake, root, env)).apply();
    const db = [...t.fake.state.databases.values()][0]!;
    expect(db.schedules).toMatchObject({ metadata_sync: { schedule_type: 'daily' }, cache_field_values: { schedule_type: 'weekly' } });
    expect(await pending(root)).toEqual([]);
    // Changed by hand in the admin settings: the plan says so, the apply puts it back.
    (db.schedules as Record<string, Record<string, unknown>>).metadata_sync = { schedule_type: 'hourly', schedule_minute: 5 };
    expect(await pending(root)).toEqual(['update database.phoenix: schedules.metadata_sync.schedule_type']);
    await (await openSession(t.fake, root, env)).apply();
    expect(await pending(root)).toEqual([]);
  });

  it('subscriptions renamed by Metabase after each dashboard update keep their identity, two on one dashboard stay two, and a person\'s own is left alone', async () => {
    const root = await project((f) => ({ ...f, 'dashboards/energie.yaml': f['dashboards/energie.yaml']!.replace('    to: [list:team]\n', '    to: [list:team]\n  - key: daily\n    schedule: { every: day, hour: 7 }\n    to: [alice@example.com]\n') }));
    await (await openSession(t.fake, root, env)).apply();
    const pulses = () => [...t.fake.state.pulses.values()].filter((p) => p.archived !== true);
    expect(pulses()).toHaveLength(2);
    const dashboard = [...t.fake.state.dashboards.values()][0]!;
    const own = { id: 66_001, name: dashboard.name, dashboard_id: dashboard.id, archived: false, skip_if_empty: false, parameters: [], cards: [], channels: [{ channel_type: 'email', enabled: true, schedule_type: 'daily', schedule_hour: 9, recipients: [{ email: 'someone@example.com' }], details: {} }] };
    t.fake.state.pulses.set(own.id, own);
    // Renaming the dashboard renames every subscription on it.
    const renamed = await project((f) => ({ ...f, 'dashboards/energie.yaml': f['dashboards/energie.yaml']!.replace('name: Phoenix – Energie Live', 'name: Énergie en direct').replace('    to: [list:team]\n', '    to: [list:team]\n  - key: daily\n    schedule: { every: day, hour: 7 }\n    to: [alice@example.com]\n') }));
    await (await openSession(t.fake, renamed, env)).apply();
    expect(pulses().map((p) => p.name)).toEqual(['Énergie en direct', 'Énergie en direct', 'Énergie en direct']);
    expect(pulses()).toHaveLength(3);
    expect(await pending(renamed)).toEqual([]);
    expect(t.fake.state.pulses.get(own.id)).toMatchObject({ archived: false, channels: [expect.objectContaining({ schedule_hour: 9 })] });
  });

  it('a column set to auto-list reads back as list, and that is no change', async () => {
    const root = await project((f) => ({ ...f, 'metabase.config.yaml': f['metabase.config.yaml']!.replace('values: list', 'values: auto-list') }));
    await (await openSession(t.fake, root, env)).apply();
    const module = [...t.fake.state.fields.values()].find((f) => f.name === 'module')!;
    expect(module.has_field_values).toBe('auto-list');
    expect(await pending(root)).toEqual([]);
  });

  it('SQL without variables: an empty template-tags map the server drops on save is no change', async () => {
    const root = await project((f) => ({ ...f, 'metabase.config.yaml': f['metabase.config.yaml']!.replace('alerts:', '  - key: plain\n    name: Plain SQL\n    collection: alerting\n    sql: SELECT 1 AS one\nalerts:') }));
    await (await openSession(t.fake, root, env)).apply();
    const card = [...t.fake.state.cards.values()].find((c) => c.name === 'Plain SQL')!;
    const stage = (card.dataset_query as { stages: Array<Record<string, unknown>> }).stages[0]!;
    expect(stage['template-tags']).toEqual({});
    // What Metabase's normaliser may do to `{}` on save (the legacy one always did).
    delete stage['template-tags'];
    expect(await pending(root)).toEqual([]);
  });
});

describe('a request Metabase refuses', () => {
  it('is reported at the file, line and YAML path that produced it, with the body sent kept for --debug', async () => {
    const root = await project();
    const refusal = { errors: { dataset_query: 'value must be a valid query.' }, 'specific-errors': { dataset_query: { stages: [{ 'order-by': [[null, null, ['Invalid :aggregation reference']]] }] } } };
    t.fake.injectFault({ method: 'POST', path: '/api/card' }, { status: 400, body: refusal, times: 3 });
    const { result } = await (await openSession(t.fake, root, env)).apply();
    const failed = result.failed.find((f) => f.address === 'card.spend-by-module')!;
    const line = files['dashboards/energie.yaml']!.split('\n').findIndex((l) => l.includes('order_by: [-sum(total_spent)]')) + 1;
    expect(failed.error).toContain('POST /api/card: HTTP 400');
    expect(failed.error).toContain(`.yaml:${line}: cards[spend-by-module].query.order_by[0]: Invalid :aggregation reference (request: dataset_query.stages.0.order-by.0.2)`);
    expect(JSON.parse(failed.sent!)).toMatchObject({ name: 'Dépenses par module', dataset_query: { 'lib/type': 'mbql/query' } });
  });
});
