import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProject } from '../../../src/config/load-project.ts';
import { ConfigError } from '../../../src/core/errors.ts';
import { files } from '../../integration/engine/fixture-project.ts';
import { writeProject } from '../../integration/engine/harness.ts';
import { PHOENIX_ROOT } from '../../support/phoenix.ts';

// A file validated before, unchanged and with no variable in it, is taken as the schemas gave it
// (node_modules/.cache/mb-sync/validated.json, under the build's id): the project must come out
// exactly as when every file is validated.
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});
const env = { PHOENIX_RO_PASSWORD: 'x', PHOENIX_ANALYTICS_RO_PASSWORD: 'y' };
const plain = (p: Awaited<ReturnType<typeof loadProject>>) => JSON.stringify({ config: p.config, cards: [...p.cards], dashboards: p.dashboards.map((d) => d.dashboard) });

async function projectWithCache(texts: Record<string, string>) {
  const p = await writeProject(texts);
  cleanups.push(p.cleanup);
  await mkdir(join(p.root, 'node_modules'));
  return p.root;
}
const cacheOf = async (root: string) => JSON.parse(await readFile(join(root, 'node_modules/.cache/mb-sync/validated.json'), 'utf8')) as { version: string; entries: Record<string, unknown> };

describe('the validated-files cache', () => {
  it('gives back the Phoenix project exactly as a full validation does, and keys files by schema, text and build', async () => {
    const texts: Record<string, string> = {};
    for (const name of ['metabase.config.yaml', 'dashboards/energie-live.yaml', 'dashboards/aube-rituels.yaml', 'dashboards/activation.yaml', 'dashboards/constellations.yaml']) texts[name] = await readFile(join(PHOENIX_ROOT, name), 'utf8');
    const root = await projectWithCache(texts);
    const configPath = join(root, 'metabase.config.yaml');
    const fresh = await loadProject({ configPath, env });
    const first = await loadProject({ configPath, env, schemaVersion: 'build-1' });
    const cache = await cacheOf(root);
    expect(cache.version).toBe('build-1');
    // The dashboards have no variable: cached. The config has some (passwords, URLs): never.
    expect(Object.keys(cache.entries).map((k) => k.split(':')[0]).sort()).toEqual(['dashboard', 'dashboard', 'dashboard', 'dashboard']);
    const second = await loadProject({ configPath, env, schemaVersion: 'build-1' });
    expect(plain(first)).toBe(plain(fresh));
    expect(plain(second)).toBe(plain(fresh));
    // The second load took the dashboards from the cache, not from the schemas: what the cache holds
    // is what comes out (an entry changed by hand shows through).
    const file = join(root, 'node_modules/.cache/mb-sync/validated.json');
    const stored = await cacheOf(root);
    const [key, entry] = Object.entries(stored.entries).find(([, e]) => (e as { value: { name: string } }).value.name === 'Phoenix – Energie Live')! as [string, { value: { name: string } }];
    entry.value.name = 'From the cache';
    await writeFile(file, JSON.stringify({ ...stored, entries: { ...stored.entries, [key]: entry } }));
    const third = await loadProject({ configPath, env, schemaVersion: 'build-1' });
    expect(third.dashboards.map((d) => d.dashboard.name)).toContain('From the cache');
    // Another build starts over.
    await loadProject({ configPath, env, schemaVersion: 'build-2' });
    expect((await cacheOf(root)).version).toBe('build-2');
  });

  it('never keeps a file the schemas refuse, and validates a changed file again', async () => {
    const root = await projectWithCache(files);
    const configPath = join(root, 'metabase.config.yaml');
    await loadProject({ configPath, env, schemaVersion: 'b' });
    const dashboard = join(root, 'dashboards/energie.yaml');
    await writeFile(dashboard, (await readFile(dashboard, 'utf8')).replace('display: bar', 'display: barre'));
    for (let run = 0; run < 2; run++) await expect(loadProject({ configPath, env, schemaVersion: 'b' })).rejects.toBeInstanceOf(ConfigError);
    expect(Object.keys((await cacheOf(root)).entries)).toHaveLength(1);
  });

  it('takes a validated file without parsing it, and reads its lines again from the text when an error needs one', async () => {
    const root = await projectWithCache(files);
    const configPath = join(root, 'metabase.config.yaml');
    const fresh = await loadProject({ configPath, env });
    await loadProject({ configPath, env, schemaVersion: 'b' });
    // The parse cache is not what the lines come from: shifted there, they would show.
    const parses = join(root, 'node_modules/.cache/mb-sync/yaml.json');
    await writeFile(parses, (await readFile(parses, 'utf8')).replace(/"lines":\{[^}]*\}/g, (lines) => lines.replace(/:(\d+)/g, (_m, n: string) => `:${Number(n) + 1000}`)));
    const again = await loadProject({ configPath, env, schemaVersion: 'b' });
    // And it keeps only the parses runs read: the config's (it has variables), not the dashboard's.
    expect(Object.keys((JSON.parse(await readFile(parses, 'utf8')) as { entries: object }).entries)).toHaveLength(1);
    const card = [...again.cards.values()].find((c) => c.origin.file.includes('dashboards/'))!;
    const before = fresh.cards.get(card.card.key)!;
    expect(card.origin.line).toBeGreaterThan(1);
    expect(card.origin.line).toBe(before.origin.line);
    expect(card.origin.lines).toEqual(before.origin.lines);
    expect(again.dashboards[0]!.origin.lines).toEqual(fresh.dashboards[0]!.origin.lines);
    expect(JSON.stringify(again.dashboards)).toBe(JSON.stringify(fresh.dashboards));
  });

  it('keeps only texts its own YAML reader reads: one with an anchor is validated on every run', async () => {
    const root = await projectWithCache(files);
    const dashboard = join(root, 'dashboards/energie.yaml');
    await writeFile(dashboard, (await readFile(dashboard, 'utf8')).replace('display: bar', 'display: &shown bar'));
    const configPath = join(root, 'metabase.config.yaml');
    const loaded = await loadProject({ configPath, env, schemaVersion: 'b' });
    expect(loaded.dashboards).toHaveLength(1);
    await loadProject({ configPath, env, schemaVersion: 'b' });
    expect(await readFile(join(root, 'node_modules/.cache/mb-sync/validated.json'), 'utf8').catch(() => 'none')).toBe('none');
  });

  it('keeps a file with CRLF line endings (a Windows checkout) like any other, lines included', async () => {
    const crlf = Object.fromEntries(Object.entries(files).map(([name, text]) => [name, text.replace(/\n/g, '\r\n')]));
    const root = await projectWithCache(crlf);
    const configPath = join(root, 'metabase.config.yaml');
    const fresh = await loadProject({ configPath, env });
    await loadProject({ configPath, env, schemaVersion: 'b' });
    expect(Object.keys((await cacheOf(root)).entries)).toHaveLength(1);
    const again = await loadProject({ configPath, env, schemaVersion: 'b' });
    expect(JSON.stringify(again.dashboards)).toBe(JSON.stringify(fresh.dashboards));
    expect(JSON.stringify([...again.cards.values()].map((c) => c.origin))).toBe(JSON.stringify([...fresh.cards.values()].map((c) => c.origin)));
  });
});
