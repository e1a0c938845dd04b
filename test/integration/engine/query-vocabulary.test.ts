import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTarget } from '../../../src/engine/open-target.ts';
import { pull } from '../../../src/engine/pull.ts';
import { createMetabaseClient } from '../../../src/metabase/client.ts';
import { startFakeMetabase, type FakeCatalog, type FakeMetabase } from '../../support/fake-metabase/index.ts';
import { catalog, env, files } from './fixture-project.ts';
import { openSession, writeProject, type Session } from './harness.ts';

const column = (name: string, base_type: string, database_type: string) => ({ name, base_type, database_type });
/** The fixture's database with the two views the cards below use. */
const withViews: FakeCatalog = Object.fromEntries(Object.entries(catalog).map(([key, db]) => [key, { ...db, tables: [
  ...db.tables,
  { schema: 'analytics', name: 'vw_energy_spend_events', columns: [
    column('event_date', 'type/Date', 'date'), column('event_at', 'type/DateTimeWithLocalTZ', 'timestamptz'), column('user_id', 'type/Text', 'text'),
    column('action', 'type/Text', 'text'), column('module', 'type/Text', 'text'), column('cost', 'type/Integer', 'integer'),
    column('streak_days', 'type/Integer', 'integer'), column('lat', 'type/Float', 'double precision'), column('lon', 'type/Float', 'double precision'),
  ] },
  { schema: 'analytics', name: 'vw_user_energy_health', columns: [
    column('user_id', 'type/Text', 'text'), column('signup_cohort', 'type/Date', 'date'), column('balance', 'type/Integer', 'integer'),
  ] },
] }]));

const vocabularyDashboard = `
key: vocabulaire
name: Vocabulaire
collection: phoenix
cards:
  - key: spend-and-health
    name: Dépenses et santé
    display: table
    query:
      source: analytics.vw_energy_spend_events
      join:
        - source: analytics.vw_user_energy_health
          alias: health
          conditions: [["=", user_id, health.user_id]]
          strategy: left-join
          fields: [balance]
      filter:
        - [time-interval, event_date, current, month, { include_current: true }]
        - [contains, action, aube, { case_sensitive: false }]
        - [between, cost, 1, 50]
        - [not-empty, module]
        - [or, [is-null, health.balance], ["<", health.balance, 10]]
      aggregate:
        - count
        - [count-where, [">=", streak_days, 3], { name: Séries }]
        - [sum-where, cost, ["=", module, aube]]
        - [distinct-where, user_id, [">", cost, 0]]
        - [share, [starts-with, action, "aube.", { case_sensitive: true }]]
        - [percentile, cost, 0.9]
        - distinct(user_id)
      breakout: [event_date:week, health.signup_cohort:month]
      order_by: [-Séries, event_date:week]
      limit: 100
    layout: { row: 0, col: 0, width: 24, height: 6 }
  - key: spend-located
    name: Dépenses localisées
    display: table
    query:
      source: analytics.vw_energy_spend_events
      join: [{ source: analytics.vw_user_energy_health, alias: health, conditions: [["=", user_id, health.user_id]], strategy: inner-join, fields: all }]
      fields: [event_at, user_id, cost]
      filter:
        - [inside, lat, lon, 51.1, -5.2, 41.3, 9.6]
        - [relative-time-interval, event_date, -4, week, -1, week]
        - ["!=", module, test, demo]
        - [time-interval, event_at, -30, day]
      order_by: [-event_at]
      limit: 50
    layout: { row: 6, col: 0, width: 24, height: 6 }
`;

let fake: FakeMetabase;
let project: { root: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  fake = await startFakeMetabase({ catalog: withViews, syncPolls: 1 });
  project = await writeProject({ ...files, 'dashboards/vocabulaire.yaml': vocabularyDashboard });
});
afterEach(async () => {
  await fake.close();
  await project.cleanup();
});

const changes = async (session: Session) =>
  (await session.plan()).plan.stages.flatMap((s) => s.actions).filter((a) => a.op !== 'noop').map((a) => ({ address: a.address, changes: a.changes }));
const stored = (name: string) => [...fake.state.cards.values()].find((c) => c.name === name)!;

