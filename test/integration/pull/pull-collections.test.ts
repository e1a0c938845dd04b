import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderCollectionsToDeclare } from '../../../src/cli/render/pull-collections.ts';
import { MbSyncError } from '../../../src/core/errors.ts';
import { openTarget } from '../../../src/engine/open-target.ts';
import { pull } from '../../../src/engine/pull.ts';
import { createMetabaseClient } from '../../../src/metabase/client.ts';
import type { MetabaseApi } from '../../../src/metabase/types.ts';
import { useFakeMetabase } from '../engine/harness.ts';
import { env, files } from '../engine/fixture-project.ts';

/** A dashboard a person made in the UI, in `collection_id` (null: the root, "Our analytics"). */
async function makeDashboard(api: MetabaseApi, name: string, collectionId: number | null): Promise<number> {
  const dashboard = await api.post<{ id: number }>('/api/dashboard', { name, ...(collectionId === null ? {} : { collection_id: collectionId }) });
  await api.put(`/api/dashboard/${dashboard.id}`, {
    tabs: [],
    dashcards: [{ id: -1, card_id: null, row: 0, col: 0, size_x: 24, size_y: 1, visualization_settings: { virtual_card: { name: null, display: 'heading', visualization_settings: {}, dataset_query: {}, archived: false }, text: name }, parameter_mappings: [] }],
  });
  return dashboard.id;
}

describe('mb-sync pull of a dashboard in a collection the config does not declare', () => {
  const t = useFakeMetabase({ files });
  const api = () => createMetabaseClient({ url: t.fake.url, auth: { apiKey: t.fake.apiKey } });
  const open = () => openTarget({ configPath: join(t.root, 'metabase.config.yaml'), processEnv: { ...env, MB_URL: t.fake.url, MB_API_KEY: t.fake.apiKey } });
  const outDir = () => join(t.root, 'dashboards');

  it('writes a key for the collection and says the entry to add; once added, plan adopts the collections and the dashboard', async () => {
    await t.apply(t.root);
    const marketing = await api().post<{ id: number }>('/api/collection', { name: 'Marketing', description: 'Campagnes et acquisition.', parent_id: null });
    const weekly = await api().post<{ id: number }>('/api/collection', { name: 'Hebdo', parent_id: marketing.id });
    const id = await makeDashboard(api(), 'Acquisition hebdo', weekly.id);
    const collectionsBefore = t.fake.state.collections.size;

    const result = await pull(await open(), { dashboards: [String(id)], outDir: outDir() });
    const yaml = await readFile(join(outDir(), 'acquisition-hebdo.yaml'), 'utf8');
    expect(yaml).toMatch(/^collection: hebdo$/m);
    expect(result.collections).toEqual([{ under: null, entry: { key: 'marketing', name: 'Marketing', description: 'Campagnes et acquisition.', children: [{ key: 'hebdo', name: 'Hebdo' }] } }]);

    // What the user is told, pasted under `collections:` as it says.
    const told = renderCollectionsToDeclare(result.collections, 'metabase.config.yaml');
    expect(told).toContain('Add to metabase.config.yaml, under `collections:`');
    const entry = told.split('\n').filter((line) => line.startsWith('  ')).join('\n');
    expect(entry).toBe([
      '  - key: marketing',
      '    name: Marketing',
      '    description: Campagnes et acquisition.',
      '    children:',
      '      - key: hebdo',
      '        name: Hebdo',
    ].join('\n'));
    const configPath = join(t.root, 'metabase.config.yaml');
    await writeFile(configPath, (await readFile(configPath, 'utf8')).replace('collections:\n', `collections:\n${entry}\n`));

    const plan = await t.plan(t.root);
    const actions = plan.stages.flatMap((s) => s.actions);
    expect(actions.filter((a) => a.op === 'create')).toEqual([]);
    expect(actions.filter((a) => a.kind === 'collection' && a.op !== 'noop').map((a) => [a.key, a.op]).sort()).toEqual([['hebdo', 'update'], ['marketing', 'update']]);
    // The same dashboard, adopted: only its marker is written.
    const dashboard = actions.find((a) => a.kind === 'dashboard' && a.key === 'acquisition-hebdo')!;
    expect(dashboard).toMatchObject({ op: 'update', id });
    expect(dashboard.changes.map((c) => c.path)).toEqual(['identity']);
    await t.apply(t.root);
    expect(t.fake.state.collections.size).toBe(collectionsBefore);
    expect((await t.plan(t.root)).stages.flatMap((s) => s.actions).filter((a) => a.op !== 'noop')).toEqual([]);
  });

  it('puts a collection under a declared parent in that parent\'s children, and never gives it a key the config already uses', async () => {
    await t.apply(t.root);
    const phoenix = [...t.fake.state.collections.values()].find((c) => c.name === 'Phoenix')!.id as number;
    const ops = await api().post<{ id: number }>('/api/collection', { name: 'Opérations', parent_id: phoenix });
    const marketing = await api().post<{ id: number }>('/api/collection', { name: 'Marketing', parent_id: null });
    const namesake = await api().post<{ id: number }>('/api/collection', { name: 'Phoenix', parent_id: marketing.id });
    const inOps = await makeDashboard(api(), 'Workers', ops.id);
    const inNamesake = await makeDashboard(api(), 'Campagnes Phoenix', namesake.id);
    const inDeclared = await makeDashboard(api(), 'Alertes du jour', [...t.fake.state.collections.values()].find((c) => c.name === 'Alertes')!.id as number);

    const result = await pull(await open(), { dashboards: [String(inOps), String(inNamesake), String(inDeclared)], outDir: outDir() });
    expect(await readFile(join(outDir(), 'workers.yaml'), 'utf8')).toMatch(/^collection: operations$/m);
    expect(await readFile(join(outDir(), 'campagnes-phoenix.yaml'), 'utf8')).toMatch(/^collection: phoenix-2$/m);
    expect(await readFile(join(outDir(), 'alertes-du-jour.yaml'), 'utf8')).toMatch(/^collection: alerting$/m);
    expect(result.collections).toEqual([
      { under: 'phoenix', entry: { key: 'operations', name: 'Opérations' } },
      { under: null, entry: { key: 'marketing', name: 'Marketing', children: [{ key: 'phoenix-2', name: 'Phoenix' }] } },
    ]);
    expect(renderCollectionsToDeclare(result.collections, 'metabase.config.yaml')).toContain('in the `children:` of collection `phoenix`');
  });

  it('refuses a dashboard in the root collection or in a personal collection, which the config cannot declare, and writes nothing', async () => {
    await t.apply(t.root);
    const inRoot = await makeDashboard(api(), 'Vue d\'ensemble', null);
    const personal = 9001;
    t.fake.state.collections.set(personal, { id: personal, name: 'Alice\'s Personal Collection', description: null, location: '/', archived: false, personal_owner_id: 1, entity_id: 'personalcollection001' });
    const inPersonal = await makeDashboard(api(), 'Brouillon', personal);
    const before = await readdir(outDir());

    const refused = pull(await open(), { dashboards: [String(inRoot), String(inPersonal)], outDir: outDir() });
    await expect(refused).rejects.toBeInstanceOf(MbSyncError);
    await expect(refused).rejects.toMatchObject({ exitCode: 1, message: expect.stringMatching(/"Vue d'ensemble" is in the root collection \("Our analytics"\)[\s\S]*"Brouillon" is in a personal collection/) });
    expect(await readdir(outDir())).toEqual(before);
  });
});
