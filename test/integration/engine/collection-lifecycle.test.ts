import { describe, expect, it } from 'vitest';
import { nextId, type Row } from '../../support/fake-metabase/state.ts';
import { openSession, useFakeMetabase } from './harness.ts';
import { renderPlanMarkdown } from '../../../src/cli/render/plan-markdown.ts';
import { renderPlanText } from '../../../src/cli/render/plan-text.ts';
import { env, files } from './fixture-project.ts';

// Collections carry mb-sync's marker as the last line of their description (there is no other
// field a client may fill): removed from the files, they are listed, and archived with
// --allow-archive only when everything inside goes to the Trash with them.

const OLD = `      - key: old
        name: Ancien
        children:
          - { key: old-child, name: Ancien détail }
`;
const OLD_CARD = `  - key: old-report
    name: Vieille requête
    collection: old-child
    sql: SELECT 1 AS one
`;
const config = files['metabase.config.yaml']!;
const base: Record<string, string> = {
  ...files,
  'metabase.config.yaml': config.replace('      - { key: alerting, name: Alertes }\n', `      - { key: alerting, name: Alertes }\n${OLD}`).replace('cards:\n', `cards:\n${OLD_CARD}`),
};
const withoutOld = (f: Record<string, string>) => ({ ...f, 'metabase.config.yaml': f['metabase.config.yaml']!.replace(OLD, '') });
const withoutOldCard = (f: Record<string, string>) => ({ ...f, 'metabase.config.yaml': f['metabase.config.yaml']!.replace(OLD_CARD, '') });

const t = useFakeMetabase();

const project = t.project;
const plan = (root: string, allowArchive = false) => t.plan(root, { allowArchive });
const apply = (root: string, allowArchive = false) => t.apply(root, { allowArchive });
const ops = (p: Awaited<ReturnType<typeof plan>>) => p.stages.flatMap((s) => s.actions).filter((a) => a.op !== 'noop').map((a) => `${a.op} ${a.address}`);
const collection = (name: string): Row => {
  const rows = [...t.fake.state.collections.values()].filter((c) => c.name === name);
  if (rows.length !== 1) throw new Error(`${rows.length} collections named ${name} in the fake`);
  return rows[0]!;
};
const card = (name: string): Row => [...t.fake.state.cards.values()].find((c) => c.name === name)!;
/** A question a person saves in a collection, as the UI would. */
function personalCard(name: string, collectionId: number): Row {
  const database = [...t.fake.state.databases.values()][0]!;
  const row = { id: nextId(), entity_id: `handmade${String(nextId()).padStart(13, '0')}`, name, type: 'question', display: 'table', collection_id: collectionId, archived: false, dataset_query: { 'lib/type': 'mbql/query', database: database.id, stages: [{ 'lib/type': 'mbql.stage/native', native: 'SELECT 1' }] }, visualization_settings: {} };
  t.fake.state.cards.set(row.id, row);
  return row;
}

