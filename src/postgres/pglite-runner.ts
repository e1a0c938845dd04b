import { PGlite } from '@electric-sql/pglite';
import { lstat, readdir, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { makeDirs } from '../config/make-dirs.ts';
import { machineCacheDir } from '../config/cache-home.ts';
import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import type { SqlRunner } from './runner.ts';
import { pgliteVersion } from './pglite-version.ts';

/**
 * Embedded PostgreSQL (WASM): the fallback when no server is given, and `validate`'s sandbox.
 *
 * A new PGlite runs initdb, three to four seconds of CPU. The empty cluster it makes depends only
 * on the PGlite version, so it is kept once per machine, in the user's cache
 * (`$XDG_CACHE_HOME/mb-sync`, else `~/.cache/mb-sync`; no project data, ~8 MB), and later
 * instances start from it in under a second. `MB_SYNC_NO_CACHE=1` turns it off; a cache that
 * cannot be read or written is ignored.
 */
export async function openPglite(env: NodeJS.ProcessEnv = process.env): Promise<SqlRunner & { pglite: PGlite }> {
  const pglite = await startPglite(env);
  return {
    pglite,
    query: async <T>(sql: string, params?: unknown[]) => ({ rows: (await pglite.query<T>(sql, params)).rows }),
    exec: async (sql: string) => {
      await pglite.exec(sql);
    },
    close: () => pglite.close(),
  };
}

/**
 * PGlite's own start parameters, plus a small server: two connections, 1 MB of shared buffers
 * instead of 128 MB. PGlite zeroes its shared memory at every start (a third of a second for
 * 128 MB, the longest step of its boot), and SQL checks and tests never need a buffer cache.
 */
const startParams = [
  ...PGlite.defaultStartParams,
  '-c', 'shared_buffers=1MB',
  '-c', 'temp_buffers=1MB',
  '-c', 'wal_buffers=64kB',
  '-c', 'max_connections=2',
];

/** WAL in segments of 1 MB instead of 16: the kept cluster holds one segment, mostly empty. */
const initDbStartParams = ['--wal-segsize=1'];

async function startPglite(env: NodeJS.ProcessEnv): Promise<PGlite> {
  const file = clusterFile(env);
  if (file === undefined) return ready(new PGlite({ startParams, initDbStartParams }));
  await tidyCache(file);
  const read = await readFile(file).catch(() => undefined);
  // A tar archive says so at byte 257; anything else (a damaged or foreign file) is made again.
  // What cannot be removed or written (a read-only cache) is left as it is: the run goes on.
  const saved = read?.subarray(257, 262).toString('latin1') === 'ustar' ? read : undefined;
  if (saved === undefined && read !== undefined) await rm(file, { force: true }).catch(() => {});
  if (saved !== undefined) {
    const loaded = new PGlite({ loadDataDir: new BytesBlob(saved), startParams });
    try {
      return await ready(loaded);
    } catch {
      // A damaged file: made again below.
      await loaded.close().catch(() => {});
      await rm(file, { force: true }).catch(() => {});
    }
  }
  const pglite = await ready(new PGlite({ startParams, initDbStartParams }));
  // Written aside and renamed: two runs at once never read half a file.
  const partial = `${file}.${process.pid}-${threadId}-${randomUUID()}.partial`;
  try {
    const wal = await slim(pglite);
    const dump = keptFiles(Buffer.from(await (await pglite.dumpDataDir('none')).arrayBuffer()), wal);
    await makeDirs(join(file, '..'));
    await writeFile(partial, dump);
    await rename(partial, file);
  } catch {
    // Read-only home, full disk: the next run runs initdb again; half a file is not left behind.
    await rm(partial, { force: true }).catch(() => {});
  }
  return pglite;
}

/**
 * The kept cluster holds only the database PGlite connects to (`postgres`): without the two
 * template databases there is a third as much to unpack at every start. Nothing here creates a
 * database. A checkpoint then leaves nothing to replay from the WAL: the segments it needs are the
 * ones from its redo point to the current one, returned (the others are recycled ones, made again
 * when the WAL reaches them).
 */
async function slim(pglite: PGlite): Promise<Set<string>> {
  for (const template of ['template0', 'template1']) {
    await pglite.exec(`ALTER DATABASE ${template} IS_TEMPLATE false`);
    await pglite.exec(`DROP DATABASE ${template}`);
  }
  await pglite.exec('CHECKPOINT');
  const { rows } = await pglite.query<{ redo: string; now: string }>('SELECT pg_walfile_name(redo_lsn) AS redo, pg_walfile_name(pg_current_wal_lsn()) AS now FROM pg_control_checkpoint()');
  const { redo, now } = rows[0]!;
  const { rows: files } = await pglite.query<{ name: string }>('SELECT name FROM pg_ls_waldir()');
  return new Set(files.map((f) => f.name).filter((name) => name >= redo && name <= now));
}

/**
 * The cluster's archive without what a start does not need: the WAL segments (`pg_wal/` + 24 hex
 * digits) not in `keep`, and the free space and visibility maps of the relations (`…_fsm`, `…_vm`),
 * hints Postgres makes again when it writes and reads as empty when absent: 15% less to unpack at
 * every start. Each entry is a 512-byte header (name at 0, its ustar prefix at 345, size in octal at
 * 124) and its data, padded to 512 bytes.
 */
export function keptFiles(tar: Buffer, keep: ReadonlySet<string>): Buffer {
  // Nothing known to keep: the archive as it is (a cluster without its current segment would not start).
  if (keep.size === 0) return tar;
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 512 <= tar.length) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const field = (from: number, length: number) => header.subarray(from, from + length).toString('latin1').replace(/\0.*$/s, '');
    const prefix = field(345, 155);
    const name = prefix === '' ? field(0, 100) : `${prefix}/${field(0, 100)}`;
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const end = at + 512 + Math.ceil(size / 512) * 512;
    const segment = /(?:^|\/)pg_wal\/([0-9A-F]{24})$/.exec(name)?.[1];
    const map = /(?:^|\/)(?:base\/\d+|global)\/\d+_(?:fsm|vm)(?:\.\d+)?$/.test(name);
    if ((segment === undefined || keep.has(segment)) && !map) parts.push(tar.subarray(at, end));
    at = end;
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/**
 * What earlier runs left in the cache folder, removed at every start (nothing here can fail the
 * run):
 * - a run stopped while writing the cluster (its SQL check closed, the process killed) leaves its
 *   `.partial` file: those older than an hour go (a younger one may be another run's, still being
 *   written);
 * - the cluster of another PGlite version (an earlier mb-sync, ~30 MB) goes once no run has started
 *   from it for 30 days (another install on the machine may still use it); the one in use has its
 *   date refreshed once a day.
 */
async function tidyCache(file: string): Promise<void> {
  const dir = dirname(file);
  const now = Date.now();
  const olderThan = async (path: string, ms: number) => {
    const info = await lstat(path).catch(() => undefined);
    return info?.isFile() === true && now - info.mtimeMs > ms;
  };
  if (await olderThan(file, DAY)) await utimes(file, new Date(now), new Date(now)).catch(() => {});
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const path = join(dir, name);
    const stale = /^pglite-.*\.partial$/.test(name) ? HOUR : /^pglite-.*\.tar$/.test(name) && path !== file ? 30 * DAY : undefined;
    if (stale !== undefined && (await olderThan(path, stale))) await rm(path, { force: true }).catch(() => {});
  }
}

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/**
 * The saved cluster handed to PGlite as it is: `new Blob([bytes])` copies all of it and PGlite
 * reads them back through a stream (a quarter of a second of its boot). PGlite's loadTar only
 * calls arrayBuffer() on what it is given (and reads `type`, empty here: an uncompressed tar).
 */
