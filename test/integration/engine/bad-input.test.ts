import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadProject } from '../../../src/config/load-project.ts';
import { assertChangedSqlCompiles, validateOffline } from '../../../src/engine/validate-offline.ts';
import { makeCheckedPlan } from '../../../src/engine/checked-plan.ts';
import { handlers } from '../../../src/resources/registry.ts';
import { openSession, useFakeMetabase } from './harness.ts';
import { env, files } from './fixture-project.ts';

// Bad input is caught before anything is written, with the file, the line and the path.
const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../../bin/mb-sync.js');
const t = useFakeMetabase();
async function project(edit: (f: Record<string, string>) => Record<string, string>): Promise<string> {
  return t.project(edit({ ...files }));
}
const load = (root: string) => loadProject({ configPath: join(root, 'metabase.config.yaml'), env });
const dashboard = (f: Record<string, string>, from: string, to: string) => ({ ...f, 'dashboards/energie.yaml': f['dashboards/energie.yaml']!.replace(from, to) });
const MODEL = (extra: string) => `key: funnel-model\nname: Funnel model\ntype: model\ncollection: phoenix\nquery:\n  source: analytics.vw_pack_funnel\n${extra}`;

describe('files that cannot be read as written', () => {
  it.each([
    ['Latin-1', Buffer.from('key: energie\nname: "Énergie"\n', 'latin1'), /dashboards\/energie\.yaml:2: \(root\): the file is not UTF-8 \(byte 0xc9 at line 2; Latin-1 or Windows-1252\?\): save it as UTF-8/],
    ['UTF-16 with a byte order mark', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('key: energie\n', 'utf16le')]), /dashboards\/energie\.yaml: \(root\): the file is UTF-16 \(little-endian, with a byte order mark\): save it as UTF-8/],
    ['UTF-16 without one', Buffer.from('key: energie\nname: x\n', 'utf16le'), /dashboards\/energie\.yaml: \(root\): the file looks like UTF-16/],
  ])('a %s file is refused with the file and the encoding named', async (_name, bytes, message) => {
    const root = await project((f) => f);
    await writeFile(join(root, 'dashboards/energie.yaml'), bytes);
    await expect(load(root)).rejects.toThrow(message);
  });

  it('one defect gives one error at its line: an unclosed brace, a tab', async () => {
    const brace = await project((f) => dashboard(f, '    layout: { row: 1, col: 0, width: 12, height: 6 }', '    layout: { row: 1, col: 0, width: 12, height: 6'));
    const error = await load(brace).catch((e: Error) => e);
    expect(String(error).match(/energie\.yaml:\d+: \(root\): YAML syntax/g)).toHaveLength(1);
    const tab = await project((f) => dashboard(f, '  - key: funnel', '\t- key: funnel'));
    const tabError = await load(tab).catch((e: Error) => e);
    expect(String(tabError).match(/YAML syntax: Tabs are not allowed/g)).toHaveLength(1);
  });

  it('an alias bomb and a recursive alias are refused, naming the file', async () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]', 'e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]'];
    const bomb = await project((f) => ({ ...f, 'models/bomb.yaml': `${levels.join('\n')}\n` }));
    await expect(load(bomb)).rejects.toThrow(/models\/bomb\.yaml: \(root\): YAML aliases: Excessive alias count/);
    const recursive = await project((f) => ({ ...f, 'models/loop.yaml': 'key: &k\n  inner: *k\n' }));
    await expect(load(recursive)).rejects.toThrow(/models\/loop\.yaml: \(root\): YAML aliases: a recursive alias/);
  });
});

