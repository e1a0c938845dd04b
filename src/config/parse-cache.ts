import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/**
 * Parsed YAML by the text it came from, kept between runs in the project's
 * `node_modules/.cache/mb-sync/` (where Babel, ESLint and Prettier keep theirs, so it is already
 * git-ignored). Parsing is most of the CPU time of a plan; an entry is the value and the line of
 * every path, keyed by a hash of the text and the parser's version, so a changed file or an
 * upgraded parser simply misses. Files that fail to parse are never cached: their errors are
 * always computed afresh. `MB_SYNC_NO_CACHE=1` turns it off; a cache that cannot be read or
 * written is ignored.
 */
export interface ParseCache {
  get(text: string): CachedParse | undefined;
  set(text: string, entry: CachedParse): void;
  /** Writes the new entries next to the recent ones, when anything changed. */
  save(): Promise<void>;
}

export interface CachedParse {
  data: unknown;
  lines: Record<string, number>;
}

interface StoredParse extends CachedParse {
  /** When a run last used it (ms since the epoch). */
  used: number;
}

/** Entries unused for this long go, and the newest are kept up to the cap (a few MB at most). */
const KEEP_MS = 30 * 24 * 3600 * 1000;
const MAX_ENTRIES = 5000;
/** A reused entry's date is written back only when it is older than this (not on every run). */
const REFRESH_MS = 24 * 3600 * 1000;

/** Bumped when the shape of an entry or the meaning of `lines` changes. */
const FORMAT = 2;

export async function openParseCache(root: string, env: NodeJS.ProcessEnv = process.env): Promise<ParseCache | undefined> {
  if (env.MB_SYNC_NO_CACHE && env.MB_SYNC_NO_CACHE !== '0') return undefined;
  const modules = join(root, 'node_modules');
  if (!(await stat(modules).then((s) => s.isDirectory(), () => false))) return undefined;
  const dir = join(modules, '.cache', 'mb-sync');
  const file = join(dir, 'yaml.json');
  let stored: Record<string, StoredParse> = {};
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as { format?: number; parser?: string; entries?: Record<string, StoredParse> };
    if (parsed.format === FORMAT && parsed.parser === parserVersion() && parsed.entries) stored = parsed.entries;
  } catch {
    // No cache yet, or one that cannot be read: start empty.
  }
  const now = Date.now();
  let changed = false;
  // Fresh entries are serialised when they are made: what the run does to the value afterwards
  // (interpolation, defaults) can never reach the cache.
  const fresh = new Map<string, string>();
  const handedOut = new WeakSet<StoredParse>();
  const keyOf = (text: string) => createHash('sha256').update(text).digest('base64url');
  return {
    get(text) {
      const entry = stored[keyOf(text)];
      if (entry === undefined) return undefined;
      if (now - entry.used > REFRESH_MS) {
        entry.used = now;
        changed = true;
      }
      // Each entry is handed out once as it is; two files with the same text get copies.
      if (handedOut.has(entry)) return structuredClone({ data: entry.data, lines: entry.lines });
      handedOut.add(entry);
      return { data: entry.data, lines: entry.lines };
    },
    set(text, entry) {
      fresh.set(keyOf(text), JSON.stringify({ ...entry, used: now }));
      changed = true;
    },
    async save() {
      if (!changed) return;
      const kept = Object.entries(stored)
        .filter(([key, entry]) => !fresh.has(key) && now - entry.used < KEEP_MS)
        .sort(([, a], [, b]) => b.used - a.used)
        .slice(0, Math.max(0, MAX_ENTRIES - fresh.size));
      const entries = [
        ...[...fresh].map(([key, json]) => `${JSON.stringify(key)}:${json}`),
        ...kept.map(([key, entry]) => `${JSON.stringify(key)}:${JSON.stringify(entry)}`),
      ];
      try {
        await mkdir(dir, { recursive: true });
        const temporary = `${file}.${process.pid}`;
        await writeFile(temporary, `{"format":${FORMAT},"parser":${JSON.stringify(parserVersion())},"entries":{${entries.join(',')}}}`);
        await rename(temporary, file);
      } catch {
        // A read-only checkout still works, only without the cache.
      }
    },
  };
}

let yamlVersion: string | undefined;
function parserVersion(): string {
  yamlVersion ??= (createRequire(import.meta.url)('yaml/package.json') as { version: string }).version;
  return `yaml@${yamlVersion}`;
}
