import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeMetabase, type FakeMetabase } from '../../support/fake-metabase/index.ts';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../../bin/mb-sync.js');
const ADMIN = { MB_ADMIN_EMAIL: 'admin@phoenix.local', MB_ADMIN_PASSWORD: 'admin-pass-7391' };
let fake: FakeMetabase;
let dir: string;

const bootstrap = async (extra: string[] = []) => {
  const { stderr } = await run(process.execPath, [BIN, 'bootstrap', '--url', fake.url, '--timeout', '10', ...extra], { cwd: dir, env: { PATH: process.env.PATH ?? '', ...ADMIN } });
  return stderr;
};
const keyInFile = async () => /^MB_API_KEY=(.+)$/m.exec(await readFile(join(dir, '.env.local'), 'utf8'))?.[1];

beforeEach(async () => {
  fake = await startFakeMetabase({ setupDone: false, emailConfigured: false });
  dir = await mkdtemp(join(tmpdir(), 'mb-sync-bootstrap-'));
});
afterEach(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

describe('mb-sync bootstrap', () => {
  it('sets up a fresh Metabase, writes a working API key to a private env file, and never prints it', async () => {
    const out = await bootstrap(['--smtp-host', 'mailpit']);
    expect(out).toContain('set up (admin created)');
    expect(out).toContain('e-mail configured through mailpit');
    const key = await keyInFile();
    expect(key).toMatch(/^mb_/);
    expect(out).not.toContain(key!);
    expect(out).not.toContain(ADMIN.MB_ADMIN_PASSWORD);
    expect((await stat(join(dir, '.env.local'))).mode & 0o777).toBe(0o600);
    const created = fake.state.apiKeys.find((k) => k.key === key)!;
    expect(created.group).toMatchObject({ name: 'Administrators' });
    expect(fake.state.settings['email-configured?']).toBe(true);
  });

  it('is idempotent: a second run keeps the key, and a revoked key is replaced', async () => {
    await bootstrap();
    const first = await keyInFile();
    fake.resetLog();
    expect(await bootstrap()).toContain('still works: kept');
    expect(await keyInFile()).toBe(first);
    expect(fake.requests.filter((r) => r.path === '/api/setup' || r.path === '/api/api-key')).toEqual([]);
    fake.state.apiKeys.splice(fake.state.apiKeys.findIndex((k) => k.key === first), 1);
    expect(await bootstrap()).toContain('created and written to .env.local');
    expect(await keyInFile()).not.toBe(first);
  });

  it('with --debug, names the Metabase version it set up', async () => {
    expect(await bootstrap(['--debug'])).toMatch(/^debug: Metabase v\d+\.\d+\.\d+ at http:\/\/127\.0\.0\.1:\d+$/m);
    expect(await bootstrap()).not.toContain('debug:');
  });
});