describe('cards that cannot work', () => {
  it('a card with both query and sql', async () => {
    const root = await project((f) => dashboard(f, '    sql: |', '    query: { source: analytics.vw_pack_funnel }\n    sql: |'));
    await expect(load(root)).rejects.toThrow(/energie\.yaml:\d+: cards\[2\]: a card needs exactly one of `query` \(query builder\) or `sql` \(native\)/);
  });

  it('a model built on itself, and models built on each other in a circle', async () => {
    const self = await project((f) => ({ ...f, 'models/self.yaml': 'key: loop\nname: Loop\ntype: model\ncollection: phoenix\nquery: { source: "model:loop" }\n' }));
    await expect(load(self)).rejects.toThrow(/models\/self\.yaml:5: query\.source: card loop is built on itself/);
    const circle = await project((f) => ({ ...f, 'models/a.yaml': 'key: ma\nname: A\ntype: model\ncollection: phoenix\nquery: { source: "model:mb" }\n', 'models/b.yaml': 'key: mb\nname: B\ntype: model\ncollection: phoenix\nquery: { source: "model:ma" }\n' }));
    await expect(load(circle)).rejects.toThrow(/query\.source: models built on each other in a circle: ma → mb → ma/);
    // A chain built on models (no circle) is fine; one that leads into the circle names it once.
    const model = (key: string, source: string) => `key: ${key}\nname: ${key}\ntype: model\ncollection: phoenix\nquery: { source: "${source}" }\n`;
    const into = await project((f) => ({ ...f, 'models/a.yaml': model('ma', 'model:mb'), 'models/b.yaml': model('mb', 'model:ma'), 'models/c.yaml': model('mc', 'model:ma'), 'models/d.yaml': model('md', 'model:me'), 'models/e.yaml': model('me', 'model:mf'), 'models/f.yaml': model('mf', 'analytics.vw_daily_energy_ledger') }));
    const message = await load(into).then(() => '', (e: Error) => e.message);
    expect(message.match(/in a circle/g)).toHaveLength(1);
    expect(message).not.toMatch(/\b(mc|md|me|mf)\b/);
  });

  it('column metadata for a column the model lacks, by validate and by plan', async () => {
    const root = await project((f) => ({ ...f, 'models/funnel.yaml': MODEL('columns:\n  views: { display_name: Vues }\n  viewz: { display_name: Typo }\n') }));
    const summary = await validateOffline(await load(root));
    expect(summary.issues.map((i) => `${i.file.replace(/^.*\/models\//, 'models/')}: ${i.path}: ${i.message}`)).toEqual([expect.stringMatching(/^models\/funnel\.yaml: columns\.viewz: the model has no column viewz — did you mean views/)]);
    await (await openSession(t.fake, (await project((f) => f)), env)).apply();
    const session = await openSession(t.fake, root, env);
    await expect(session.plan()).rejects.toThrow(/models\/funnel\.yaml:9: columns\.viewz: card\.funnel-model: the model has no column viewz — did you mean views/);
  });

  it('native SQL that does not compile is refused by plan and apply, before anything is sent', async () => {
    const root = await project((f) => dashboard(f, 'FROM analytics.vw_pack_funnel WHERE {{period}} GROUP BY 1', 'FROM analytics.vw_pack_funnel WHERE {{period}} GROUP BY 1 ORDER'));
    const session = await openSession(t.fake, root, env);
    const state = await session.plan();
    await expect(assertChangedSqlCompiles(session.project, state.plan)).rejects.toThrow(/energie\.yaml:\d+: cards\[2\]\.sql: card\.funnel: the SQL does not compile against the analytics views: syntax error/);
    // The plan is handed over for rendering while its SQL compiles, yet refused once it does not.
    const rendered: string[] = [];
    const checked = makeCheckedPlan({ project: session.project, api: session.api, server: Promise.resolve(session.server), target: { environment: 'test', url: t.fake.url }, handlers, allowArchive: false }, { render: (plan) => rendered.push(`${plan.summary.create} to create`) });
    await expect(checked).rejects.toThrow(/card\.funnel: the SQL does not compile/);
    expect(rendered).toEqual([expect.stringMatching(/^\d+ to create$/)]);
    // Should the render itself fail, the SQL's refusal is still what is reported.
    const failing = makeCheckedPlan({ project: session.project, api: session.api, server: Promise.resolve(session.server), target: { environment: 'test', url: t.fake.url }, handlers, allowArchive: false }, { render: () => {
      throw new Error('the render failed');
    } });
    await expect(failing).rejects.toThrow(/card\.funnel: the SQL does not compile/);
    // Neither command prints the plan it rendered.
    const cliEnv = { PATH: process.env.PATH ?? '', MB_URL: t.fake.url, MB_API_KEY: t.fake.apiKey, ...env };
    for (const args of [['apply', '--yes'], ['plan']]) {
      const cli = await run(process.execPath, [BIN, ...args], { cwd: root, env: cliEnv }).catch((e: { code: number; stdout: string; stderr: string }) => e);
      expect((cli as { code: number }).code).toBe(1);
      expect((cli as { stderr: string }).stderr).toContain('the SQL does not compile');
      expect(`${(cli as { stdout: string }).stdout}${(cli as { stderr: string }).stderr}`).not.toMatch(/Plan: \d+ to create|mb-sync plan: project/);
    }
    expect(t.fake.writes()).toBe(0);
  });

  it('a table that neither Metabase nor the project\'s SQL has is reported at plan time, without waiting for a sync', async () => {
    const root = await project((f) => dashboard(f, 'source: analytics.vw_daily_energy_ledger', 'source: analytics.vw_daily_energy_ledgr'));
    await (await openSession(t.fake, await project((f) => f), env)).apply();
    t.fake.resetLog();
    await expect((await openSession(t.fake, root, env)).plan()).rejects.toThrow(/energie\.yaml:\d+: cards\[1\]: card\.spend-by-module: no table analytics\.vw_daily_energy_ledgr in Metabase nor in the project's SQL — did you mean analytics\.vw_daily_energy_ledger/);
    expect(t.fake.requests.filter((r) => r.path.endsWith('/sync_schema'))).toEqual([]);
  });
});

describe('options that make no sense', () => {
  const cli = (args: string[], cwd: string) => run(process.execPath, [BIN, ...args], { cwd, env: { PATH: process.env.PATH ?? '', MB_URL: t.fake.url, MB_API_KEY: t.fake.apiKey, ...env } }).then(() => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => e);

  it('bootstrap --timeout soon says the option wants seconds; --json with --format markdown is refused', async () => {
    const root = await project((f) => f);
    const timeout = await cli(['bootstrap', '--timeout', 'soon'], root);
    expect(timeout.code).toBe(1);
    expect(timeout.stderr).toContain('--timeout wants a number of seconds, e.g. 300 (got "soon")');
    const both = await cli(['plan', '--json', '--format', 'markdown'], root);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain('--json and --format markdown ask for two different outputs');
    const missing = await cli(['plan', '--baseline', '../nowhere/metabase.config.yaml'], root);
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringContaining('--baseline ../nowhere/metabase.config.yaml: no such file') });
    const itself = await cli(['plan', '--baseline', 'metabase.config.yaml'], root);
    expect(itself).toMatchObject({ code: 1, stderr: expect.stringContaining("is this project's own config") });
  });

  it('plan --json with files it refuses: exit 1, the error on stderr, nothing on stdout and nothing sent (README, Exit codes)', async () => {
    const root = await project((f) => dashboard(f, 'display: bar', 'display: barr'));
    t.fake.resetLog();
    const refused = await run(process.execPath, [BIN, 'plan', '--json'], { cwd: root, env: { PATH: process.env.PATH ?? '', MB_URL: t.fake.url, MB_API_KEY: t.fake.apiKey, ...env } }).then(() => undefined, (e: { code: number; stdout: string; stderr: string }) => e);
    expect(refused).toMatchObject({ code: 1, stdout: '' });
    expect(refused!.stderr).toMatch(/dashboards\/energie\.yaml:\d+: cards\[\d+\]\.display/);
    expect(t.fake.requests).toEqual([]);
  });
});

