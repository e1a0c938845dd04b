import { isAscii } from 'node:buffer';
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlLayout } from '../../../src/postgres/sql-files.ts';
import { catalogFromSandbox } from '../../support/catalog-from-sandbox.ts';
import { startFakeMetabase } from '../../support/fake-metabase/index.ts';

const run = promisify(execFile);
const REPO = join(import.meta.dirname, '../../..');
const SHOP = join(REPO, 'test/fixtures/shop');

// The package as `npm ci` leaves it: bin/, package.json and dist/ built by scripts/build.mjs (the
// sources and node_modules linked from this repository), run as a user runs it.
let pkg: string;
let cache: string;
beforeAll(async () => {
  pkg = await mkdtemp(join(tmpdir(), 'mb-sync-bundle-'));
  await mkdir(join(pkg, 'bin'));
  await copyFile(join(REPO, 'bin/mb-sync.js'), join(pkg, 'bin/mb-sync.js'));
  await copyFile(join(REPO, 'package.json'), join(pkg, 'package.json'));
  for (const dir of ['src', 'scripts', 'node_modules']) await symlink(join(REPO, dir), join(pkg, dir), 'dir');
  await run(process.execPath, ['scripts/build.mjs'], { cwd: pkg });
  cache = join(pkg, 'xdg-cache');
}, 60_000);
afterAll(() => rm(pkg, { recursive: true, force: true }));

const mbSync = (args: string[], env: Record<string, string> = { XDG_CACHE_HOME: cache }) =>
  run(process.execPath, [join(pkg, 'bin/mb-sync.js'), ...args], { cwd: REPO, timeout: 60_000, env: { PATH: process.env.PATH ?? '', HOME: pkg, NO_COLOR: '1', ...env } });
const codeCache = () => readdir(join(cache, 'mb-sync/code')).catch(() => [] as string[]);

/**
 * A file for NODE_OPTIONS=--require that prints, as the main thread exits, which of the Node modules
 * it watches the process loaded: `loaded: NativeModule http, …` on stderr.
 */
async function moduleProbe(): Promise<string> {
  const probe = join(pkg, 'loaded-modules.cjs');
  await writeFile(probe, "if (require('node:worker_threads').isMainThread) process.on('exit', () => process.stderr.write(`loaded: ${process.moduleLoadList.filter((m) => /undici|internal\\/http$|^NativeModule (http2?|tty)$/.test(m)).join(', ')}\\n`));\n");
  return probe;
}