describe('the query-builder vocabulary end to end', () => {
  it('applies conditional aggregations, string and time filters and joins, and the next plan is empty', async () => {
    const first = await (await openSession(fake, project.root, env)).apply();
    expect(first.result.failed).toEqual([]);
    const stage = (stored('Dépenses et santé').dataset_query as { stages: Array<Record<string, unknown>> }).stages[0]!;
    expect(stage.joins).toEqual([expect.objectContaining({ 'lib/type': 'mbql/join', alias: 'health', strategy: 'left-join', conditions: [expect.arrayContaining(['='])] })]);
    expect((stage.aggregation as unknown[][]).map((a) => a[0])).toEqual(['count', 'count-where', 'sum-where', 'distinct-where', 'share', 'percentile', 'distinct']);
    expect((stage.filters as unknown[][])[1]).toEqual(['contains', expect.objectContaining({ 'case-sensitive': false }), expect.anything(), 'aube']);
    expect(stored('Dépenses et santé').result_metadata).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'count-where', display_name: 'Séries' }), expect.objectContaining({ name: 'sum_where_cost' })]));

    expect(await changes(await openSession(fake, project.root, env))).toEqual([]);
  });

  it('sees a filter option changed in the UI, puts it back, and then has nothing to do', async () => {
    await (await openSession(fake, project.root, env)).apply();
    const contains = () => ((stored('Dépenses et santé').dataset_query as { stages: Array<{ filters: unknown[][] }> }).stages[0]!.filters[1]![1] as Record<string, unknown>);
    contains()['case-sensitive'] = true;

    const drift = await changes(await openSession(fake, project.root, env));
    expect(drift.map((d) => d.address)).toEqual(['card.spend-and-health']);
    expect(JSON.stringify(drift[0]!.changes)).toContain('case-sensitive');
    await (await openSession(fake, project.root, env)).apply();
    expect(contains()['case-sensitive']).toBe(false);
    expect(await changes(await openSession(fake, project.root, env))).toEqual([]);
  });

  it('pulls a card made in the UI with a join and conditional aggregations (legacy MBQL), and plan then shows no change', async () => {
    await (await openSession(fake, project.root, env)).apply();
    const api = createMetabaseClient({ url: fake.url, auth: { apiKey: fake.apiKey } });
    const table = (name: string) => [...fake.state.tables.values()].find((t) => t.name === name)!.id;
    const field = (tableName: string, name: string) => [...fake.state.fields.values()].find((f) => f.table_id === table(tableName) && f.name === name)!.id;
    const events = (name: string) => ['field', field('vw_energy_spend_events', name), null];
    const phoenix = [...fake.state.collections.values()].find((c) => c.name === 'Phoenix')!.id;
    // What an older client sends: MBQL 4, options last, named aggregations wrapped in aggregation-options.
    const card = await api.post<{ id: number }>('/api/card', {
      name: 'Séries par cohorte', display: 'bar', collection_id: phoenix, visualization_settings: {},
      dataset_query: { type: 'query', database: [...fake.state.databases.values()][0]!.id, query: {
        'source-table': table('vw_energy_spend_events'),
        joins: [{ alias: 'health', 'source-table': table('vw_user_energy_health'), strategy: 'inner-join', fields: 'none',
          condition: ['=', events('user_id'), ['field', field('vw_user_energy_health', 'user_id'), { 'join-alias': 'health' }]] }],
        aggregation: [['aggregation-options', ['count-where', ['>=', events('streak_days'), 3]], { 'display-name': 'Séries' }], ['sum-where', events('cost'), ['contains', events('action'), 'aube', { 'case-sensitive': false }]]],
        breakout: [['field', field('vw_user_energy_health', 'signup_cohort'), { 'join-alias': 'health', 'temporal-unit': 'month' }]],
        filter: ['and', ['time-interval', events('event_date'), -12, 'week', { 'include-current': true }], ['not-null', events('module')]],
        'order-by': [['desc', ['aggregation', 0]]],
      } },
    });
    const dashboard = await api.post<{ id: number }>('/api/dashboard', { name: 'Cohortes (fait main)', collection_id: phoenix });
    await api.put(`/api/dashboard/${dashboard.id}`, { tabs: [], dashcards: [{ id: -1, card_id: card.id, row: 0, col: 0, size_x: 12, size_y: 6, visualization_settings: {}, parameter_mappings: [] }] });

    const target = await openTarget({ configPath: join(project.root, 'metabase.config.yaml'), processEnv: { ...env, MB_URL: fake.url, MB_API_KEY: fake.apiKey } });
    const result = await pull(target, { dashboards: ['Cohortes (fait main)'], outDir: join(project.root, 'dashboards') });
    expect(result.skipped).toEqual([]);
    const yaml = await readFile(join(project.root, 'dashboards/cohortes-fait-main.yaml'), 'utf8');
    expect(yaml).toContain('alias: health');
    expect(yaml).toContain('- [ count-where, [ ">=", streak_days, 3 ], { name: Séries } ]');
    expect(yaml).toContain('- [ sum-where, cost, [ contains, action, aube, { case_sensitive: false } ] ]');
    expect(yaml).toContain('-Séries');

    // The query reads back as it was: the only change is the marker adoption writes.
    const pending = await changes(await openSession(fake, project.root, env));
    expect(pending.flatMap((p) => p.changes.map((c) => `${p.address}: ${c.path}`)).sort()).toEqual(['card.series-par-cohorte: identity', 'dashboard.cohortes-fait-main: identity']);
  });
});
