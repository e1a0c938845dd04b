import { readdir, readFile, rename } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.ts';
import { MbSyncError } from '../../../src/core/errors.ts';
import { openTarget } from '../../../src/engine/open-target.ts';
import { pull } from '../../../src/engine/pull.ts';
import { createMetabaseClient } from '../../../src/metabase/client.ts';
import { useFakeMetabase, writeProject } from '../engine/harness.ts';
import { env, files } from '../engine/fixture-project.ts';

const HAND_WRITTEN = '# Owned by the energy team: ask #energie before changing the filters.\n';

describe('mb-sync pull of a dashboard the project already has', () => {
  const t = useFakeMetabase({ files: { ...files, 'dashboards/energie.yaml': HAND_WRITTEN + files['dashboards/energie.yaml']! } });
  const open = () => openTarget({ configPath: join(t.root, 'metabase.config.yaml'), processEnv: { ...env, MB_URL: t.fake.url, MB_API_KEY: t.fake.apiKey } });
  const outDir = () => join(t.root, 'dashboards');
  const idOf = (name: string) => [...t.fake.state.dashboards.values()].find((d) => d.name === name)!.id as number;
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('after `git mv`, finds its file by the dashboard\'s marker: refused without --force, that file replaced with it, never a second one', async () => {
    await t.apply(t.root);
    await rename(join(outDir(), 'energie.yaml'), join(outDir(), 'energy.yaml'));
    const id = idOf('Phoenix – Energie Live');

    const refused = pull(await open(), { dashboards: [String(id)], outDir: outDir() });
    await expect(refused).rejects.toBeInstanceOf(MbSyncError);
    await expect(refused).rejects.toMatchObject({ exitCode: 1, message: expect.stringContaining('energy.yaml'), hint: expect.stringContaining('--force') });
    expect(await readdir(outDir())).toEqual(['energy.yaml']);
    expect(await readFile(join(outDir(), 'energy.yaml'), 'utf8')).toContain(HAND_WRITTEN);

    const result = await pull(await open(), { dashboards: [String(id)], outDir: outDir(), force: true });
    expect(await readdir(outDir())).toEqual(['energy.yaml']);
    expect(result.files.map((f) => resolve(f))).toEqual([join(outDir(), 'energy.yaml')]);
    expect(result.replaced.map((f) => resolve(f))).toEqual([join(outDir(), 'energy.yaml')]);
    const yaml = await readFile(join(outDir(), 'energy.yaml'), 'utf8');
    expect(yaml).toMatch(/^key: energie$/m);
    expect(yaml).not.toContain(HAND_WRITTEN);
    const changed = (await t.plan(t.root)).stages.flatMap((s) => s.actions).filter((a) => a.op !== 'noop');
    expect(changed.map((a) => a.address)).toEqual([]);
  });

  it('finds a hand-made dashboard pulled before (no marker yet) by its name and collection, and keeps its key and its cards\' keys', async () => {
    await t.apply(t.root);
    const api = createMetabaseClient({ url: t.fake.url, auth: { apiKey: t.fake.apiKey } });
    const phoenix = [...t.fake.state.collections.values()].find((c) => c.name === 'Phoenix')!.id as number;
    const card = await api.post<{ id: number }>('/api/card', {
      name: 'Un', display: 'scalar', collection_id: phoenix, visualization_settings: {},
      dataset_query: { type: 'native', database: [...t.fake.state.databases.values()][0]!.id, native: { query: 'SELECT 1', 'template-tags': {} } },
    });
    const dashboard = await api.post<{ id: number }>('/api/dashboard', { name: 'Fait main', collection_id: phoenix });
    await api.put(`/api/dashboard/${dashboard.id}`, { tabs: [], dashcards: [{ id: -1, card_id: card.id, row: 0, col: 0, size_x: 6, size_y: 3, visualization_settings: {}, parameter_mappings: [] }] });

    await pull(await open(), { dashboards: ['Fait main'], outDir: outDir() });
    const first = await readFile(join(outDir(), 'fait-main.yaml'), 'utf8');
    await expect(pull(await open(), { dashboards: ['Fait main'], outDir: outDir() })).rejects.toMatchObject({ message: expect.stringContaining('fait-main.yaml') });
    await pull(await open(), { dashboards: ['Fait main'], outDir: outDir(), force: true });
    expect((await readdir(outDir())).sort()).toEqual(['energie.yaml', 'fait-main.yaml']);
    const again = await readFile(join(outDir(), 'fait-main.yaml'), 'utf8');
    expect(again).toBe(first);
    expect(again).toMatch(/^key: fait-main$/m);
    expect(again).toMatch(/^ {2}- key: un$/m);
  });

  it('takes a copy made by hand next to a managed dashboard, with its very name, for a new dashboard, not for the managed one', async () => {
    await t.apply(t.root);
    const api = createMetabaseClient({ url: t.fake.url, auth: { apiKey: t.fake.apiKey } });
    const phoenix = [...t.fake.state.collections.values()].find((c) => c.name === 'Phoenix')!.id as number;
    const copy = await api.post<{ id: number }>('/api/dashboard', { name: 'Phoenix – Energie Live', collection_id: phoenix });
    const before = await readFile(join(outDir(), 'energie.yaml'), 'utf8');

    const result = await pull(await open(), { dashboards: [String(copy.id), String(idOf('Phoenix – Energie Live'))], outDir: outDir(), force: true });
    // The managed one goes back to its own file; the namesake to a file of its own, under a key of its own.
    expect(result.files.map((f) => resolve(f)).sort()).toEqual([join(outDir(), 'energie.yaml'), expect.stringMatching(/\.yaml$/)].sort());
    expect(new Set(result.files.map((f) => resolve(f))).size).toBe(2);
    const energie = await readFile(join(outDir(), 'energie.yaml'), 'utf8');
    expect(energie).toMatch(/^key: energie$/m);
    // Its cards, not the empty copy's nothing.
    expect(energie).toContain('spend-by-module');
    expect(before).toContain('spend-by-module');
  });

  it('does not pin another mb-sync project\'s own card: the pulled dashboard gets a card of its own, and the plan runs', async () => {
    await t.apply(t.root);
    const phoenixCard = [...t.fake.state.cards.values()].find((c) => c.name === 'Dépenses par module')!;
    // Another project on the same database, with a hand-made dashboard holding phoenix's card.
    const aurora = await writeProject(Object.fromEntries(Object.entries(files).map(([name, text]) => [name, text.replace('project: phoenix', 'project: aurora').replace(/name: Phoenix – Energie Live/, 'name: Aurora – Energie')])));
    try {
      await t.apply(aurora.root);
      const api = createMetabaseClient({ url: t.fake.url, auth: { apiKey: t.fake.apiKey } });
      const auroras = [...t.fake.state.collections.values()].find((c) => c.name === 'Phoenix' && String(c.description).includes('(aurora/'))!.id as number;
      const dashboard = await api.post<{ id: number }>('/api/dashboard', { name: 'Emprunt', collection_id: auroras });
      await api.put(`/api/dashboard/${dashboard.id}`, { tabs: [], dashcards: [{ id: -1, card_id: phoenixCard.id, row: 0, col: 0, size_x: 6, size_y: 3, visualization_settings: {}, parameter_mappings: [] }] });
      const target = await openTarget({ configPath: join(aurora.root, 'metabase.config.yaml'), processEnv: { ...env, MB_URL: t.fake.url, MB_API_KEY: t.fake.apiKey } });
      await pull(target, { dashboards: [String(dashboard.id)], outDir: join(aurora.root, 'dashboards') });
      const yaml = await readFile(join(aurora.root, 'dashboards/emprunt.yaml'), 'utf8');
      expect(yaml).not.toContain(String(phoenixCard.entity_id));
      const planned = (await t.plan(aurora.root)).stages.flatMap((st) => st.actions).filter((a) => a.kind === 'card' && a.op !== 'noop');
      expect(planned.some((a) => a.op === 'create')).toBe(true);
      expect(planned.filter((a) => a.id === phoenixCard.id)).toEqual([]);
    } finally {
      await aurora.cleanup();
    }
  });

  it('never writes over the file of another dashboard of the project, even with --force', async () => {
    await t.apply(t.root);
    // The file of dashboard `energie`, named after what a new dashboard's key will be.
    await rename(join(outDir(), 'energie.yaml'), join(outDir(), 'energy.yaml'));
    const phoenix = [...t.fake.state.collections.values()].find((c) => c.name === 'Phoenix')!.id as number;
    const api = createMetabaseClient({ url: t.fake.url, auth: { apiKey: t.fake.apiKey } });
    const other = await api.post<{ id: number }>('/api/dashboard', { name: 'Energy', collection_id: phoenix });

    await expect(pull(await open(), { dashboards: [String(other.id)], outDir: outDir(), force: true })).rejects.toMatchObject({ message: expect.stringMatching(/energy\.yaml.*dashboard energie/) });
    expect(await readFile(join(outDir(), 'energy.yaml'), 'utf8')).toContain(HAND_WRITTEN);
  });

  it('`mb-sync pull` without --force exits 1, names the file and writes nothing', async () => {
    await t.apply(t.root);
    const id = idOf('Phoenix – Energie Live');
    const before = await readFile(join(outDir(), 'energie.yaml'), 'utf8');
    for (const [name, value] of Object.entries({ ...env, MB_URL: t.fake.url, MB_API_KEY: t.fake.apiKey })) vi.stubEnv(name, value);
    let stderr = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((text) => {
      stderr += String(text);
      return true;
    });
    const code = await main(['node', 'mb-sync', '--config', join(t.root, 'metabase.config.yaml'), 'pull', '--dashboard', String(id), '--out', outDir()]);
    expect(code).toBe(1);
    expect(stderr).toContain('energie.yaml');
    expect(stderr).toContain('--force');
    expect(stderr).not.toContain('✓ wrote');
    expect(await readFile(join(outDir(), 'energie.yaml'), 'utf8')).toBe(before);
  });
});
