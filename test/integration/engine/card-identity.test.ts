import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MARKER_KEY } from '../../../src/core/card-marker.ts';
import { openSession, useFakeMetabase, writeProject } from './harness.ts';
import { env, files } from './fixture-project.ts';

// The fake, like Metabase, ignores any entity_id a client sends and mints its own: these tests prove
// mb-sync finds its cards again through what the server keeps, whatever happens to them.
const t = useFakeMetabase({ files });

const activeCards = () => [...t.fake.state.cards.values()].filter((c) => c.archived !== true);
const byName = (name: string) => activeCards().filter((c) => c.name === name);
async function changes(root = t.root): Promise<string[]> {
  const state = await (await openSession(t.fake, root, env)).plan();
  return state.plan.stages.flatMap((s) => s.actions).filter((a) => a.op !== 'noop').map((a) => `${a.op} ${a.address}`);
}

describe('card identity on a server that picks entity_ids itself', () => {
  it('creates each card in one request, its marker complete (project, key, a nonce of its own), and a second apply creates nothing', async () => {
    await (await openSession(t.fake, t.root, env)).apply();
    expect(activeCards()).toHaveLength(3);
    const markers = activeCards().map((card) => (card.visualization_settings as Record<string, Record<string, unknown>>)[MARKER_KEY]);
    for (const marker of markers) expect(marker).toMatchObject({ project: 'phoenix', key: expect.any(String), nonce: expect.any(String) });
    expect(new Set(markers.map((m) => m!.nonce)).size).toBe(3);
    // No card needed a second request to complete its marker (none of the three is a model with
    // column edits); the one PUT is the alert on zero-surge recording itself in that card's marker.
    const cardWrites = t.fake.requests.filter((r) => r.method !== 'GET' && /^\/api\/card(\/\d+)?$/.test(r.path));
    expect(cardWrites.map((r) => r.method)).toEqual(['POST', 'POST', 'POST', 'PUT']);
    expect((cardWrites[3]!.body as { visualization_settings: Record<string, Record<string, unknown>> }).visualization_settings[MARKER_KEY]).toMatchObject({ key: 'zero-surge', alerts: { 'zero-surge': expect.any(Number) } });
    await (await openSession(t.fake, t.root, env)).apply();
    expect(activeCards()).toHaveLength(3);
    expect(await changes()).toEqual([]);
  });

  it("reads only the cards of the project's database and the Trash, not the whole instance", async () => {
    await (await openSession(t.fake, t.root, env)).apply();
    const database = [...t.fake.state.databases.values()][0]!.id;
    t.fake.resetLog();
    expect(await changes()).toEqual([]);
    const cardLists = t.fake.requests.filter((r) => r.method === 'GET' && r.path === '/api/card').map((r) => r.query).sort();
    // The Trash once: it is read again only when a card of the files is in neither list.
    expect(cardLists).toEqual(['?f=archived', `?f=database&model_id=${String(database)}`]);
  });

  it('still knows cards marked by an earlier mb-sync with the server-assigned entity_id, and their copies', async () => {
    await (await openSession(t.fake, t.root, env)).apply();
    const original = byName('Dépenses par module')[0]!;
    const settings = original.visualization_settings as Record<string, Record<string, unknown>>;
    settings[MARKER_KEY] = { project: 'phoenix', key: settings[MARKER_KEY]!.key, entity_id: original.entity_id };
    const copy = { ...structuredClone(original), id: 88_002, entity_id: 'acopyofalegacycard123', name: 'Copy of a legacy card' };
    t.fake.state.cards.set(copy.id, copy);
    expect(await changes()).toEqual([]);
    await (await openSession(t.fake, t.root, env)).apply({ allowArchive: true });
    expect(t.fake.state.cards.get(copy.id)).toMatchObject({ name: 'Copy of a legacy card', archived: false });
  });

  it('survives a rename in the files and in Metabase: the key is the identity, not the name', async () => {
    await (await openSession(t.fake, t.root, env)).apply();
    const card = byName('Dépenses par module')[0]!;
    card.name = 'Renamed in the UI';
    expect(await changes()).toEqual(['update card.spend-by-module']);
    const renamed = await writeProject({ ...files, 'dashboards/energie.yaml': files['dashboards/energie.yaml']!.replace('name: Dépenses par module', 'name: Dépense par module (v2)') });
    try {
      await (await openSession(t.fake, renamed.root, env)).apply();
      expect(activeCards()).toHaveLength(3);
      expect(t.fake.state.cards.get(card.id)!.name).toBe('Dépense par module (v2)');
      expect(await changes(renamed.root)).toEqual([]);
    } finally {
      await renamed.cleanup();
    }
  });

  it('finds a card moved to another collection in the UI and moves it back, without a copy', async () => {
    await (await openSession(t.fake, t.root, env)).apply();
    const elsewhere = { id: 77_001, name: 'Somewhere else', parent_id: null, location: '/', archived: false, entity_id: 'elsewhereelsewhere123' };
    t.fake.state.collections.set(elsewhere.id, elsewhere);
    const card = byName('Entonnoir pack')[0]!;
    card.collection_id = elsewhere.id;
    expect(await changes()).toEqual(['update card.funnel']);
    await (await openSession(t.fake, t.root, env)).apply();
    expect(byName('Entonnoir pack')).toHaveLength(1);
    expect(t.fake.state.cards.get(card.id)!.collection_id).not.toBe(elsewhere.id);
  });

  // The two card lists are two requests: a card someone moves to the Trash, or brings back from it,
  // between them must be found in one of them, not planned as a new card.
  it.each([
    ['moved to the Trash', false, true],
    ['brought back from the Trash', true, false],
  ])('finds a card %s between the Trash and the active list, and makes no copy', async (_, before, after) => {
    await (await openSession(t.fake, t.root, env)).apply();
    const card = byName('Entonnoir pack')[0]!;
    card.archived = before;
    const stop = t.fake.onRequest(({ method, path, query }) => {
      if (method === 'GET' && path === '/api/card' && query.get('f') === 'database') card.archived = after;
    });
    const planned = await changes();
    stop();
    expect(planned.filter((c) => c.startsWith('create'))).toEqual([]);
    expect(planned).toEqual(after ? ['update card.funnel'] : []);
    await (await openSession(t.fake, t.root, env)).apply();
    expect([...t.fake.state.cards.values()].filter((c) => c.name === 'Entonnoir pack')).toHaveLength(1);
    expect(card.archived).toBe(false);
  });

  // The live side of a plan is fingerprinted in order (a saved plan is checked against a fresh
  // read): active cards first, then those in the Trash, as every earlier build listed them.
  it('lists live cards active first, then those in the Trash', async () => {
    await (await openSession(t.fake, t.root, env)).apply();
    byName('Dépenses par module')[0]!.archived = true;
    const state = await (await openSession(t.fake, t.root, env)).plan();
    expect(state.live.get('card')!.map((card) => card.archived)).toEqual([false, false, true]);
  });

  it('does not duplicate a card whose create went through but whose answer was lost', async () => {
    t.fake.injectFault({ method: 'POST', path: '/api/card' }, { afterWrite: true, dropConnection: true });
    const first = await (await openSession(t.fake, t.root, env)).apply();
    expect(first.result.failed).toEqual([]);
    expect(activeCards()).toHaveLength(3);
    expect(await changes()).toEqual([]);
  });

  it('leaves alone a copy made in Metabase ("Save as new question"), which carries the marker too', async () => {
    await (await openSession(t.fake, t.root, env)).apply();
    const original = byName('Dépenses par module')[0]!;
    const copy = { ...structuredClone(original), id: 88_001, entity_id: 'acopymadeintheui12345', name: 'My own version' };
    t.fake.state.cards.set(copy.id, copy);
    expect(await changes()).toEqual([]);
    await (await openSession(t.fake, t.root, env)).apply({ allowArchive: true });
    expect(t.fake.state.cards.get(copy.id)).toMatchObject({ name: 'My own version', archived: false });
  });

  it('a copy made in Metabase and taken into the files by its entity_id gets a marker of its own, not the original\'s', async () => {
    await (await openSession(t.fake, t.root, env)).apply();
    const original = byName('Dépenses par module')[0]!;
    const copy = { ...structuredClone(original), id: 88_003, entity_id: 'acopytakenintofiles12', name: 'My own version' };
    t.fake.state.cards.set(copy.id, copy);
    // As `mb-sync pull` writes it: the card under a key of its own, pinned by entity_id.
    const pinned = await writeProject({ ...files, 'metabase.config.yaml': files['metabase.config.yaml']!.replace('alerts:', `  - key: my-version
    entity_id: acopytakenintofiles12
    name: My own version
    collection: phoenix
    display: bar
    query:
      source: analytics.vw_daily_energy_ledger
      aggregate: [sum(total_spent)]
      breakout: [module]
      order_by: [-sum(total_spent)]
alerts:`) });
    try {
      expect(await changes(pinned.root)).toEqual(['update card.my-version']);
      await (await openSession(t.fake, pinned.root, env)).apply();
      const marker = (card: Record<string, unknown>) => (card.visualization_settings as Record<string, Record<string, unknown>>)[MARKER_KEY]!;
      expect(marker(t.fake.state.cards.get(copy.id)!)).toMatchObject({ project: 'phoenix', key: 'my-version' });
      expect(marker(t.fake.state.cards.get(copy.id)!).nonce).not.toBe(marker(original).nonce);
      expect(await changes(pinned.root)).toEqual([]);
      // Its file removed, it is listed as mb-sync's; the original is untouched.
      await (await openSession(t.fake, t.root, env)).apply({ allowArchive: true });
      expect(t.fake.state.cards.get(copy.id)).toMatchObject({ archived: true });
      expect(t.fake.state.cards.get(original.id as number)).toMatchObject({ archived: false });
    } finally {
      await pinned.cleanup();
    }
  });

  it('refuses to pin by entity_id a card of another mb-sync project, naming the file, and sends nothing', async () => {
    await (await openSession(t.fake, t.root, env)).apply();
    const theirs = byName('Dépenses par module')[0]!;
    // Another project on the same database.
    const other = await writeProject(Object.fromEntries(Object.entries(files).map(([name, text]) => [name, text.replace('project: phoenix', 'project: aurora').replace(/name: Phoenix – Energie Live/, 'name: Aurora – Energie')])));
    const config = join(other.root, 'metabase.config.yaml');
    await writeFile(config, (await readFile(config, 'utf8')).replace('alerts:', `  - key: borrowed
    entity_id: ${String(theirs.entity_id)}
    name: Dépenses par module
    collection: phoenix
    display: bar
    query: { source: analytics.vw_daily_energy_ledger, aggregate: [sum(total_spent)], breakout: [module] }
alerts:`));
    try {
      t.fake.resetLog();
      const error = await (await openSession(t.fake, other.root, env)).plan().catch((e: unknown) => e as Error);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/metabase\.config\.yaml:\d+: cards\[1\]\.entity_id: card\.borrowed: entity_id \S+ is "Dépenses par module" \(id \d+\), a card of the mb-sync project "phoenix"/);
      expect(t.fake.writes()).toBe(0);
      expect(await changes()).toEqual([]);
      // A copy of it made in Metabase carries the same marker but is nobody's: that one may be pinned.
      const copy = { ...structuredClone(theirs), id: 88_004, entity_id: 'acopyanotherprojec123', name: 'Ma copie' };
      t.fake.state.cards.set(copy.id, copy);
      await writeFile(config, (await readFile(config, 'utf8')).replace(`entity_id: ${String(theirs.entity_id)}`, 'entity_id: acopyanotherprojec123').replace('name: Dépenses par module\n    collection: phoenix', 'name: Ma copie\n    collection: phoenix'));
      expect((await (await openSession(t.fake, other.root, env)).plan()).plan.stages.flatMap((st) => st.actions).find((a) => a.address === 'card.borrowed')).toMatchObject({ id: copy.id });
    } finally {
      await other.cleanup();
    }
  });

  it('keeps two projects on one instance apart', async () => {
    await (await openSession(t.fake, t.root, env)).apply();
    const other = await writeProject(Object.fromEntries(Object.entries(files).map(([name, text]) => [name, text.replace('project: phoenix', 'project: aurora').replace('name: Phoenix (analytics)', 'name: Aurora (analytics)').replace(/name: Phoenix – Energie Live/, 'name: Aurora – Energie')])));
    try {
      await (await openSession(t.fake, other.root, env)).apply();
      expect(byName('Dépenses par module')).toHaveLength(2);
      expect(await changes()).toEqual([]);
      expect(await changes(other.root)).toEqual([]);
    } finally {
      await other.cleanup();
    }
  });

  it('two applies at once: the second copy made by mb-sync is archived by the next apply, and links follow the first', async () => {
    await (await openSession(t.fake, t.root, env)).apply();
    // A pull request adds a card; two CI jobs apply it at the same moment.
    const added = await writeProject({ ...files, 'dashboards/energie.yaml': files['dashboards/energie.yaml']!.replace('subscriptions:', `  - key: top-packs
    name: Top packs
    display: table
    query: { source: analytics.vw_pack_funnel, aggregate: [sum(views)], breakout: [pack_id] }
    layout: { row: 7, col: 0, width: 12, height: 6 }
subscriptions:`) });
    try {
      const [a, b] = await Promise.all([openSession(t.fake, added.root, env), openSession(t.fake, added.root, env)]);
      const results = await Promise.all([a.apply(), b.apply()]);
      expect(results.map((r) => r.result.failed)).toEqual([[], []]);
      expect(byName('Top packs')).toHaveLength(2);
      const next = await (await openSession(t.fake, added.root, env)).plan();
      const archived = next.plan.stages.flatMap((s) => s.actions).filter((x) => x.op === 'archive' && x.kind === 'card');
      expect(archived.map((x) => x.note)).toEqual([expect.stringContaining('duplicate of card.top-packs')]);
      await (await openSession(t.fake, added.root, env)).apply();
      expect(byName('Top packs')).toHaveLength(1);
      const kept = byName('Top packs')[0]!;
      expect([...t.fake.state.dashcards.values()].map((d) => d.card_id)).toContain(kept.id);
      expect(await changes(added.root)).toEqual([]);
    } finally {
      await added.cleanup();
    }
  });
});
