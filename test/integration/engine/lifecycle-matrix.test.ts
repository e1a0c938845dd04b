import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeMetabase, type FakeMetabase } from '../../support/fake-metabase/index.ts';
import type { Row } from '../../support/fake-metabase/state.ts';
import { openSession, writeProject } from './harness.ts';
import { catalog, env, files } from './fixture-project.ts';

// The lifecycle of every kind: changed "in the UI", the plan shows it field by field, apply undoes
// it and the next plan is empty; removed from the files, it is listed, kept without
// --allow-archive and archived with it (or, for kinds with no Trash, listed nowhere and left alone).

const MODEL = `key: ledger-model
name: Ledger (model)
type: model
collection: phoenix
query: { source: analytics.vw_daily_energy_ledger }
`;
const TABBED = `key: tabbed
name: Phoenix – Onglets
collection: phoenix
tabs:
  - { key: spend, name: Dépenses }
  - { key: packs, name: Packs }
cards:
  - key: packs-total
    name: Packs vendus
    display: scalar
    sql: SELECT sum(purchases) AS purchases FROM analytics.vw_pack_funnel
    tab: packs
    layout: { row: 0, col: 0, width: 6, height: 3 }
  - text: Dépenses du jour
    tab: spend
    layout: { row: 0, col: 0, width: 24, height: 2 }
`;
const EXTRA_COLLECTION = `      - { key: archive-me, name: Ancien }
`;
const base: Record<string, string> = {
  ...files,
  'metabase.config.yaml': files['metabase.config.yaml']!.replace('      - { key: alerting, name: Alertes }\n', `      - { key: alerting, name: Alertes }\n${EXTRA_COLLECTION}`),
  'models/ledger-model.yaml': MODEL,
  'dashboards/tabbed.yaml': TABBED,
};

let fake: FakeMetabase;
const cleanups: Array<() => Promise<void>> = [];
beforeEach(async () => {
  fake = await startFakeMetabase({ catalog, syncPolls: 1 });
});
afterEach(async () => {
  await fake.close();
  for (const c of cleanups.splice(0)) await c();
});

async function project(f: Record<string, string>): Promise<string> {
  const written = await writeProject(f);
  cleanups.push(written.cleanup);
  return written.root;
}
async function plan(root: string, allowArchive = false) {
  return (await (await openSession(fake, root, env)).plan({ allowArchive })).plan;
}
async function apply(root: string, allowArchive = false) {
  const { result } = await (await openSession(fake, root, env)).apply({ allowArchive });
  expect(result.failed).toEqual([]);
  return result;
}
/** Every action that is not a no-op, and every orphan, as `op address`. */
async function pending(root: string, allowArchive = false): Promise<string[]> {
  const p = await plan(root, allowArchive);
  return [...p.stages.flatMap((s) => s.actions).filter((a) => a.op !== 'noop').map((a) => `${a.op} ${a.address}`), ...p.orphans.map((o) => `orphan ${o.address}`)];
}

const byName = (rows: Iterable<Row>, name: string): Row => {
  const row = [...rows].find((r) => r.name === name);
  if (!row) throw new Error(`no ${name} in the fake`);
  return row;
};
const cardNamed = (name: string) => byName(fake.state.cards.values(), name);
const dashboardNamed = (name: string) => byName(fake.state.dashboards.values(), name);
const collectionNamed = (name: string) => byName(fake.state.collections.values(), name);

interface DriftRow {
  address: string;
  /** What a person changes in the Metabase UI (the fake's state, directly). */
  change(): void;
  /** Field paths the plan must show, with their before → after. */
  shows: Array<{ path: string; before: unknown; after: unknown }>;
}

