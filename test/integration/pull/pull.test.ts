import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTarget } from '../../../src/engine/open-target.ts';
import { pull } from '../../../src/engine/pull.ts';
import { createMetabaseClient } from '../../../src/metabase/client.ts';
import type { MetabaseApi } from '../../../src/metabase/types.ts';
import { startFakeMetabase, type FakeMetabase } from '../../support/fake-metabase/index.ts';
import { openSession, writeProject } from '../engine/harness.ts';
import { catalog, env, files } from '../engine/fixture-project.ts';

/** A dashboard made by a person in the UI: what the frontend sends, ids and all. */
async function makeByHand(api: MetabaseApi, fake: FakeMetabase): Promise<number> {
  const fieldId = (table: string, column: string) => [...fake.state.fields.values()].find((f) => f.name === column && fake.state.tables.get(f.table_id as number)?.name === table)!.id;
  const tableId = (name: string) => [...fake.state.tables.values()].find((t) => t.name === name)!.id;
  const database = [...fake.state.databases.values()][0]!.id;
  const collection = [...fake.state.collections.values()].find((c) => c.name === 'Phoenix')!.id;
  const question = await api.post<{ id: number }>('/api/card', {
    name: 'Achats par pack', display: 'bar', collection_id: collection, visualization_settings: { 'graph.show_values': true },
    dataset_query: { 'lib/type': 'mbql/query', database, stages: [{ 'lib/type': 'mbql.stage/mbql', 'source-table': tableId('vw_pack_funnel'),
      aggregation: [['sum', { 'lib/uuid': 'c2f4a1c0-0000-4000-8000-000000000001' }, ['field', {}, fieldId('vw_pack_funnel', 'purchases')]]],
      breakout: [['field', { 'temporal-unit': 'week' }, fieldId('vw_pack_funnel', 'event_date')], ['field', {}, fieldId('vw_pack_funnel', 'pack_id')]],
      filters: [['>', {}, ['field', {}, fieldId('vw_pack_funnel', 'views')], 0]],
      'order-by': [['desc', {}, ['aggregation', {}, 'c2f4a1c0-0000-4000-8000-000000000001']]], limit: 50 }] },
  });
  const native = await api.post<{ id: number }>('/api/card', {
    name: 'Vues (SQL)', display: 'scalar', collection_id: collection, visualization_settings: {},
    dataset_query: { type: 'native', database, native: { query: 'SELECT sum(views) FROM analytics.vw_pack_funnel WHERE {{quand}}', 'template-tags': {
      quand: { id: '0f0f0f0f-1111-4222-8333-444444444444', name: 'quand', 'display-name': 'Quand', type: 'dimension', dimension: ['field', fieldId('vw_pack_funnel', 'event_date'), null], 'widget-type': 'date/all-options' } } } },
  });
  const dashboard = await api.post<{ id: number }>('/api/dashboard', { name: 'Packs (fait main)', collection_id: collection });
  await api.put(`/api/dashboard/${dashboard.id}`, {
    parameters: [{ id: 'a1b2c3d4', name: 'Date', slug: 'date', type: 'date/all-options', sectionId: 'date', default: 'past7days' }],
    tabs: [],
    dashcards: [
      { id: -1, card_id: null, row: 0, col: 0, size_x: 24, size_y: 1, visualization_settings: { virtual_card: { name: null, display: 'heading', visualization_settings: {}, dataset_query: {}, archived: false }, text: 'Packs' }, parameter_mappings: [] },
      { id: -2, card_id: question.id, row: 1, col: 0, size_x: 16, size_y: 6, visualization_settings: {}, parameter_mappings: [{ parameter_id: 'a1b2c3d4', card_id: question.id, target: ['dimension', ['field', fieldId('vw_pack_funnel', 'event_date'), { 'base-type': 'type/Date' }], { 'stage-number': 0 }] }] },
      { id: -3, card_id: native.id, row: 1, col: 16, size_x: 8, size_y: 3, visualization_settings: { 'card.title': 'Vues' }, parameter_mappings: [{ parameter_id: 'a1b2c3d4', card_id: native.id, target: ['dimension', ['template-tag', 'quand']] }] },
    ],
  });
  return dashboard.id;
}

