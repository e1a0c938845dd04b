#!/usr/bin/env node
// Starts mb-sync as plain JavaScript from dist/, which `npm run build` makes (npm ci and npm install
// run it through `prepare`, so `npx mb-sync` works right after `npm ci`). When dist/ is missing or
// older than src/ — a developer editing the sources — it runs src/ through tsx instead (a dev
// dependency), so an edit is never silently ignored.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { isAscii } from 'node:buffer';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const root = fileURLToPath(new URL('..', import.meta.url));
const stamp = `${root}dist/.built`;

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/**
 * `mkdir -p`, one level at a time: Node 20's recursive mkdir never returns when a missing folder is
 * under /proc (HOME=/proc/nonexistent in some containers). Throws at the first level it cannot make.
 * (src/config/make-dirs.ts does the same for the bundle's own caches.)
 */
function makeDirs(dir) {
  const missing = [];
  for (let at = dir; !statSync(at, { throwIfNoEntry: false })?.isDirectory(); at = dirname(at)) {
    missing.unshift(at);
    if (dirname(at) === at) break;
  }
  for (const level of missing) {
    try {
      mkdirSync(level, { mode: 0o700 });
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
  }
}

/** Builds whose code caches are kept: a few installs on one machine (checkouts, a global one) each keep theirs. */
const KEPT_BUILDS = 4;

/**
 * Where the code cache is, or undefined for none: $XDG_CACHE_HOME/mb-sync/code (~/.cache by
 * default; a relative XDG_CACHE_HOME is ignored, as the XDG spec asks), used only if this user owns
 * it and no one else can write to it (cached code is run). MB_SYNC_NO_CACHE=1, no home, or a folder
 * that cannot be made means no cache, never an error.
 */
function codeCacheDir() {
  if (process.env.MB_SYNC_NO_CACHE && process.env.MB_SYNC_NO_CACHE !== '0') return undefined;
  try {
    const xdg = process.env.XDG_CACHE_HOME;
    const dir = join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache'), 'mb-sync', 'code');
    makeDirs(dir);
    const info = statSync(dir);
    // POSIX only: Windows has neither uids nor these mode bits (its folders read as writable by all).
    if (process.getuid && (info.uid !== process.getuid() || (info.mode & 0o022) !== 0)) return undefined;
    return dir;
  } catch {
    return undefined;
  }
}

/** Removes the caches of all but the newest builds; what cannot be removed stays. */
function prune(dir) {
  const builds = new Map();
  for (const name of readdirSync(dir)) {
    const build = name.split('-v')[0];
    const mtime = statSync(join(dir, name), { throwIfNoEntry: false })?.mtimeMs ?? 0;
    builds.set(build, Math.max(builds.get(build) ?? 0, mtime));
  }
  const old = new Set([...builds].sort((a, b) => b[1] - a[1]).slice(KEPT_BUILDS).map(([build]) => build));
  for (const name of readdirSync(dir)) {
    if (!old.has(name.split('-v')[0])) continue;
    try {
      unlinkSync(join(dir, name));
    } catch {
      // Removed by another run, or not ours to remove.
    }
  }
}

/**
 * Runs the CommonJS bundle as Node would require it, but compiled with the code V8 kept from an
 * earlier run of the same command of the same bundle (Node 20 has no compile cache of its own): a
 * tenth of a second of every start. The cache holds compiled code only, never data; one file per
 * build, bundle file (size and time: a hand-patched dist/ is a new bundle), Node version and command.
 * It is written after a run that succeeded when it was missing or refused by V8.
 */
function runBundle() {
  const file = `${root}dist/cli/mb-sync.cjs`;
  // The build leaves it pure ASCII (scripts/build.mjs asciiOnly): read as latin1, it is a one-byte
  // string, which V8 takes in half the time of the two-byte one a UTF-8 decode gives.
  const bytes = readFileSync(file);
  const source = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
  const build = readFileSync(stamp, 'utf8').trim().split(' ').pop();
  const { size, mtimeMs } = statSync(file);
  // The command's name (plan, apply, db…): each has a cache of what it compiles.
  const args = process.argv.slice(2);
  // Help and version of any command share one cache: `plan --help` compiles none of what a plan runs.
  const help = args.some((arg) => /^(-h|--help|-V|--version|help)$/.test(arg));
  const command = help ? 'help' : args.find((arg, i) => /^[a-z][a-z-]*$/.test(arg) && !/^(-c|--config|-e|--env)$/.test(args[i - 1] ?? '')) ?? 'none';
  const dir = codeCacheDir();
  const cacheFile = dir && join(dir, `${build}-${size}-${Math.round(mtimeMs)}-${process.version}-${command}.bin`);
  let cachedData;
  try {
    if (cacheFile) cachedData = readFileSync(cacheFile);
  } catch {
    // Not cached yet.
  }
  // The same wrapper Node puts around a CommonJS module, on the first line so that line numbers
  // in stack traces are the bundle's.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
    // import() inside the bundle (none today) would resolve as in any module.
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (cacheFile && (!cachedData || script.cachedDataRejected)) {
    process.once('exit', (code) => {
      // A failed run (a mistyped command, refused files) compiled little: the next one writes it.
      if (code !== 0) return;
      const temporary = `${cacheFile}.${process.pid}`;
      try {
        writeFileSync(temporary, script.createCachedData(), { mode: 0o600 });
        renameSync(temporary, cacheFile);
        prune(dir);
      } catch {
        // A full disk, a read-only home: no cache.
        try {
          unlinkSync(temporary);
        } catch {
          // Never written.
        }
      }
    });
  }
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, `${root}dist/cli`);
}

const fresh = existsSync(stamp) && (!existsSync(`${root}src`) || newest(`${root}src`) <= statSync(stamp).mtimeMs);
if (fresh) {
  runBundle();
} else {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    process.stderr.write('mb-sync: dist/ is missing or older than src/, and tsx is not installed to run the sources: run `npm run build`.\n');
    process.exit(1);
  }
  register();
  await import('../src/cli/main.ts');
}