describe('the built CLI (dist/cli/mb-sync.cjs through bin/mb-sync.js)', () => {
  it('keeps the code V8 compiled per command, uses it on the next run, and replaces one V8 refuses', async () => {
    const version = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')).version as string;
    expect((await mbSync(['--version'])).stdout.trim()).toBe(version);
    const [file] = await codeCache();
    expect(file).toMatch(new RegExp(`-${process.version}-help\\.bin$`));
    const path = join(cache, 'mb-sync/code', file!);
    const written = (await stat(path)).mtimeMs;

    // Accepted: not written again.
    expect((await mbSync(['--version'])).stdout.trim()).toBe(version);
    expect((await stat(path)).mtimeMs).toBe(written);

    // Damaged (or made by another V8): refused, the run is unaffected, and it is written afresh.
    await writeFile(path, 'not a code cache');
    expect((await mbSync(['--version'])).stdout.trim()).toBe(version);
    expect((await readFile(path)).toString()).not.toBe('not a code cache');
  });

  it('is pure ASCII, which bin/mb-sync.js reads as latin1', async () => {
    // scripts/ascii-only.mjs escaped what the libraries' comments hold (zod's dashes, for one).
    expect(isAscii(await readFile(join(pkg, 'dist/cli/mb-sync.cjs')))).toBe(true);
  });

  it('plans against a Metabase, compiling native SQL in the worker thread (dist/cli/sandbox-worker.js)', async () => {
    // A plan on an empty Metabase creates the native card: its SQL is compiled in the SQL check's thread.
    const catalog = await catalogFromSandbox({ host: 'localhost', dbname: 'shop', password: 'shop-ro', schemas: ['reporting'], sql: sqlLayout(SHOP, { sql_dir: 'sql', schema: 'reporting' }) });
    const fake = await startFakeMetabase({ catalog });
    // Which of Node's own modules the main thread loaded: not its fetch implementation (undici), which
    // axios would have it load for nothing (scripts/build.mjs leaves axios's fetch adapter out).
    const probe = await moduleProbe();
    try {
      const { stdout, stderr } = await mbSync(['-c', join(SHOP, 'metabase.config.yaml'), 'plan'], { XDG_CACHE_HOME: cache, MB_URL: fake.url, MB_API_KEY: fake.apiKey, SHOP_REPORTING_RO_PASSWORD: 'shop-ro', NODE_OPTIONS: `--require ${probe}` });
      expect(stdout).toMatch(/card:top-customers/);
      expect(stdout).toMatch(/\d+ to create/);
      // The probe works (http is there: the plan went over it) and undici is not.
      expect(stderr).toMatch(/^loaded: .*NativeModule http\b/m);
      expect(stderr).not.toMatch(/^loaded: .*undici/m);
      // Nor HTTP/2, which mb-sync never asks for (scripts/build.mjs has axios load it on first use).
      expect(stderr).not.toMatch(/^loaded: .*NativeModule http2\b/m);
      // Nor https-proxy-agent, loaded on first use too: its `debug` package would have loaded tty
      // (the proxy test below shows it does once the agent is used).
      expect(stderr).not.toMatch(/^loaded: .*NativeModule tty\b/m);
      // The plan went out without the form-data package, left out of the bundle with mime-db's table.
      expect(await readFile(join(pkg, 'dist/cli/mb-sync.cjs'), 'utf8')).not.toMatch(/node_modules\/(form-data|mime-db)\//);
    } finally {
      await fake.close();
    }
    expect((await codeCache()).some((f) => f.endsWith('-plan.bin'))).toBe(true);
  }, 60_000);

  it('reaches an https Metabase through HTTPS_PROXY, with the tunnelling agent the bundle loads on first use', async () => {
    // A proxy that records the CONNECT it is asked for and refuses it (407: not retried).
    const asked: string[] = [];
    const proxy = createServer((socket) => socket.once('data', (data: Buffer) => {
      asked.push(data.toString().split('\r\n')[0]!);
      socket.end('HTTP/1.1 407 Proxy Authentication Required\r\ncontent-length: 0\r\n\r\n');
    }));
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const env = { XDG_CACHE_HOME: cache, MB_URL: 'https://metabase.invalid:8443', MB_API_KEY: 'mb_key', SHOP_REPORTING_RO_PASSWORD: 'shop-ro', HTTPS_PROXY: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, NODE_OPTIONS: `--require ${await moduleProbe()}` };
      const failed = await mbSync(['-c', join(SHOP, 'metabase.config.yaml'), 'plan'], env).then(() => undefined, (e: unknown) => e as { message: string; stderr: string });
      expect(failed?.message).toMatch(/407/);
      expect(asked[0]).toBe('CONNECT metabase.invalid:8443 HTTP/1.1');
      // The agent (and its debug package, with tty) loaded when it was first needed.
      expect(failed?.stderr).toMatch(/^loaded: .*NativeModule tty\b/m);
    } finally {
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  }, 60_000);

  it('keeps the caches of the four newest builds (other installs on the machine), not older ones', async () => {
    const dir = join(cache, 'mb-sync/code');
    await mkdir(dir, { recursive: true });
    for (const [i, build] of ['old-1', 'old-2', 'old-3', 'old-4'].entries()) {
      const file = join(dir, `${build}-1-1-v20.0.0-plan.bin`);
      await writeFile(file, 'other build');
      await utimes(file, new Date(2026, 0, 1 + i), new Date(2026, 0, 1 + i));
    }
    // This build's --version cache is written again by the run below (the prune comes with a write).
    for (const f of (await codeCache()).filter((f) => f.endsWith('-help.bin'))) await rm(join(dir, f));
    await mbSync(['--version']);
    const kept = await codeCache();
    expect(kept.filter((f) => f.startsWith('old-'))).toEqual(['old-2-1-1-v20.0.0-plan.bin', 'old-3-1-1-v20.0.0-plan.bin', 'old-4-1-1-v20.0.0-plan.bin']);
  });

  it('writes no cache after a failed run (a mistyped command compiles next to nothing), nor for a command\'s --help', async () => {
    await expect(mbSync(['plna'])).rejects.toThrow();
    expect((await codeCache()).some((f) => f.endsWith('-plna.bin'))).toBe(false);
    await mbSync(['apply', '--help']);
    expect((await codeCache()).some((f) => f.endsWith('-apply.bin'))).toBe(false);
  });

  it('keeps nothing with MB_SYNC_NO_CACHE=1', async () => {
    await rm(join(cache, 'mb-sync/code'), { recursive: true, force: true });
    await mbSync(['--version'], { XDG_CACHE_HOME: cache, MB_SYNC_NO_CACHE: '1' });
    expect(await codeCache()).toEqual([]);
  });

  it.runIf(process.platform !== 'win32')('neither reads nor writes compiled code in a folder others can write to', async () => {
    const shared = join(pkg, 'shared-cache');
    await mkdir(join(shared, 'mb-sync/code'), { recursive: true });
    await chmod(join(shared, 'mb-sync/code'), 0o777);
    await mbSync(['--version'], { XDG_CACHE_HOME: shared });
    expect(await readdir(join(shared, 'mb-sync/code'))).toEqual([]);
  });

  it('runs with a home it cannot write (HOME=/proc/nonexistent) and ignores a relative XDG_CACHE_HOME', async () => {
    // Node's recursive mkdir never returns under /proc: the run must end all the same (the timeout says if not).
    expect((await mbSync(['--version'], { HOME: '/proc/nonexistent' })).stdout).toMatch(/^\d+\.\d+\.\d+/);
    await mbSync(['--version'], { XDG_CACHE_HOME: 'relative-cache' });
    expect(existsSync(join(REPO, 'relative-cache'))).toBe(false);
    expect((await readdir(join(pkg, '.cache/mb-sync/code'))).length).toBe(1);
  });
});