describe.each(['v0.58.15', 'v0.63.2'])('mb-sync pull on Metabase %s', (version) => {
  let fake: FakeMetabase;
  let project: { root: string; cleanup: () => Promise<void> };
  beforeEach(async () => {
    fake = await startFakeMetabase({ version, catalog, syncPolls: 1 });
    project = await writeProject(files);
  });
  afterEach(async () => {
    await fake.close();
    await project.cleanup();
  });

  it('writes YAML from a hand-made dashboard; the plan then only marks it and its cards as mb-sync\'s, and then they keep their identity', async () => {
    await (await openSession(fake, project.root, env)).apply();
    const api = createMetabaseClient({ url: fake.url, auth: { apiKey: fake.apiKey } });
    const id = await makeByHand(api, fake);
    const cardsBefore = fake.state.cards.size;

    // Credentials in MB_URL are never written to the files, nor said in an error.
    const target = await openTarget({ configPath: join(project.root, 'metabase.config.yaml'), processEnv: { ...env, MB_URL: fake.url.replace('http://', 'http://admin:url-pass-4321@'), MB_API_KEY: fake.apiKey } });
    await expect(pull(target, { dashboards: ['Nowhere'], outDir: join(project.root, 'dashboards') })).rejects.toThrow(`no dashboard named "Nowhere" in the project's collections on ${fake.url}`);
    const result = await pull(target, { dashboards: ['Packs (fait main)'], outDir: join(project.root, 'dashboards') });
    expect(result.skipped).toEqual([]);
    expect(await readdir(join(project.root, 'dashboards'))).toContain('packs-fait-main.yaml');
    const yaml = await readFile(join(project.root, 'dashboards/packs-fait-main.yaml'), 'utf8');
    expect(yaml).toContain(`# Pulled from ${fake.url}/dashboard/${id} by mb-sync pull.`);
    expect(yaml).toContain('source: analytics.vw_pack_funnel');
    expect(yaml).toContain('breakout: [ event_date:week, pack_id ]');
    expect(yaml).toContain('field: analytics.vw_pack_funnel.event_date');

    // Adopted: nothing changes but the marker each gets, without which a rename (in the files or in
    // Metabase) would make a new dashboard, and removing the file would leave its cards unlisted.
    const changes = async () => (await (await openSession(fake, project.root, env)).plan()).plan.stages.flatMap((s) => s.actions).filter((a) => a.op !== 'noop').map((a) => `${a.op} ${a.address}: ${a.changes.map((c) => `${c.path} ${String(c.before)} → ${String(c.after)}`).join(', ')}`).sort();
    expect(await changes()).toEqual([
      'update card.achats-par-pack: identity unrecorded → recorded',
      'update card.vues-sql: identity unrecorded → recorded',
      'update dashboard.packs-fait-main: identity unrecorded → recorded',
    ]);
    const session = await openSession(fake, project.root, env);
    expect((await session.plan()).plan.stages.find((s) => s.kind === 'dashboard')!.actions.find((a) => a.key === 'packs-fait-main')).toMatchObject({ op: 'update', id });
    await session.apply();
    expect(fake.state.cards.size).toBe(cardsBefore);
    expect(await changes()).toEqual([]);

    // Renamed in Metabase: drift on the same dashboard, not a new one.
    fake.state.dashboards.get(id)!.name = 'Packs (renommé)';
    expect(await changes()).toEqual(['update dashboard.packs-fait-main: name Packs (renommé) → Packs (fait main)']);
    // The file removed: the dashboard and both its cards are listed.
    await rm(join(project.root, 'dashboards/packs-fait-main.yaml'));
    const plan = (await (await openSession(fake, project.root, env)).plan()).plan;
    expect(plan.orphans.map((o) => o.address).sort()).toEqual(['card.achats-par-pack', 'card.vues-sql', 'dashboard.packs-fait-main']);
  });
});

describe('mb-sync pull of what the project already manages', () => {
  it('gives back every Phoenix dashboard under its own key and its cards under theirs: pull into an empty dashboards/ → plan is empty', async () => {
    const { cp, mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { catalogFromSandbox } = await import('../../support/catalog-from-sandbox.ts');
    const ROOT = join(import.meta.dirname, '../../..');
    const phoenixEnv = { PHOENIX_ANALYTICS_RO_PASSWORD: 'ro-password-for-tests' };
    const fake = await startFakeMetabase({ catalog: await catalogFromSandbox({ host: 'localhost', dbname: 'phoenix', password: phoenixEnv.PHOENIX_ANALYTICS_RO_PASSWORD }), syncPolls: 1 });
    const empty = await mkdtemp(join(tmpdir(), 'mb-sync-pull-'));
    try {
      const applied = await (await openSession(fake, ROOT, phoenixEnv)).apply();
      expect(applied.result.failed).toEqual([]);
      await cp(join(ROOT, 'metabase.config.yaml'), join(empty, 'metabase.config.yaml'));
      await cp(join(ROOT, 'models'), join(empty, 'models'), { recursive: true });
      const ids = [...fake.state.dashboards.values()].map((d) => String(d.id));
      expect(ids).toHaveLength(4);
      const target = await openTarget({ configPath: join(empty, 'metabase.config.yaml'), processEnv: { ...phoenixEnv, MB_URL: fake.url, MB_API_KEY: fake.apiKey } });
      const result = await pull(target, { dashboards: ids, outDir: join(empty, 'dashboards') });
      expect(result.skipped).toEqual([]);
      expect((await readdir(join(empty, 'dashboards'))).sort()).toEqual(['activation.yaml', 'aube-rituels.yaml', 'constellations.yaml', 'energie-live.yaml']);
      const plan = await (await openSession(fake, empty, phoenixEnv)).plan();
      const changed = plan.plan.stages.flatMap((s) => s.actions).filter((a) => a.op !== 'noop');
      expect(changed.map((a) => ({ address: a.address, changes: a.changes }))).toEqual([]);
      expect(plan.plan.orphans).toEqual([]);
    } finally {
      await fake.close();
      await rm(empty, { recursive: true, force: true });
    }
  }, 60_000);
});