const DRIFT: DriftRow[] = [
  {
    address: 'database.phoenix',
    change: () => { const db = [...fake.state.databases.values()][0]!; db.details = { ...(db.details as Row), host: 'elsewhere.internal' }; },
    shows: [{ path: 'details.host', before: 'elsewhere.internal', after: 'pg.internal' }],
  },
  {
    address: 'table-metadata.analytics.vw_daily_energy_ledger',
    change: () => { byName(fake.state.tables.values(), 'vw_daily_energy_ledger').display_name = 'Renommée'; },
    shows: [{ path: 'table.display_name', before: 'Renommée', after: 'Ledger énergie' }],
  },
  {
    address: 'table-metadata.analytics.vw_daily_energy_ledger',
    change: () => { Object.assign(byName(fake.state.fields.values(), 'module'), { semantic_type: null }); },
    shows: [{ path: 'columns.module.semantic_type', before: null, after: 'type/Category' }],
  },
  {
    address: 'collection.alerting',
    change: () => { collectionNamed('Alertes').description = 'edited in the UI'; },
    shows: [{ path: 'description', before: 'edited in the UI', after: null }],
  },
  {
    address: 'collection-permissions.product/phoenix',
    change: () => { const product = fake.state.groups.find((g) => g.name === 'Product')!; fake.state.graph.groups[String(product.id)]![String(collectionNamed('Phoenix').id)] = 'write'; },
    shows: [{ path: 'access', before: 'write', after: 'read' }],
  },
  {
    address: 'card.spend-by-module',
    change: () => { Object.assign(cardNamed('Dépenses par module'), { name: 'Renamed in the UI', display: 'line' }); },
    shows: [{ path: 'name', before: 'Renamed in the UI', after: 'Dépenses par module' }, { path: 'display', before: 'line', after: 'bar' }],
  },
  {
    address: 'card.ledger-model',
    change: () => { cardNamed('Ledger (model)').description = 'a note typed in the UI'; },
    shows: [{ path: 'description', before: 'a note typed in the UI', after: null }],
  },
  {
    // A group's only field is its name, which is also how it is found: renamed in the UI, it is
    // no longer found, so the plan creates the one the files name (the renamed one is left alone).
    address: 'group.product',
    change: () => { fake.state.groups.find((g) => g.name === 'Product')!.name = 'Product (renamed)'; },
    shows: [],
  },
  {
    address: 'alert.zero-surge',
    change: () => { const n = [...fake.state.notifications.values()][0]!; (n.subscriptions as Row[])[0]!.cron_schedule = '0 0 9 * * ? *'; },
    shows: [{ path: 'cron', before: '0 0 9 * * ? *', after: expect.any(String) }],
  },
  {
    address: 'subscription.energie/weekly',
    change: () => { const pulse = [...fake.state.pulses.values()][0]!; (pulse.channels as Row[])[0]!.schedule_hour = 11; },
    shows: [{ path: 'schedule.schedule_hour', before: 11, after: 8 }],
  },
  {
    address: 'dashboard.tabbed',
    change: () => {
      const d = dashboardNamed('Phoenix – Onglets');
      const tab = [...fake.state.tabs.values()].find((t) => t.dashboard_id === d.id && t.name === 'Packs')!;
      tab.name = 'Renamed tab';
      d.width = 'full';
    },
    shows: [{ path: 'width', before: 'full', after: 'fixed' }, { path: 'tabs[1].name', before: 'Renamed tab', after: 'Packs' }],
  },
];

describe('drift: changed in the UI, shown field by field, undone by apply', () => {
  it.each(DRIFT)('$address', async (row) => {
    const root = await project(base);
    await apply(root);
    expect(await pending(root)).toEqual([]);
    row.change();
    const drifted = await plan(root);
    const action = drifted.stages.flatMap((s) => s.actions).find((a) => a.address === row.address);
    expect(action?.op).toBe(row.shows.length === 0 ? 'create' : 'update');
    for (const change of row.shows) expect(action!.changes).toContainEqual(change);
    await apply(root);
    expect(await pending(root)).toEqual([]);
  });
});
