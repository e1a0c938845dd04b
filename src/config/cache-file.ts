import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeDirs } from './make-dirs.ts';
import { cachesOff } from './cache-home.ts';

/**
 * A small keyed cache kept between runs in the project's `node_modules/.cache/mb-sync/<name>.json`
 * (where Babel, ESLint and Prettier keep theirs, so it is already git-ignored). Keys are hashes of
 * everything a value was computed from, so a change anywhere simply misses. Entries unused for a
 * month go; the file is rewritten only when something was added. `MB_SYNC_NO_CACHE=1` turns every
 * cache off; a cache that cannot be read or written is ignored (a read-only checkout still works).
 */
export interface CacheFile<V> {
  get(key: string): V | undefined;
  /** The value is serialised at once: what the caller does to it afterwards never reaches the file. */
  set(key: string, value: V): void;
  /** Drops an entry no longer needed (the file is rewritten without it). */
  delete(key: string): void;
  save(): Promise<void>;
}

interface Stored<V> {
  value: V;
  /** When a run last used it (ms since the epoch). */
  used: number;
}

const KEEP_MS = 30 * 24 * 3600 * 1000;
const MAX_ENTRIES = 5000;
/** A reused entry's date is written back only when it is older than this (not on every run). */
const REFRESH_MS = 24 * 3600 * 1000;

export async function openCacheFile<V>(root: string, name: string, version: string, env: NodeJS.ProcessEnv = process.env): Promise<CacheFile<V> | undefined> {
  if (cachesOff(env)) return undefined;
  const modules = join(root, 'node_modules');
  if (!(await stat(modules).then((s) => s.isDirectory(), () => false))) return undefined;
  const dir = join(modules, '.cache', 'mb-sync');
  const file = join(dir, `${name}.json`);
  let stored: Record<string, Stored<V>> = {};
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as { version?: string; entries?: Record<string, Stored<V>> };
    if (parsed.version === version && parsed.entries) stored = parsed.entries;
  } catch {
    // No cache yet, or one that cannot be read: start empty.
  }
  const now = Date.now();
  let changed = false;
  const fresh = new Map<string, string>();
  return {
    get(key) {
      const entry = stored[key];
      if (entry === undefined) return undefined;
      if (now - entry.used > REFRESH_MS) {
        entry.used = now;
        changed = true;
      }
      return entry.value;
    },
    set(key, value) {
      fresh.set(key, JSON.stringify({ value, used: now }));
      changed = true;
    },
    delete(key) {
      if (!fresh.delete(key) && !(key in stored)) return;
      delete stored[key];
      changed = true;
    },
    async save() {
      if (!changed) return;
      const kept = Object.entries(stored)
        .filter(([key, entry]) => !fresh.has(key) && now - entry.used < KEEP_MS)
        .sort(([, a], [, b]) => b.used - a.used)
        .slice(0, Math.max(0, MAX_ENTRIES - fresh.size));
      const entries = [...[...fresh].map(([key, json]) => `${JSON.stringify(key)}:${json}`), ...kept.map(([key, entry]) => `${JSON.stringify(key)}:${JSON.stringify(entry)}`)];
      try {
        await makeDirs(dir);
        const temporary = `${file}.${process.pid}`;
        await writeFile(temporary, `{"version":${JSON.stringify(version)},"entries":{${entries.join(',')}}}`);
        await rename(temporary, file);
      } catch {
        // Read-only: no cache.
      }
    },
  };
}
