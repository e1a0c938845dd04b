import { describe, expect, it } from 'vitest';
import { applyPlan } from '../../../src/engine/apply-plan.ts';
import { handlers } from '../../../src/resources/registry.ts';
import type { Row } from '../../support/fake-metabase/state.ts';
import { openSession, useFakeMetabase } from './harness.ts';
import { env, files } from './fixture-project.ts';

// Metabase waits 1.5 s for a card's columns (metadata-sync-wait-ms, queries/models/card/metadata.clj)
// and otherwise saves the card without them, writing them later: a model's column edits from the
// files must still land, in the same apply, or the apply must say they did not.
const t = useFakeMetabase();

const model = (query: string, columns = '  module: { display_name: Module (model) }\n') => ({
  ...files,
  'models/m.yaml': `key: m\nname: Ledger model\ntype: model\ncollection: phoenix\n${query}\ncolumns:\n${columns}`,
});
const NATIVE = 'sql: SELECT * FROM analytics.vw_daily_energy_ledger';
const MBQL = 'query: { source: analytics.vw_daily_energy_ledger }';
const stored = () => [...t.fake.state.cards.values()].find((c) => c.name === 'Ledger model')!;
const column = (name: string) => (stored().result_metadata as Row[] | null)?.find((c) => c.name === name);
const changes = async (root: string) => (await t.plan(root)).stages.flatMap((s) => s.actions).filter((a) => a.op !== 'noop').map((a) => a.address);

describe("a model's column edits when Metabase computes its columns after answering", () => {
  it('a new native model, saved without columns: they are waited for, then the edits laid over them', async () => {
    const root = await t.project(model(NATIVE));
    t.fake.setMetadataLag(3);
    await t.apply(root);
    expect(column('module')).toMatchObject({ display_name: 'Module (model)', base_type: 'type/Text' });
    expect(column('event_date')).toMatchObject({ display_name: 'event_date' });
    expect(await changes(root)).toEqual([]);
  });

  it('a model whose query changes: the columns Metabase saves later carry the edits sent with the query, and are waited for', async () => {
    await t.apply(await t.project(model(NATIVE)));
    t.fake.setMetadataLag(3);
    // A changed query is computed again, too slowly: answered without columns, blended with the sent ones later.
    const root = await t.project(model(NATIVE.replace('SELECT *', 'select *'), '  module: { display_name: Module (renamed) }\n'));
    t.fake.resetLog();
    await t.apply(root);
    expect(column('module')).toMatchObject({ display_name: 'Module (renamed)' });
    expect(t.fake.requests.filter((r) => r.method === 'PUT' && r.path === `/api/card/${stored().id}`)).toHaveLength(1);
    expect(await changes(root)).toEqual([]);
  });

  it('columns that do not come in time: the model fails, saying what is missing, and the next apply finishes it', async () => {
    const root = await t.project(model(NATIVE));
    t.fake.setMetadataLag(1_000_000);
    const session = await openSession(t.fake, root, env);
    const waits: Array<string | undefined> = [];
    const result = await applyPlan({ state: await session.plan(), handlers, context: { api: session.api, project: session.project, server: session.server, progress: (m) => waits.push(m), pollIntervalMs: 5, metadataWaitMs: 50 }, emit: () => {} });
    expect(result.failed).toEqual([{ address: 'card.m', error: expect.stringMatching(/Metabase had not computed the columns of model card\.m \(id \d+\) .*: its column metadata from the files \(module\) is not applied yet; the next apply will apply it/) }]);
    expect(waits).toContainEqual(expect.stringMatching(/^waiting for Metabase to compute the columns of card\.m \(\d+ s\)$/));
    expect(waits.at(-1)).toBeUndefined();
    expect(column('module')).toBeUndefined();
    // Metabase gets there in the end.
    for (const pending of t.fake.state.pendingMetadata) pending.left = 1;
    await t.apply(root);
    expect(column('module')).toMatchObject({ display_name: 'Module (model)' });
    expect(await changes(root)).toEqual([]);
  });

  it("a query-builder model: Metabase's late save can replace the edits laid over the columns it answered with; the plan shows it, the next apply puts them back (README)", async () => {
    const root = await t.project(model(MBQL));
    t.fake.setMetadataLag(1_000_000);
    await t.apply(root);
    // The answer had the columns the insert hook infers, so the edits went at once...
    expect(column('module')).toMatchObject({ display_name: 'Module (model)' });
    // ...and Metabase's late save comes after them.
    for (const pending of t.fake.state.pendingMetadata) pending.left = 1;
    expect(await changes(root)).toEqual(['card.m']);
    expect(column('module')).toMatchObject({ display_name: 'Module' });
    await t.apply(root);
    expect(column('module')).toMatchObject({ display_name: 'Module (model)' });
    expect(await changes(root)).toEqual([]);
  });
});
