import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProject } from '../../../src/config/load-project.ts';
import { interpolate } from '../../../src/config/interpolate.ts';
import { ConfigError, EnvMissingError } from '../../../src/core/errors.ts';
import { files } from '../../integration/engine/fixture-project.ts';
import { writeProject } from '../../integration/engine/harness.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function load(overrides: Record<string, string>, env: NodeJS.ProcessEnv = { PHOENIX_RO_PASSWORD: 'x' }) {
  const p = await writeProject({ ...files, ...overrides });
  cleanups.push(p.cleanup);
  return loadProject({ configPath: `${p.root}/metabase.config.yaml`, env });
}

async function issuesOf(overrides: Record<string, string>, env?: NodeJS.ProcessEnv) {
  const error = await load(overrides, env).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigError);
  return (error as ConfigError).issues.map((i) => `${i.file.replace(/^.*mb-sync-e2e-[^/]+\//, '')}:${i.line ?? '?'}: ${i.path}: ${i.message}`);
}

describe('loadProject', () => {
  it('loads the config, dashboards and inline cards', async () => {
    const project = await load({});
    expect(project.dashboards.map((d) => d.dashboard.key)).toEqual(['energie']);
    expect([...project.cards.keys()].sort()).toEqual(['funnel', 'spend-by-module', 'zero-surge']);
    expect(project.cards.get('funnel')?.collection).toBe('phoenix');
    expect(project.config.database.password).toBe('x');
  });

  it('a dashboard\'s unknown collection is one error at its line, not one more per card that takes it', async () => {
    const issues = await issuesOf({ 'dashboards/energie.yaml': files['dashboards/energie.yaml']!.replace('collection: phoenix', 'collection: phoenx') });
    expect(issues).toEqual([expect.stringMatching(/^dashboards\/energie\.yaml:\d+: collection: unknown collection "phoenx"/)]);
  });

  it('refuses a default its filter or variable could not read, at its path', async () => {
    const issues = await issuesOf({
      'dashboards/energie.yaml': files['dashboards/energie.yaml']!.replace('default: past30days', 'default: { a: [1, { b: 2 }] }'),
      'metabase.config.yaml': files['metabase.config.yaml']!.replace('params: { threshold: { type: number, default: 2 } }', 'params: { threshold: { type: number, default: abc } }'),
    });
    expect(issues).toEqual([
      expect.stringMatching(/^metabase\.config\.yaml:\d+: cards\[0\]\.params\.threshold\.default: a number filter's default is a number/),
      expect.stringMatching(/^dashboards\/energie\.yaml:\d+: filters\[0\]\.default: a default is a value \(past30days, 10, true\) or a list of values$/),
    ]);
  });

  it('reads a dashboard file named .YAML or .yml as well as .yaml', async () => {
    const { 'dashboards/energie.yaml': energie, ...rest } = files;
    const p = await writeProject({ ...rest, 'dashboards/energie.YAML': energie!, 'dashboards/second.yml': energie!.replace('key: energie', 'key: second').replace('name: Phoenix – Energie Live', 'name: Second').replace(/- key: (\S+)/g, '- key: second-$1') });
    cleanups.push(p.cleanup);
    const project = await loadProject({ configPath: `${p.root}/metabase.config.yaml`, env: { PHOENIX_RO_PASSWORD: 'x' } });
    expect(project.dashboards.map((d) => d.dashboard.key).sort()).toEqual(['energie', 'second']);
  });

  it('reports every problem at once, each with file, line and path', async () => {
    const dashboard = files['dashboards/energie.yaml']!
      .replace('collection: phoenix', 'collection: phoenixx')
      .replace('filters: { period: event_date, module: module }', 'filters: { periode: event_date, module: module }')
      .replace('display: bar', 'display: bars');
    const issues = await issuesOf({ 'dashboards/energie.yaml': dashboard }, {});
    expect(issues).toEqual(expect.arrayContaining([
      expect.stringMatching(/^dashboards\/energie\.yaml:13: cards\[1\]\.display: /),
    ]));
    // An unset variable is not a problem of the files: it is named in the hint, not among the issues.
    expect(issues.join('\n')).not.toContain('PHOENIX_RO_PASSWORD');
    const error = (await load({ 'dashboards/energie.yaml': dashboard }, {}).catch((e: unknown) => e)) as ConfigError;
    expect(error.hint).toContain('Not set in the environment either: PHOENIX_RO_PASSWORD');
  });

  it('lists every unset variable at once, as an environment error naming where each is used', async () => {
    const config = files['metabase.config.yaml']!.replace('host: pg.internal', 'host: ${PHOENIX_DB_HOST}').replace('name: Phoenix (analytics)', 'name: ${PHOENIX_DB_HOST}');
    const error = await load({ 'metabase.config.yaml': config }, {}).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(EnvMissingError);
    expect(error).not.toBeInstanceOf(ConfigError);
    const e = error as EnvMissingError;
    expect(e.code).toBe('ENV_MISSING');
    expect(e.variables.map((v) => v.variable).sort()).toEqual(['PHOENIX_DB_HOST', 'PHOENIX_RO_PASSWORD']);
    expect(e.variables.find((v) => v.variable === 'PHOENIX_DB_HOST')?.usedAt).toEqual(['metabase.config.yaml:7 database.name', 'metabase.config.yaml:8 database.host'].map((s) => expect.stringContaining(s)));
    expect(e.message).toMatch(/^2 environment variables are not set:/);
    expect(e.hint).toContain('nothing was sent to Metabase');
  });

  it('validate mode reads unset variables as placeholders and reports them aside', async () => {
    const p = await writeProject(files);
    cleanups.push(p.cleanup);
    let unset: string[] = [];
    await loadProject({ configPath: `${p.root}/metabase.config.yaml`, env: {}, allowMissingEnv: true, onMissingEnv: (m) => { unset = m.map((v) => v.variable); } });
    expect(unset).toEqual(['PHOENIX_RO_PASSWORD']);
  });

  it('names unknown references with the nearest candidates', async () => {
    const dashboard = files['dashboards/energie.yaml']!
      .replace('collection: phoenix', 'collection: phoenixx')
      .replace('filters: { period: event_date, module: module }', 'filters: { periode: event_date, module: module }');
    const issues = await issuesOf({ 'dashboards/energie.yaml': dashboard });
    expect(issues).toEqual(expect.arrayContaining([
      expect.stringMatching(/dashboards\/energie\.yaml:\d+: collection: unknown collection "phoenixx" — did you mean phoenix\?/),
      expect.stringMatching(/dashboards\/energie\.yaml:\d+: cards\[1\]\.filters\.periode: unknown dashboard filter "periode" — did you mean period\?/),
    ]));
  });

  it('reports YAML syntax errors with their line, overlapping cards, and tags without params', async () => {
    expect(await issuesOf({ 'dashboards/energie.yaml': 'key: x\nname: [unclosed\n' })).toEqual([expect.stringMatching(/^dashboards\/energie\.yaml:\d: : YAML syntax/)]);
    const overlap = files['dashboards/energie.yaml']!.replace('layout: { row: 1, col: 12, width: 12, height: 6 }', 'layout: { row: 2, col: 6, width: 12, height: 6 }');
    expect(await issuesOf({ 'dashboards/energie.yaml': overlap })).toEqual([expect.stringMatching(/cards\[2\]\.layout: funnel overlaps spend-by-module/)]);
    const tag = files['dashboards/energie.yaml']!.replace('WHERE {{period}}', 'WHERE {{period}} AND {{pack}}');
    expect(await issuesOf({ 'dashboards/energie.yaml': tag })).toEqual([expect.stringMatching(/cards\[2\]\.sql: \{\{pack\}\} has no entry in params/)]);
  });

  it('refuses duplicate card keys across files', async () => {
    const issues = await issuesOf({ 'models/dup.yaml': 'key: funnel\nname: Dup\ncollection: phoenix\nsql: SELECT 1\n' });
    expect(issues).toEqual([expect.stringMatching(/card key "funnel" is already used in/)]);
  });
});

describe('interpolate', () => {
  it('reads variables, defaults and escapes, and lists what is missing', () => {
    const out = interpolate({ a: '${A}', b: '${B:-dflt}', c: 'x$${A}', d: ['${MISSING}'] }, { A: 'one' });
    expect(out.value).toEqual({ a: 'one', b: 'dflt', c: 'x${A}', d: [''] });
    expect(out.missing).toEqual([{ path: ['d', 0], variable: 'MISSING' }]);
  });
  it('treats values of secret-looking variables as secrets', () => {
    expect(interpolate('${DB_PASSWORD}', { DB_PASSWORD: 'hunter2' }).secrets).toEqual(['hunter2']);
  });
});

describe('the read-only role in the config', () => {
  it('is a plain identifier, and the user Metabase connects with, or validation says where', async () => {
    const broken = await writeProject({ ...files, 'metabase.config.yaml': `${files['metabase.config.yaml']!}postgres:\n  readonly_role: "ro; DROP ROLE x"\n` });
    try {
      await expect(loadProject({ configPath: join(broken.root, 'metabase.config.yaml'), env: { PHOENIX_RO_PASSWORD: 'x' } })).rejects.toThrow(/metabase\.config\.yaml:\d+: postgres\.readonly_role: a plain lower-case identifier/);
    } finally {
      await broken.cleanup();
    }
    const mismatch = await writeProject({ ...files, 'metabase.config.yaml': `${files['metabase.config.yaml']!}postgres:\n  readonly_role: someone_else\n` });
    try {
      await expect(loadProject({ configPath: join(mismatch.root, 'metabase.config.yaml'), env: { PHOENIX_RO_PASSWORD: 'x' } })).rejects.toThrow(/database\.user: Metabase connects as "phoenix_analytics_ro", but the read-only role db apply manages is postgres\.readonly_role "someone_else"/);
    } finally {
      await mismatch.cleanup();
    }
  });
});
