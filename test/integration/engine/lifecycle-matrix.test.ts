import { describe, expect, it } from 'vitest';
import type { Row } from '../../support/fake-metabase/state.ts';
import { useFakeMetabase } from './harness.ts';
import { files } from './fixture-project.ts';

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

const t = useFakeMetabase();

const project = t.project;
const plan = (root: string, allowArchive = false) => t.plan(root, { allowArchive });
const apply = (root: string, allowArchive = false) => t.apply(root, { allowArchive });
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
const cardNamed = (name: string) => byName(t.fake.state.cards.values(), name);
const dashboardNamed = (name: string) => byName(t.fake.state.dashboards.values(), name);
const collectionNamed = (name: string) => byName(t.fake.state.collections.values(), name);

interface DriftRow {
  address: string;
  /** What a person changes in the Metabase UI (the fake's state, directly). */
  change(): void;
  /** Field paths the plan must show, with their before → after. */
  shows: Array<{ path: string; before: unknown; after: unknown; element?: unknown }>;
}

const DRIFT: DriftRow[] = [
  {
    address: 'database.phoenix',
    change: () => { const db = [...t.fake.state.databases.values()][0]!; db.details = { ...(db.details as Row), host: 'elsewhere.internal' }; },
    shows: [{ path: 'details.host', before: 'elsewhere.internal', after: 'pg.internal' }],
  },
  {
    address: 'table-metadata.analytics.vw_daily_energy_ledger',
    change: () => { byName(t.fake.state.tables.values(), 'vw_daily_energy_ledger').display_name = 'Renommée'; },
    shows: [{ path: 'table.display_name', before: 'Renommée', after: 'Ledger énergie' }],
  },
  {
    address: 'table-metadata.analytics.vw_daily_energy_ledger',
    change: () => { Object.assign(byName(t.fake.state.fields.values(), 'module'), { semantic_type: null }); },
    shows: [{ path: 'columns.module.semantic_type', before: null, after: 'type/Category' }],
  },
  {
    address: 'collection.alerting',
    // The description was only mb-sync's marker line (src/core/collection-marker.ts); the person's
    // edit took it off, and apply writes it back.
    change: () => { collectionNamed('Alertes').description = 'edited in the UI'; },
    shows: [{ path: 'description', before: 'edited in the UI', after: 'Managed by mb-sync (phoenix/alerting): edit it in git.' }],
  },
  {
    address: 'collection.archive-me',
    change: () => { const c = collectionNamed('Ancien'); c.name = 'Renamed in the UI'; c.location = '/'; },
    shows: [{ path: 'name', before: 'Renamed in the UI', after: 'Ancien' }, { path: 'parent', before: null, after: { $ref: 'collection:phoenix' } }],
  },
  {
    address: 'collection-permissions.product/phoenix',
    change: () => { const product = t.fake.state.groups.find((g) => g.name === 'Product')!; t.fake.state.graph.groups[String(product.id)]![String(collectionNamed('Phoenix').id)] = 'write'; },
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
    change: () => { t.fake.state.groups.find((g) => g.name === 'Product')!.name = 'Product (renamed)'; },
    shows: [],
  },
  {
    address: 'alert.zero-surge',
    change: () => { const n = [...t.fake.state.notifications.values()][0]!; (n.subscriptions as Row[])[0]!.cron_schedule = '0 0 9 * * ? *'; },
    shows: [{ path: 'cron', before: '0 0 9 * * ? *', after: expect.any(String) }],
  },
  {
    address: 'subscription.energie/weekly',
    change: () => { const pulse = [...t.fake.state.pulses.values()][0]!; (pulse.channels as Row[])[0]!.schedule_hour = 11; },
    shows: [{ path: 'schedule.schedule_hour', before: 11, after: 8 }],
  },
  {
    address: 'dashboard.tabbed',
    change: () => {
      const d = dashboardNamed('Phoenix – Onglets');
      const tab = [...t.fake.state.tabs.values()].find((t) => t.dashboard_id === d.id && t.name === 'Packs')!;
      tab.name = 'Renamed tab';
      d.width = 'full';
    },
    // Tabs are compared by name: a tab renamed in the UI reads as its name going and the file's coming back.
    shows: [
      { path: 'width', before: 'full', after: 'fixed' },
      { path: 'tabs["Renamed tab"]', before: { name: 'Renamed tab' }, after: null, element: { array: 'tabs', key: 'Renamed tab', op: 'remove' } },
      { path: 'tabs[Packs]', before: null, after: { name: 'Packs' }, element: { array: 'tabs', key: 'Packs', op: 'add' } },
    ],
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

interface RemovalRow {
  name: string;
  /** The files without the object. */
  remove(f: Record<string, string>): Record<string, string>;
  /** Listed under "no longer in the files" (kept without --allow-archive, archived with it). */
  orphans: string[];
  /** Whether the object is in the Metabase Trash (or deactivated) after the apply given. */
  archived(): boolean;
}

const config = (f: Record<string, string>, edit: (text: string) => string) => ({ ...f, 'metabase.config.yaml': edit(f['metabase.config.yaml']!) });
const without = (f: Record<string, string>, file: string) => Object.fromEntries(Object.entries(f).filter(([name]) => name !== file));
const FUNNEL_CARD = / {2}- key: funnel\n[\s\S]*?layout: \{ row: 1, col: 12, width: 12, height: 6 \}\n/;

const REMOVAL: RemovalRow[] = [
  {
    name: 'card',
    remove: (f) => ({ ...f, 'dashboards/energie.yaml': f['dashboards/energie.yaml']!.replace(FUNNEL_CARD, '') }),
    orphans: ['card.funnel'],
    archived: () => cardNamed('Entonnoir pack').archived === true,
  },
  {
    name: 'model',
    remove: (f) => without(f, 'models/ledger-model.yaml'),
    orphans: ['card.ledger-model'],
    archived: () => cardNamed('Ledger (model)').archived === true,
  },
  {
    name: 'dashboard with tabs',
    remove: (f) => without(f, 'dashboards/tabbed.yaml'),
    orphans: ['card.packs-total', 'dashboard.tabbed'],
    archived: () => dashboardNamed('Phoenix – Onglets').archived === true && cardNamed('Packs vendus').archived === true,
  },
  {
    name: 'collection',
    remove: (f) => config(f, (t) => t.replace(EXTRA_COLLECTION, '')),
    orphans: ['collection.archive-me'],
    archived: () => collectionNamed('Ancien').archived === true,
  },
  {
    name: 'alert',
    remove: (f) => config(f, (t) => t.replace(/alerts:[\s\S]*$/, '')),
    orphans: ['alert.zero-surge'],
    archived: () => [...t.fake.state.notifications.values()].every((n) => n.active === false),
  },
  {
    name: 'subscription',
    remove: (f) => ({ ...f, 'dashboards/energie.yaml': f['dashboards/energie.yaml']!.replace(/subscriptions:[\s\S]*$/, '') }),
    orphans: ['subscription.energie/weekly'],
    archived: () => [...t.fake.state.pulses.values()].every((p) => p.archived === true),
  },
];

describe('removal: listed, kept without --allow-archive, archived with it', () => {
  it.each(REMOVAL)('$name', async (row) => {
    const root = await project(base);
    await apply(root);
    const removed = await project(row.remove(base));
    const listed = await plan(removed);
    expect(listed.orphans.map((o) => o.address).sort()).toEqual(row.orphans);
    for (const orphan of listed.orphans) if (orphan.kind !== 'alert' && orphan.kind !== 'subscription') expect(orphan.name).toEqual(expect.any(String));
    await apply(removed);
    expect(row.archived()).toBe(false);
    expect((await pending(removed)).filter((p) => p.startsWith('orphan')).sort()).toEqual(row.orphans.map((o) => `orphan ${o}`));
    await apply(removed, true);
    expect(row.archived()).toBe(true);
    expect(await pending(removed, true)).toEqual([]);
  });
});

// Kinds with no Trash: removing them from the files never
// changes anything in Metabase. They are not listed and stay as they are, flag or not. The
// database cannot be removed at all: the config requires it.
const LEFT_ALONE: Array<{ name: string; remove(f: Record<string, string>): Record<string, string>; still(): boolean }> = [
  {
    name: 'table and field metadata',
    remove: (f) => config(f, (t) => t.replace(/ {2}tables:\n[\s\S]*?values: list \}\n/, '')),
    still: () => byName(t.fake.state.tables.values(), 'vw_daily_energy_ledger').display_name === 'Ledger énergie' && byName(t.fake.state.fields.values(), 'module').semantic_type === 'type/Category',
  },
  {
    name: 'group',
    remove: (f) => config(f, (t) => t.replace(/groups:\n.*\n/, '').replace(/permissions:\n.*\n/, '').replace('group:product, ', '')),
    still: () => t.fake.state.groups.some((g) => g.name === 'Product'),
  },
  {
    name: 'collection permissions',
    remove: (f) => config(f, (t) => t.replace(/permissions:\n.*\n/, '')),
    still: () => t.fake.state.graph.groups[String(t.fake.state.groups.find((g) => g.name === 'Product')!.id)]?.[String(collectionNamed('Phoenix').id)] === 'read',
  },
];

describe('removal of kinds with no Trash: left alone', () => {
  it.each(LEFT_ALONE)('$name', async (row) => {
    const root = await project(base);
    await apply(root);
    const removed = await project(row.remove(base));
    expect((await plan(removed, true)).orphans).toEqual([]);
    await apply(removed, true);
    expect(row.still()).toBe(true);
    expect(await pending(removed, true)).toEqual([]);
  });
});

describe('restoring a removed file', () => {
  it('brings back the archived dashboard and its cards (same ids, same dashcards), not new ones', async () => {
    const root = await project(base);
    await apply(root);
    const dashboard = dashboardNamed('Phoenix – Onglets');
    const card = cardNamed('Packs vendus');
    const dashcards = [...t.fake.state.dashcards.values()].filter((d) => d.dashboard_id === dashboard.id).map((d) => d.id).sort();
    await apply(await project(without(base, 'dashboards/tabbed.yaml')), true);
    // Archived on its own: on a real server, in the Trash's items and no longer under its collection.
    expect(dashboard).toMatchObject({ archived: true, archived_directly: true });

    const restored = await plan(root);
    const ops = restored.stages.flatMap((s) => s.actions).filter((a) => a.op !== 'noop');
    expect(ops.map((a) => `${a.op} ${a.address}`).sort()).toEqual(['update card.packs-total', 'update dashboard.tabbed']);
    for (const action of ops) expect(action.changes).toContainEqual({ path: 'archived', before: true, after: false });
    await apply(root);
    expect(t.fake.state.dashboards.size).toBe(2);
    expect(dashboardNamed('Phoenix – Onglets')).toMatchObject({ id: dashboard.id, archived: false });
    expect(cardNamed('Packs vendus')).toMatchObject({ id: card.id, archived: false });
    expect([...t.fake.state.dashcards.values()].filter((d) => d.dashboard_id === dashboard.id).map((d) => d.id).sort()).toEqual(dashcards);
    expect(await pending(root)).toEqual([]);
  });

  it('brings back a collection archived in the UI and the dashboards it took along (listed under it, not in the Trash)', async () => {
    const root = await project(base);
    await apply(root);
    const before = new Map([...t.fake.state.dashboards.values()].map((d) => [d.id, d.name]));
    const tabbed = dashboardNamed('Phoenix – Onglets');
    // "Move to trash" on the collection: what it holds goes along, not archived on its own.
    await (await t.session(root)).api.put(`/api/collection/${collectionNamed('Phoenix').id}`, { archived: true });
    expect(tabbed).toMatchObject({ archived: true, archived_directly: false });

    const ops = await pending(root);
    expect(ops.filter((op) => op.startsWith('create'))).toEqual([]);
    expect(ops).toEqual(expect.arrayContaining(['update collection.phoenix', 'update dashboard.tabbed', 'update dashboard.energie']));
    await apply(root);
    expect(new Map([...t.fake.state.dashboards.values()].map((d) => [d.id, d.name]))).toEqual(before);
    expect(tabbed.archived).toBe(false);
    expect(await pending(root)).toEqual([]);
  });

  it('opens none of the Trash\'s dashboards when every dashboard of the files is found', async () => {
    const root = await project(base);
    await apply(root);
    const api = (await t.session(root)).api;
    // Someone's trashed dashboards, many on a real instance, one named like a dashboard of the files
    // (found active by its marker): a plan with nothing to restore reads only their list.
    for (const name of ['Vieux tableau', 'Phoenix – Onglets (copie)', 'Phoenix – Onglets']) {
      const theirs = await api.post<{ id: number }>('/api/dashboard', { name, collection_id: collectionNamed('Phoenix').id });
      await api.put(`/api/dashboard/${theirs.id}`, { archived: true });
    }
    const opened = new Set([...t.fake.state.dashboards.values()].map((d) => `/api/dashboard/${String(d.id)}`));
    t.fake.resetLog();
    expect(await pending(root)).toEqual([]);
    const reads = t.fake.requests.filter((r) => r.method === 'GET' && opened.has(r.path)).map((r) => r.path);
    expect(reads.sort()).toEqual([...t.fake.state.dashboards.values()].filter((d) => d.archived !== true).map((d) => `/api/dashboard/${String(d.id)}`).sort());
  });

  it('finds a dashboard moved to the Trash between the Trash\'s list and its collection\'s, and makes no copy', async () => {
    const root = await project(base);
    await apply(root);
    const tabbed = dashboardNamed('Phoenix – Onglets');
    const phoenix = String(collectionNamed('Phoenix').id);
    // Someone trashes it just as the plan reads: after the Trash's list, before its collection's
    // (the collection list answers late, so the Trash's list has been answered by then).
    t.fake.injectFault({ method: 'GET', path: '/api/collection' }, { delayMs: 300 });
    const stop = t.fake.onRequest(({ method, path }) => {
      if (method === 'GET' && path === `/api/collection/${phoenix}/items`) Object.assign(tabbed, { archived: true, archived_directly: true });
    });
    const ops = await pending(root);
    stop();
    expect(ops.filter((op) => op.startsWith('create'))).toEqual([]);
    expect(ops).toContain('update dashboard.tabbed');
    await apply(root);
    expect([...t.fake.state.dashboards.values()].filter((d) => d.name === 'Phoenix – Onglets')).toHaveLength(1);
    expect(tabbed.archived).toBe(false);
  });

  it('never takes someone\'s unmarked dashboard out of the Trash, even with the name and collection of the file', async () => {
    const root = await project(base);
    await apply(await project(without(base, 'dashboards/tabbed.yaml')));
    const api = (await t.session(root)).api;
    const theirs = await api.post<{ id: number }>('/api/dashboard', { name: 'Phoenix – Onglets', collection_id: collectionNamed('Phoenix').id });
    await api.put(`/api/dashboard/${theirs.id}`, { archived: true });

    expect(await pending(root)).toContain('create dashboard.tabbed');
    await apply(root);
    expect(t.fake.state.dashboards.get(theirs.id)).toMatchObject({ archived: true, caveats: null });
    expect([...t.fake.state.dashboards.values()].filter((d) => d.name === 'Phoenix – Onglets' && d.id !== theirs.id)).toEqual([expect.objectContaining({ archived: false })]);
    expect(await pending(root)).toEqual([]);
  });
});

describe('a key renamed in the files', () => {
  it('is a new object, and the plan says so on the create, naming the old one (text and markdown)', async () => {
    const root = await project(base);
    await apply(root);
    const renamed = await project({ ...base, 'dashboards/tabbed.yaml': TABBED.replace('key: tabbed', 'key: tabbed-v2') });
    const p = await plan(renamed);
    const create = p.stages.flatMap((s) => s.actions).find((a) => a.op === 'create' && a.address === 'dashboard.tabbed-v2')!;
    expect(create.note).toMatch(/^dashboard\.tabbed \(id \d+\), no longer in the files, has the same name: if its key was renamed/);
    expect(p.orphans.map((o) => o.address)).toContain('dashboard.tabbed');
    const { renderPlanMarkdown } = await import('../../../src/cli/render/plan-markdown.ts');
    expect(renderPlanMarkdown(p)).toContain('| kind | key | name | where | note |');
    // Same name, different kind or a key still in the files: no note.
    expect(p.stages.flatMap((s) => s.actions).filter((a) => a.op === 'create' && a.note !== undefined).map((a) => a.address)).toEqual(['dashboard.tabbed-v2']);
  });
});
