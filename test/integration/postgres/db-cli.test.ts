import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, realServerUrl, type TestDatabase } from '../../support/database.ts';
import { PHOENIX_ROOT } from '../../support/phoenix.ts';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../../bin/mb-sync.js');
const PASSWORD = "it's a \\secret$$";
const server = realServerUrl();
let t: TestDatabase;
let cwd: string;

async function cli(args: string[], env: Record<string, string>, folder = cwd) {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd: folder, env: { PATH: process.env.PATH ?? '', ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

// The CLI connects as the role over TCP, so these run only against a real server (CI sets PGHOST).
describe.skipIf(server === undefined)('mb-sync db on a real PostgreSQL', () => {
  beforeAll(async () => {
    t = await openTestDatabase({ fixture: true });
    cwd = await mkdtemp(join(tmpdir(), 'mb-sync-db-'));
  });
  afterAll(async () => {
    await t?.close();
    await rm(cwd, { recursive: true, force: true });
  });

  it('applies, verifies as the role and checks data quality, all as the project\'s config says', async () => {
    const env = { DATABASE_URL: t.url!, PHOENIX_ANALYTICS_RO_PASSWORD: PASSWORD };
    const planned = await cli(['db', 'plan'], env, PHOENIX_ROOT);
    expect(planned.code).toBe(0);
    expect(planned.stderr).toContain('+ view analytics.vw_pack_funnel');
    expect(planned.stderr).toContain('nothing was changed');
    const applied = await cli(['db', 'apply'], env, PHOENIX_ROOT);
    expect(applied.stderr).toContain('11 views in schema analytics');
    expect(applied.stderr).toMatch(/✓ \d+ change\(s\) applied/);
    expect(applied.code).toBe(0);
    // Nothing changed since: the plan is empty and the apply changes nothing, password included.
    expect((await cli(['db', 'plan'], env, PHOENIX_ROOT)).stderr).toContain('✓ No changes');
    expect((await cli(['db', 'apply'], env, PHOENIX_ROOT)).stderr).toContain('✓ No changes');
    const verified = await cli(['db', 'verify', '--json'], env, PHOENIX_ROOT);
    expect(verified.code).toBe(0);
    expect((JSON.parse(verified.stdout) as Array<{ ok: boolean }>).every((i) => i.ok)).toBe(true);
    const checked = await cli(['db', 'check', '--json'], env, PHOENIX_ROOT);
    expect(checked.code).toBe(1);
    expect((JSON.parse(checked.stdout) as Array<{ check: string; status: string }>).find((c) => c.check === 'users_without_wallet')?.status).toBe('fail');
    expect(checked.stderr).toContain('data-quality check(s) failed');
    for (const out of [planned, applied, verified, checked]) expect(out.stdout + out.stderr).not.toContain(PASSWORD);
  });

  it('says which variable is missing, which server is unreachable, or which --config file is missing, and exits 1', async () => {
    const noConfig = await cli(['--config', 'missing.yaml', 'db', 'plan'], { DATABASE_URL: t.url!, PHOENIX_ANALYTICS_RO_PASSWORD: PASSWORD });
    expect(noConfig.code).toBe(1);
    expect(noConfig.stderr).toContain('missing.yaml');
    // A folder without a project: nothing of any project (Phoenix's SQL, its role) is assumed.
    const elsewhere = await cli(['db', 'plan'], { DATABASE_URL: t.url!, PHOENIX_ANALYTICS_RO_PASSWORD: PASSWORD });
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toMatch(/metabase\.config\.yaml: \(root\): file not found: db commands read the project's postgres: section/);
    const missing = await cli(['db', 'apply'], { DATABASE_URL: t.url! }, PHOENIX_ROOT);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('PHOENIX_ANALYTICS_RO_PASSWORD is not set');
    const unreachable = await cli(['db', 'apply'], { DATABASE_URL: 'postgres://admin:hunter22@127.0.0.1:1/phoenix', PHOENIX_ANALYTICS_RO_PASSWORD: PASSWORD }, PHOENIX_ROOT);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain('cannot reach admin@127.0.0.1:1/phoenix: connection refused');
    expect(unreachable.stderr).not.toContain('hunter22');
  });

});

// No server needed: the connection is refused before any credential is checked.
describe('mb-sync db with credentials in DATABASE_URL', () => {
  it('never prints its password (as written or URL-decoded) nor a password in its query string, even with --debug', async () => {
    const url = 'postgres://admin:pg%22Secret%5C77@127.0.0.1:1/phoenix?sslpassword=sslSecret88&password=querySecret99';
    for (const command of ['check', 'purge']) {
      const result = await cli(['db', command, '--debug'], { DATABASE_URL: url }, PHOENIX_ROOT);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('cannot reach admin@127.0.0.1:1/phoenix: connection refused');
      expect(result.stdout + result.stderr).not.toMatch(/Secret(%5C|\\)77|sslSecret88|querySecret99/);
    }
  });
});