// If a PGlite release reads its loadDataDir otherwise, every start from the saved cluster fails and
// runs initdb anew: test/integration/postgres/pglite-cache.test.ts fails then (the file's date).
class BytesBlob extends Blob {
  readonly #bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    super([]);
    this.#bytes = bytes;
  }
  override arrayBuffer(): Promise<ArrayBuffer> {
    const { buffer, byteOffset, byteLength } = this.#bytes;
    // A file read whole has a buffer of its own: given as it is, else the bytes copied out.
    const whole = byteOffset === 0 && byteLength === buffer.byteLength && buffer instanceof ArrayBuffer;
    return Promise.resolve(whole ? buffer : (buffer.slice(byteOffset, byteOffset + byteLength) as ArrayBuffer));
  }
}

async function ready(pglite: PGlite): Promise<PGlite> {
  await pglite.waitReady;
  return pglite;
}

/**
 * Bumped when what the kept cluster holds changes (initDbStartParams, slim(), keptFiles()): an older file of the
 * same PGlite version is then left for tidyCache instead of being started from.
 */
const CLUSTER_FORMAT = 'v3';

function clusterFile(env: NodeJS.ProcessEnv): string | undefined {
  const dir = machineCacheDir(env);
  return dir === undefined ? undefined : join(dir, `pglite-${pgliteVersion()}-cluster-${CLUSTER_FORMAT}.tar`);
}
