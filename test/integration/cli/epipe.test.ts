import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogFromSandbox } from '../../support/catalog-from-sandbox.ts';
import { startFakeMetabase, type FakeMetabase } from '../../support/fake-metabase/index.ts';

const ROOT = join(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'bin/mb-sync.js');
const password = 'epipe-readonly-password';
let fake: FakeMetabase;

beforeAll(async () => {
  fake = await startFakeMetabase({ catalog: await catalogFromSandbox({ host: 'localhost', dbname: 'phoenix', password }) });
});
afterAll(async () => fake.close());

describe('output read by a reader that goes away', () => {
  // The Phoenix plan as JSON is ~180 KB, more than a pipe holds: without a handler, the writes after
  // `head` exits end in an unhandled EPIPE and exit 1.
  it('`mb-sync plan --json | head -1` ends quietly with exit 0', async () => {
    const { stdout, stderr } = await promisify(execFile)('bash', ['-o', 'pipefail', '-c', `"${process.execPath}" "${BIN}" plan --json | head -1`], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', MB_URL: fake.url, MB_API_KEY: fake.apiKey, PHOENIX_ANALYTICS_RO_PASSWORD: password, MB_SYNC_NO_CACHE: '1' },
    });
    expect(stdout.trim()).toBe('{');
    expect(stderr).not.toContain('EPIPE');
  });

  // Its progress goes to stderr, one line per object: `apply 2>&1 | head -3` stopped reading after
  // three lines, and the apply used to stop there, half done, with exit 0.
  it('`mb-sync apply --yes 2>&1 | head -3` still applies everything, and exits with the run\'s code', async () => {
    const { stdout } = await promisify(execFile)('bash', ['-o', 'pipefail', '-c', `"${process.execPath}" "${BIN}" apply --yes 2>&1 | head -3`], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', MB_URL: fake.url, MB_API_KEY: fake.apiKey, PHOENIX_ANALYTICS_RO_PASSWORD: password, MB_SYNC_NO_CACHE: '1' },
    });
    expect(stdout.split('\n').length).toBeLessThanOrEqual(4);
    const { stdout: plan } = await promisify(execFile)(process.execPath, [BIN, 'plan'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', MB_URL: fake.url, MB_API_KEY: fake.apiKey, PHOENIX_ANALYTICS_RO_PASSWORD: password, MB_SYNC_NO_CACHE: '1' },
    });
    expect(plan).toContain('No changes');
  }, 120_000);
});