describe('collections: marked, listed when removed, archived only when nothing of anyone else goes with them', () => {
  it('writes the marker with the create and finds collections by it after a rename and a move in the UI', async () => {
    const root = await project(base);
    await apply(root);
    expect(collection('Ancien').description).toBe('Managed by mb-sync (phoenix/old): edit it in git.');
    expect(collection('Ancien détail').description).toBe('Managed by mb-sync (phoenix/old-child): edit it in git.');
    const old = collection('Ancien');
    old.name = 'Renommé';
    old.location = '/';
    const drifted = await plan(root);
    expect(ops(drifted)).toEqual(['update collection.old']);
    expect(drifted.stages.flatMap((s) => s.actions).find((a) => a.address === 'collection.old')!.changes.map((c) => c.path).sort()).toEqual(['name', 'parent']);
    await apply(root);
    expect(t.fake.state.collections.get(old.id)).toMatchObject({ name: 'Ancien', location: `/${collection('Phoenix').id}/` });
    expect(ops(await plan(root))).toEqual([]);
  });

  it('lists removed ones, keeps them without the flag, and archives them (after their removed cards) with it', async () => {
    await apply(await project(base));
    const removed = await project(withoutOldCard(withoutOld(base)));
    const listed = await plan(removed);
    expect(listed.orphans.map((o) => `${o.address} ${o.name}`).sort()).toEqual(['card.old-report Vieille requête', 'collection.old Ancien', 'collection.old-child Ancien détail']);
    expect(listed.orphans.every((o) => o.note === undefined)).toBe(true);
    await apply(removed);
    expect(collection('Ancien').archived).toBe(false);

    const archiving = await plan(removed, true);
    // Collections go last, after every other stage; the subcollection goes to the Trash with its
    // parent (one archive), so that restoring the parent brings it back too.
    expect(archiving.stages.at(-1)).toEqual({ kind: 'collection', actions: [expect.objectContaining({ op: 'archive', address: 'collection.old', note: 'with collection.old-child inside' })] });
    await apply(removed, true);
    expect([collection('Ancien').archived, collection('Ancien détail').archived, card('Vieille requête').archived]).toEqual([true, true, true]);
    expect(ops(await plan(removed, true))).toEqual([]);
    expect((await plan(removed, true)).orphans).toEqual([]);

    // Back in the files: the same collections come out of the Trash, not new ones.
    const ids = [collection('Ancien').id, collection('Ancien détail').id];
    const back = await project(base);
    expect(ops(await plan(back)).sort()).toEqual(['update card.old-report', 'update collection.old', 'update collection.old-child']);
    await apply(back);
    expect([collection('Ancien'), collection('Ancien détail')].map((c) => [c.id, c.archived])).toEqual([[ids[0], false], [ids[1], false]]);
    expect(ops(await plan(back))).toEqual([]);
  });

  it('moves out a card the files keep before archiving the collection it was in', async () => {
    await apply(await project(base));
    const moved = await project(withoutOld({ ...base, 'metabase.config.yaml': base['metabase.config.yaml']!.replace('collection: old-child', 'collection: phoenix') }));
    const p = await plan(moved, true);
    expect(ops(p)).toEqual(['update card.old-report', 'archive collection.old']);
    await apply(moved, true);
    expect(card('Vieille requête')).toMatchObject({ archived: false, collection_id: collection('Phoenix').id });
    expect(collection('Ancien').archived).toBe(true);
    expect(ops(await plan(moved, true))).toEqual([]);
  });

  it('keeps, even with --allow-archive, a removed collection holding something that is not mb-sync\'s, and the ones around it', async () => {
    await apply(await project(base));
    const mine = personalCard('Mon rapport', collection('Ancien détail').id);
    const removed = await project(withoutOldCard(withoutOld(base)));
    const p = await plan(removed, true);
    expect(ops(p)).toEqual(['archive card.old-report']);
    const notes = Object.fromEntries(p.orphans.map((o) => [o.address, o.note]));
    expect(notes['collection.old-child']).toBe('kept even with --allow-archive: it holds an item mb-sync must not archive: "Mon rapport" (card)');
    expect(notes['collection.old']).toBe('kept even with --allow-archive: it holds an item mb-sync must not archive: "Ancien détail" (collection)');
    // Said in the terminal and in the pull-request comment too.
    expect(renderPlanText(p)).toContain('collection.old-child "Ancien détail"');
    expect(renderPlanText(p)).toContain('— kept even with --allow-archive: it holds an item mb-sync must not archive: "Mon rapport" (card)');
    expect(renderPlanMarkdown(p)).toMatch(/\| collection \| `old-child` \| Ancien détail \| kept even with --allow-archive: it holds an item mb-sync must not archive: .{1,12}Mon rapport.{1,12} \(card\) \|/);
    await apply(removed, true);
    expect([collection('Ancien').archived, collection('Ancien détail').archived, mine.archived]).toEqual([false, false, false]);
    expect(card('Vieille requête').archived).toBe(true);

    // Once the person has moved their question out, the next apply archives both.
    mine.collection_id = collection('Phoenix').id;
    expect(ops(await plan(removed, true))).toEqual(['archive collection.old']);
    await apply(removed, true);
    expect([collection('Ancien').archived, collection('Ancien détail').archived, mine.archived]).toEqual([true, true, false]);
  });

  it('archives nothing when a card it planned to move out could not be moved', async () => {
    await apply(await project(base));
    const moved = await project(withoutOld({ ...base, 'metabase.config.yaml': base['metabase.config.yaml']!.replace('collection: old-child', 'collection: phoenix') }));
    const report = card('Vieille requête');
    t.fake.injectFault({ method: 'PUT', path: `/api/card/${report.id}` }, { status: 500, times: 10 });
    const { result } = await (await openSession(t.fake, moved, env)).apply({ allowArchive: true });
    expect(result.failed.map((f) => f.address).sort()).toEqual(['card.old-report', 'collection.old']);
    expect(result.failed.find((f) => f.address === 'collection.old')!.error).toContain('kept: it still holds "Vieille requête" (card)');
    expect([collection('Ancien').archived, report.archived]).toEqual([false, false]);
  });

  it('archives a second marked copy (two runs at once) by its id, and keeps the copy holding someone\'s question', async () => {
    await apply(await project(base));
    const phoenix = collection('Phoenix').id;
    const copyId = nextId();
    t.fake.state.collections.set(copyId, { id: copyId, entity_id: `copy${String(copyId).padStart(17, '0')}`, name: 'Ancien', description: collection('Ancien').description, location: `/${phoenix}/`, archived: false, type: null });
    const original = [...t.fake.state.collections.values()].find((c) => c.name === 'Ancien' && c.id !== copyId)!;
    // Still declared: the copy is a duplicate, archived whatever the flag (it is empty).
    const p = await plan(await project(base));
    expect(p.stages.flatMap((s) => s.actions).filter((a) => a.op === 'archive').map((a) => [a.address, a.id])).toEqual([[`collection.old~${copyId}`, copyId]]);
    // Someone saves a question in the copy first: then it stays, and the plan says why.
    personalCard('Dans la copie', copyId);
    const held = await plan(await project(base), true);
    expect(ops(held)).toEqual([]);
    expect(held.orphans.map((o) => [o.address, o.note])).toEqual([[`collection.old~${copyId}`, 'kept even with --allow-archive: it holds an item mb-sync must not archive: "Dans la copie" (card)']]);
    await apply(await project(withoutOldCard(withoutOld(base))), true);
    expect([original.archived, t.fake.state.collections.get(copyId)!.archived]).toEqual([true, false]);
  });

  it('never lists a collection a person made, nor another project\'s, even with the same name and place', async () => {
    await apply(await project(base));
    const phoenix = collection('Phoenix').id;
    for (const [name, description] of [['Ancien', 'made by a person'], ['Partagé', 'Managed by mb-sync (shop/shared): edit it in git.']] as const) {
      const id = nextId();
      t.fake.state.collections.set(id, { id, entity_id: `person${String(id).padStart(15, '0')}`, name, description, location: `/${phoenix}/`, archived: false, type: null });
    }
    const removed = await project(withoutOldCard(withoutOld(base)));
    expect((await plan(removed, true)).orphans).toEqual([]);
    await apply(removed, true);
    expect([...t.fake.state.collections.values()].filter((c) => c.name === 'Ancien').map((c) => c.archived).sort()).toEqual([false, true]);
    expect(collection('Partagé').archived).toBe(false);
  });

  it('adopts the unmarked collections an earlier version made, by name under their parent, and marks them once', async () => {
    const root = await project(base);
    await apply(root);
    const ids = [...t.fake.state.collections.values()].map((c) => c.id).sort();
    for (const c of t.fake.state.collections.values()) c.description = null;
    const adopting = await plan(root);
    expect(ops(adopting).sort()).toEqual(['update collection.alerting', 'update collection.old', 'update collection.old-child', 'update collection.phoenix']);
    for (const action of adopting.stages.flatMap((s) => s.actions).filter((a) => a.op === 'update')) expect(action.changes.map((c) => c.path)).toEqual(['description']);
    await apply(root);
    expect([...t.fake.state.collections.values()].map((c) => c.id).sort()).toEqual(ids);
    expect(ops(await plan(root))).toEqual([]);
  });
});
