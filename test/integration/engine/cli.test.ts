import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeMetabase, type FakeMetabase } from '../../support/fake-metabase/index.ts';
import { writeProject } from './harness.ts';
import { planDigest } from '../../../src/core/fingerprint.ts';
import { PLAN_FORMAT_VERSION } from '../../../src/core/plan.ts';
import { catalog, DB_PASSWORD, files } from './fixture-project.ts';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../../bin/mb-sync.js');

let fake: FakeMetabase;
let project: { root: string; cleanup: () => Promise<void> };
const outputs: string[] = [];

async function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1', MB_URL: fake.url, MB_API_KEY: fake.apiKey, PHOENIX_RO_PASSWORD: DB_PASSWORD, ...extraEnv };
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd: project.root, env });
    outputs.push(stdout, stderr);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    outputs.push(e.stdout, e.stderr);
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  fake = await startFakeMetabase({ catalog, syncPolls: 1 });
  project = await writeProject(files);
});
afterAll(async () => {
  await fake.close();
  await project.cleanup();
});

describe('the mb-sync command line against the fake Metabase', () => {
  it('plans, refuses to apply without --yes off a terminal, applies a saved plan, then reports no drift', async () => {
    const plan = await cli(['plan', '--detailed-exitcode', '--out', 'plan.json']);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('+ dashboard.energie');
    expect(plan.stdout).toMatch(/Plan: \d+ to create, 0 to update, 0 to archive, 0 unchanged\./);

    const refused = await cli(['apply']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('refusing to apply without --yes');
    expect(fake.writes()).toBe(0);

    // A reviewed plan edited afterwards (here: archiving switched on) is refused, and nothing is sent.
    const reviewed = await readFile(join(project.root, 'plan.json'), 'utf8');
    await writeFile(join(project.root, 'edited.json'), reviewed.replace('"allowArchive": false', '"allowArchive": true'));
    const edited = await cli(['apply', 'edited.json']);
    expect(edited.code).toBe(1);
    expect(edited.stderr).toContain('edited.json was changed after it was made (its digest does not match)');
    // Edited and its digest computed again: what it says no longer matches what applying would do.
    const forged = JSON.parse(reviewed) as { stages: Array<{ actions: Array<{ op: string }> }>; digest?: string };
    forged.stages.flatMap((st) => st.actions).find((a) => a.op === 'create')!.op = 'noop';
    forged.digest = planDigest(forged as unknown as Record<string, unknown>);
    await writeFile(join(project.root, 'forged.json'), JSON.stringify(forged));
    const forgedApply = await cli(['apply', 'forged.json']);
    expect(forgedApply.code).toBe(1);
    expect(forgedApply.stderr).toContain('forged.json does not say what applying now would do');
    expect((await cli(['apply', 'plan.json', '--allow-archive'])).stderr).toContain('the flag applies to a new plan, not to a saved one');
    expect((await cli(['apply', 'plan.json', '--select', 'card:funnel'])).stderr).toContain('plan.json is a whole plan: --select applies to a new plan, not to a saved one');
    expect(fake.writes()).toBe(0);

    const applied = await cli(['apply', 'plan.json']);
    expect(applied.stderr).toContain('Apply complete');
    expect(applied.code).toBe(0);

    const stale = await cli(['apply', 'plan.json']);
    expect(stale.code).toBe(1);
    // Everything it was to create is there now: a few named, the rest counted.
    expect(stale.stderr).toMatch(/Metabase changed since plan\.json was made: [a-z-]+\.\S+ \(new in Metabase, id \d+\), [^\n]* and \d+ more\n/);

    const drift = await cli(['plan', '--detailed-exitcode', '--json']);
    expect(drift.code).toBe(0);
    const json = JSON.parse(drift.stdout) as { formatVersion: number; summary: { create: number; update: number } };
    expect(json.formatVersion).toBe(PLAN_FORMAT_VERSION);
    expect(json.summary).toMatchObject({ create: 0, update: 0 });
  });

  it('shows a change made in the UI as drift and corrects it', async () => {
    const dashboard = [...fake.state.dashboards.values()][0]!;
    dashboard.name = 'Renamed by hand';
    const plan = await cli(['plan', '--detailed-exitcode']);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('name: "Renamed by hand" → "Phoenix – Energie Live"');
    const markdown = await cli(['plan', '--format', 'markdown', '--full-markdown', 'plan.md']);
    expect(markdown.stdout).toContain('| `name` | `"Renamed by hand"` | `"Phoenix – Energie Live"` |');
    expect(await readFile(join(project.root, 'plan.md'), 'utf8')).toBe(markdown.stdout);
    expect(markdown.stdout).not.toContain(fake.url);
    expect((await cli(['apply', '--yes'])).code).toBe(0);
    expect(dashboard.name).toBe('Phoenix – Energie Live');
  });

  it('counts an object removed from the files as a change for --detailed-exitcode, and apply keeps it', async () => {
    const file = join(project.root, 'dashboards/energie.yaml');
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace(/subscriptions:[\s\S]*$/, ''));
    try {
      const plan = await cli(['plan', '--detailed-exitcode']);
      expect(plan.code).toBe(2);
      expect(plan.stdout).toContain('Nothing to apply; Metabase differs from the files only by the objects below.');
      expect(plan.stdout).toMatch(/no longer in the files[^\n]*\n\s+subscription\.energie\/weekly \(id \d+\)/);
      const kept = await cli(['apply', '--yes']);
      expect(kept.code).toBe(0);
      expect(kept.stderr).toContain('Nothing to apply. 1 managed object(s) no longer in the files are kept');
      expect([...fake.state.pulses.values()].map((p) => p.archived)).toEqual([false]);
    } finally {
      await writeFile(file, text);
    }
  });

  it('apply --json: stdout is one JSON document; progress (one line per object, n of N, off a terminal) goes to stderr', async () => {
    const dashboard = [...fake.state.dashboards.values()][0]!;
    dashboard.name = 'Renamed again';
    const card = [...fake.state.cards.values()].find((c) => c.name === 'Entonnoir pack')!;
    card.name = 'Renamed card';
    const applied = await cli(['apply', '--yes', '--json']);
    expect(applied.code).toBe(0);
    const json = JSON.parse(applied.stdout) as { applied: string[] };
    expect(json.applied.sort()).toEqual(['card.funnel', 'dashboard.energie']);
    expect(applied.stderr).toMatch(/^\[1\/2\] ✓ card\.funnel updated/m);
    expect(applied.stderr).toMatch(/^\[2\/2\] ✓ dashboard\.energie updated/m);
    expect(applied.stderr).not.toContain('\u001b');
  });

  it('a bad --concurrency is refused before anything is sent, by plan and apply alike', async () => {
    fake.resetLog();
    for (const command of ['plan', 'apply']) {
      const result = await cli([command, '--concurrency', '0']);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('--concurrency wants a whole number from 1 to 64 (got "0")');
    }
    expect(fake.requests).toEqual([]);
  });

  it('exits 3 on a Metabase older than 0.58', async () => {
    const old = await startFakeMetabase({ version: 'v0.56.9' });
    try {
      const result = await cli(['plan'], { MB_URL: old.url, MB_API_KEY: old.apiKey });
      expect(result.code).toBe(3);
      expect(result.stderr).toContain('Metabase v0.56.9 is not supported');
    } finally {
      await old.close();
    }
  });

  it('with --debug, names the Metabase version it talks to on stderr', async () => {
    const result = await cli(['plan', '--debug']);
    expect(result.stderr).toMatch(/^debug: Metabase v\d+\.\d+\.\d+ at http:\/\/127\.0\.0\.1:\d+ \(environment test\)$/m);
    expect(result.stdout).not.toContain('debug:');
    expect((await cli(['plan'])).stderr).not.toContain('debug:');
  });

  it('reports unset variables as such, all at once, and validate never speaks of Metabase', async () => {
    const config = files['metabase.config.yaml']!.replace('host: pg.internal', 'host: ${PHOENIX_DB_HOST}');
    const unset = await writeProject({ ...files, 'metabase.config.yaml': config });
    fake.resetLog();
    try {
      const env = { PATH: process.env.PATH ?? '', NO_COLOR: '1', MB_URL: fake.url, MB_API_KEY: fake.apiKey };
      const plan = await run(process.execPath, [BIN, 'plan'], { cwd: unset.root, env }).catch((e: { code: number; stderr: string }) => e) as { code: number; stderr: string };
      expect(plan.code).toBe(1);
      expect(plan.stderr).toContain('Error: 2 environment variables are not set:');
      expect(plan.stderr).toMatch(/PHOENIX_RO_PASSWORD \(used at metabase\.config\.yaml:\d+ database\.password\)/);
      expect(plan.stderr).toMatch(/PHOENIX_DB_HOST \(used at metabase\.config\.yaml:\d+ database\.host\)/);
      expect(plan.stderr).not.toContain('problem');
      expect(fake.requests).toEqual([]);

      const valid = await run(process.execPath, [BIN, 'validate'], { cwd: unset.root, env });
      expect(valid.stderr).toContain('! not set here, needed by plan and apply: PHOENIX_DB_HOST');
      expect(valid.stderr).toContain('✓ valid:');
      await writeFile(join(unset.root, 'dashboards/energie.yaml'), files['dashboards/energie.yaml']!.replace('display: bar', 'display: bars'));
      const invalid = await run(process.execPath, [BIN, 'validate'], { cwd: unset.root, env }).catch((e: { code: number; stderr: string }) => e) as { code: number; stderr: string };
      expect(invalid.code).toBe(1);
      expect(invalid.stderr).toContain('problem in the project files');
      expect(invalid.stderr).not.toContain('Metabase');
    } finally {
      await unset.cleanup();
    }
  });

  it('names the file, line and path of invalid input, exits 1 and sends nothing', async () => {
    const broken = await writeProject({ ...files, 'dashboards/energie.yaml': files['dashboards/energie.yaml']!.replace('width: 12, height: 6 }\n  - key: funnel', 'width: 30, height: 6 }\n  - key: funnel') });
    fake.resetLog();
    try {
      const result = await run(process.execPath, [BIN, 'plan'], { cwd: broken.root, env: { PATH: process.env.PATH ?? '', MB_URL: fake.url, MB_API_KEY: fake.apiKey, PHOENIX_RO_PASSWORD: DB_PASSWORD } }).catch((e: { code: number; stderr: string }) => e);
      expect((result as { code: number }).code).toBe(1);
      expect((result as { stderr: string }).stderr).toMatch(/dashboards\/energie\.yaml:\d+: cards\[1\]\.layout\.width: /);
      expect(fake.requests).toEqual([]);
    } finally {
      await broken.cleanup();
    }
  });

  it('never prints a password JSON or URL encoding changed (quote, backslash) in a refused body, with or without --debug', async () => {
    // The variable's value as JSON escapes it (\\ and \") is not the value itself: both are hidden.
    const password = 'p\\w"d-Secret-42';
    const refusing = await startFakeMetabase({ catalog, syncPolls: 1 });
    refusing.injectFault({ method: 'POST', path: '/api/database' }, { status: 400, body: { errors: { details: 'bad' } }, times: 10 });
    try {
      const env = { MB_URL: refusing.url, MB_API_KEY: refusing.apiKey, PHOENIX_RO_PASSWORD: password };
      const plain = await cli(['apply', '--yes', '--json'], env);
      const debug = await cli(['apply', '--yes', '--json', '--debug'], env);
      for (const result of [plain, debug]) {
        expect(result.code).toBe(1);
        expect(result.stderr).toContain('failed:  database.phoenix: POST /api/database: HTTP 400');
        expect(result.stdout + result.stderr).not.toContain('Secret-42');
      }
      // The refused body is a debugging aid: in --json too, only with --debug (as the README says).
      const failedOf = (stdout: string) => (JSON.parse(stdout) as { failed: Array<{ address: string; sent?: string }> }).failed.find((f) => f.address === 'database.phoenix')!;
      expect(failedOf(plain.stdout).sent).toBeUndefined();
      expect(JSON.parse(failedOf(debug.stdout).sent!)).toMatchObject({ engine: 'postgres', details: { password: '***' } });
      expect(debug.stderr).toContain('sent: {');
    } finally {
      await refusing.close();
    }
  });

  it('never prints the API key or the database password, nor writes them in a plan file', async () => {
    await cli(['plan', '--json', '--out', 'secret-check.json', '--debug']);
    await cli(['plan'], { MB_API_KEY: 'mb_wrong_key_1234567890' });
    // Credentials in MB_URL (user:password@, a token in the query string) never reach the output either.
    const withUserinfo = fake.url.replace('http://', 'http://admin:url-pass-4321@');
    await cli(['plan', '--out', 'userinfo.json', '--debug'], { MB_URL: `${withUserinfo}?token=url-token-9876` });
    await cli(['plan', '--debug'], { MB_URL: 'http://admin:url-pass-4321@127.0.0.1:1/?token=url-token-9876' });
    // …nor when there is no key to go with them, and the error names the Metabase it has none for.
    const keyless = await cli(['plan', '--debug'], { MB_API_KEY: '', MB_URL: 'http://admin:url-pass-4321@127.0.0.1:1/?token=url-token-9876' });
    expect(keyless.stderr).toContain('no credentials for Metabase environment "test" (http://127.0.0.1:1)');
    const saved = await readFile(join(project.root, 'secret-check.json'), 'utf8');
    const savedUserinfo = await readFile(join(project.root, 'userinfo.json'), 'utf8').catch(() => '');
    for (const text of [...outputs, saved, savedUserinfo]) {
      expect(text).not.toContain(fake.apiKey);
      expect(text).not.toContain(DB_PASSWORD);
      expect(text).not.toContain('mb_wrong_key_1234567890');
      expect(text).not.toContain('url-pass-4321');
      expect(text).not.toContain('url-token-9876');
    }
    expect(outputs.join('\n')).toContain('401 Unauthenticated: the API key was rejected');
    expect(outputs.join('\n')).toContain('cannot reach Metabase at http://127.0.0.1:1');
  });
});
