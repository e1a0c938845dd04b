import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProject } from '../../../src/config/load-project.ts';
import { ConfigError } from '../../../src/core/errors.ts';
import { files } from '../../integration/engine/fixture-project.ts';
import { writeProject } from '../../integration/engine/harness.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** A project as a user has it: with a node_modules/ (where the cache lives). */
async function project() {
  const p = await writeProject(files);
  cleanups.push(p.cleanup);
  await mkdir(join(p.root, 'node_modules'));
  return { root: p.root, cacheFile: join(p.root, 'node_modules/.cache/mb-sync/yaml.json'), configPath: join(p.root, 'metabase.config.yaml') };
}

const env = { PHOENIX_RO_PASSWORD: 'a-secret-password' };
const strip = (value: unknown) => JSON.parse(JSON.stringify(value, (_k, v: unknown) => v)) as unknown;

describe('parse cache', () => {
  it('gives the same project from the cache as from the files, lines included', async () => {
    const { cacheFile, configPath } = await project();
    const first = await loadProject({ configPath, env });
    const cached = JSON.parse(await readFile(cacheFile, 'utf8')) as { entries: Record<string, unknown> };
    expect(Object.keys(cached.entries)).toHaveLength(2); // metabase.config.yaml and dashboards/energie.yaml
    const second = await loadProject({ configPath, env });
    expect(strip(second)).toEqual(strip(first));
    expect(second.cards.get('funnel')?.origin.lines).toEqual(first.cards.get('funnel')?.origin.lines);
    expect(Object.keys(second.dashboards[0]!.origin.lines ?? {}).length).toBeGreaterThan(10);
    // And it really comes from the cache: an entry edited there is what the next load sees.
    await writeFile(cacheFile, (await readFile(cacheFile, 'utf8')).replace('"Phoenix – Energie Live"', '"From the cache"'));
    const third = await loadProject({ configPath, env });
    expect(third.dashboards[0]!.dashboard.name).toBe('From the cache');
    // Another build (its YAML reader may read differently) does not take this build's parses.
    const otherBuild = await loadProject({ configPath, env, schemaVersion: 'another-build' });
    expect(otherBuild.dashboards[0]!.dashboard.name).toBe('Phoenix – Energie Live');
  });

  it('never holds an interpolated value: the cache has ${VAR}, not the secret', async () => {
    const { cacheFile, configPath } = await project();
    await loadProject({ configPath, env });
    const text = await readFile(cacheFile, 'utf8');
    expect(text).toContain('${PHOENIX_RO_PASSWORD}');
    expect(text).not.toContain('a-secret-password');
  });

  it('misses on a changed file, whose schema errors keep their lines when read from the cache', async () => {
    const { root, configPath } = await project();
    await loadProject({ configPath, env });
    const dashboard = join(root, 'dashboards/energie.yaml');
    const text = await readFile(dashboard, 'utf8');
    await writeFile(dashboard, text.replace('display: bar', 'display: bars'));
    // The second run reads the (valid YAML) file from the cache: the schema error keeps its line.
    for (let run = 0; run < 2; run++) {
      const error = await loadProject({ configPath, env }).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      const issue = (error as ConfigError).issues.find((i) => i.path.endsWith('display'))!;
      expect(issue.line).toBe(text.split('\n').findIndex((l) => l.includes('display: bar')) + 1);
    }
  });

  it('never caches a file that does not parse: its YAML error is found again every time', async () => {
    const { root, cacheFile, configPath } = await project();
    await loadProject({ configPath, env });
    const before = Object.keys((JSON.parse(await readFile(cacheFile, 'utf8')) as { entries: object }).entries).length;
    const dashboard = join(root, 'dashboards/energie.yaml');
    await writeFile(dashboard, `${await readFile(dashboard, 'utf8')}\nbroken: [unclosed\n`);
    for (let run = 0; run < 2; run++) {
      const error = await loadProject({ configPath, env }).then(() => undefined, (e: unknown) => e);
      expect((error as ConfigError).issues.map((i) => i.message)).toEqual([expect.stringMatching(/^YAML syntax: /)]);
    }
    expect(Object.keys((JSON.parse(await readFile(cacheFile, 'utf8')) as { entries: object }).entries)).toHaveLength(before);
  });

  it('is off with MB_SYNC_NO_CACHE=1, and a corrupt cache is ignored', async () => {
    const { cacheFile, configPath } = await project();
    await loadProject({ configPath, env: { ...env, MB_SYNC_NO_CACHE: '1' } });
    await expect(readFile(cacheFile)).rejects.toThrow();
    await mkdir(join(cacheFile, '..'), { recursive: true });
    await writeFile(cacheFile, '{"format":2,"parser":');
    const loaded = await loadProject({ configPath, env });
    expect(loaded.dashboards).toHaveLength(1);
  });
});