describe('errors from checks across files point at the offending key', () => {
  it('a filter mapped to a missing column names that mapping\'s line; a bad timezone names postgres.timezone', async () => {
    const root = await project((f) => ({
      ...dashboard(f, 'filters: { period: event_date, module: module }', 'filters: { period: event_date, module: modul }'),
      'metabase.config.yaml': `${f['metabase.config.yaml']!}postgres:\n  timezone: Mars/Olympus_Mons\n`,
    }));
    const { issues } = await validateOffline(await load(root));
    const text = files['dashboards/energie.yaml']!.split('\n');
    const mappingLine = text.findIndex((l) => l.includes('filters: { period: event_date, module: module }')) + 1;
    const configLines = `${files['metabase.config.yaml']!}postgres:\n  timezone: Mars/Olympus_Mons\n`.split('\n');
    const tzLine = configLines.findIndex((l) => l.includes('Mars/Olympus_Mons')) + 1;
    expect(issues.map((i) => `${i.file.replace(/^.*\/(dashboards\/|metabase)/, '$1')}:${i.line}: ${i.path}: ${i.message}`)).toEqual([
      expect.stringMatching(new RegExp(`^dashboards/energie\\.yaml:${mappingLine}: cards\\[1\\]\\.filters\\.module: unknown column analytics\\.vw_daily_energy_ledger\\.modul — did you mean analytics\\.vw_daily_energy_ledger\\.module`)),
      `metabase.config.yaml:${tzLine}: postgres.timezone: "Mars/Olympus_Mons" is not a timezone PostgreSQL knows (e.g. Europe/Paris)`,
    ]);
  });
});
