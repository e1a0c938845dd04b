/**
 * `npm run bench`: mb-sync run as a user runs it (whole process, `node bin/mb-sync.js`, from dist/)
 * on a generated project (200 dashboards × 10 cards by default) against a fake Metabase with 20 ms
 * of latency per request. Reports requests, wall time and peak memory of start-up, first apply, no-op
 * plan and no-op apply, with the floor beside each (start-up + the round trips that cannot be
 * avoided), then a no-op plan on an instance that also holds thousands of unmanaged cards.
 *
 *   npm run bench -- --dashboards 50 --cards 10 --latency 20 --concurrency 8 --unmanaged 5000,20000 [--profile DIR]
 *   npm run bench -- --serve    # after the first apply, keeps the fake and the project for runs by hand
 *   npm run bench -- --compare /other/checkout/bin/mb-sync.js [--runs 5]
 *                               # first applies of this build and another (both built first),
 *                               # alternated, each from scratch but its own PGlite cluster (the
 *                               # machine's speed drifts: compare builds side by side)
 *
 * BENCH_NODE_OPTIONS, when set, is given to the measured processes as NODE_OPTIONS (e.g.
 * `--require /abs/path/tracer.cjs`: an absolute path, the processes run in the generated project);
 * their environment is otherwise only what is listed in measure().
 */
import { copyFile, mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { spawn } from 'node:child_process';
import { startFakeMetabase, type FakeMetabase } from '../test/support/fake-metabase/index.ts';
import { warmValidators } from '../test/support/fake-metabase/validate.ts';
import { machineCacheDir } from '../src/config/cache-home.ts';

const BIN = join(import.meta.dirname, '../bin/mb-sync.js');

const { values } = parseArgs({
  options: {
    dashboards: { type: 'string', default: '200' },
    cards: { type: 'string', default: '10' },
    latency: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '8' },
    unmanaged: { type: 'string', default: '5000,20000' },
    // V8 CPU profiles of each measured process, one folder per step (open them in Chrome's DevTools).
    profile: { type: 'string' },
    // Stop after the first apply and keep the fake running, printing how to run mb-sync against it
    // (to profile or time one command many times).
    serve: { type: 'boolean', default: false },
    compare: { type: 'string' },
    runs: { type: 'string', default: '5' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  // The usage is this file's opening comment.
  const text = await import('node:fs/promises').then((fs) => fs.readFile(new URL(import.meta.url), 'utf8'));
  process.stdout.write(`${/\/\*\*([\s\S]*?)\*\//.exec(text)![1]!.replace(/^ \* ?/gm, '').trim()}\n`);
  process.exit(0);
}
const dashboardCount = Number(values.dashboards);
const cardCount = Number(values.cards);
const latencyMs = Number(values.latency);

const columns = ['event_date', 'module', 'total_spent', 'total_credits'];
const catalog = {
  'bench-db/bench': {
    password: 'bench-password',
    tables: [{ schema: 'analytics', name: 'vw_daily_energy_ledger', columns: [
      { name: 'event_date', base_type: 'type/Date', database_type: 'date' },
      { name: 'module', base_type: 'type/Text', database_type: 'text' },
      { name: 'total_spent', base_type: 'type/BigInteger', database_type: 'bigint' },
      { name: 'total_credits', base_type: 'type/BigInteger', database_type: 'bigint' },
    ] }],
  },
};

async function writeProject(root: string): Promise<void> {
  await mkdir(join(root, 'dashboards'), { recursive: true });
  // The project's own view (what `db apply` would create): plan checks the tables its cards read
  // against it, and native SQL compiles against it in embedded Postgres.
  await mkdir(join(root, 'sql', 'analytics'), { recursive: true });
  await writeFile(join(root, 'sql', 'analytics', 'views.sql'), `CREATE SCHEMA IF NOT EXISTS analytics;
CREATE OR REPLACE VIEW analytics.vw_daily_energy_ledger AS
  SELECT current_date AS event_date, 'module'::text AS module, 0::bigint AS total_spent, 0::bigint AS total_credits;
`);
  await writeFile(join(root, 'metabase.config.yaml'), stringify({
    project: 'bench',
    environments: { bench: { url: 'http://127.0.0.1:1' } },
    database: { key: 'bench', name: 'Bench', host: 'bench-db', dbname: 'bench', user: 'phoenix_analytics_ro', password: '${BENCH_DB_PASSWORD}', schemas: ['analytics'] },
    collections: [{ key: 'bench', name: 'Bench' }],
  }));
  for (let d = 0; d < dashboardCount; d++) {
    const cards = Array.from({ length: cardCount }, (_, c) => ({
      key: `d${d}-c${c}`,
      name: `Card ${c} of dashboard ${d}`,
      display: c % 2 === 0 ? 'bar' : 'line',
      ...(c % 3 === 0
        ? { sql: `SELECT module, sum(total_spent) AS spent FROM analytics.vw_daily_energy_ledger WHERE {{period}} GROUP BY 1 -- ${d}/${c}`, params: { period: { type: 'dimension', field: 'analytics.vw_daily_energy_ledger.event_date', widget: 'date/all-options' } } }
        : { query: { source: 'analytics.vw_daily_energy_ledger', aggregate: [`sum(${columns[2 + (c % 2)]})`], breakout: ['event_date:week', 'module'] } }),
      filters: { period: c % 3 === 0 ? 'period' : 'event_date' },
      layout: { row: Math.floor(c / 2) * 6, col: (c % 2) * 12, width: 12, height: 6 },
    }));
    await writeFile(join(root, 'dashboards', `d${d}.yaml`), stringify({
      key: `d${d}`, name: `Dashboard ${d}`, collection: 'bench',
      filters: [{ key: 'period', name: 'Période', type: 'date/all-options', default: 'past30days' }],
      cards,
    }));
  }
}

/**
 * The server floor of `requests` (seconds), or undefined when the replay failed, said on a comment
 * line: the requests the run had answered with a 2xx, replayed (see bench-replay.mjs). Those the
 * server refuses this time (a name taken since, a stale revision) are counted on a comment line.
 */
async function serverFloor(what: string, fake: FakeMetabase, requests: Array<{ method: string; path: string; query?: string; body?: unknown; status: number }>, concurrency: number): Promise<number | undefined> {
  const done = requests.filter((r) => r.status >= 200 && r.status < 300);
  try {
    const result = await replay(fake, done, concurrency);
    if (result.refused > 0) console.log(`#   ${what}: ${result.refused} of the ${done.length} replayed requests were refused (e.g. ${result.examples.join('; ')}): the server floor counts their refusals`);
    return result.seconds;
  } catch (error) {
    console.log(`#   ${what}: no server floor, ${(error as Error).message}`);
    return undefined;
  }
}

/**
 * The same requests sent again by a bare client in another process (scripts/bench-replay.mjs):
 * what the fake itself needs to answer them at this concurrency, so the floor counts the server's
 * own time too (it validates every body against Metabase's schemas, as the real one does).
 */
async function replay(fake: FakeMetabase, requests: Array<{ method: string; path: string; query?: string; body?: unknown }>, concurrency: number): Promise<{ seconds: number; refused: number; examples: string[] }> {
  // The replayed writes land in the fake: its state is put back as it was afterwards.
  const saved = structuredClone(fake.state);
  const file = join(tmpdir(), `mb-sync-replay-${process.pid}.json`);
  // The fake's API key and the bench's database password are in it: readable by this user only.
  await writeFile(file, JSON.stringify({ url: fake.url, key: fake.apiKey, concurrency, requests: requests.map((r) => ({ method: r.method, path: r.path + (r.query ?? ''), body: JSON.stringify(r.body) })) }), { mode: 0o600 });
  const { stdout: out, stderr: err, code } = await run(process.execPath, [join(import.meta.dirname, 'bench-replay.mjs'), file]);
  await rm(file, { force: true });
  restore(fake.state as unknown as Record<string, unknown>, saved as unknown as Record<string, unknown>);
  fake.resetLog();
  // A replay that failed (or printed nothing) is no floor at all, not a floor of 0 s.
  let result: { seconds: number; refused: number; examples: string[] } | undefined;
  try {
    result = JSON.parse(out) as typeof result;
  } catch {
    // Said below.
  }
  if (code !== 0 || result === undefined || !Number.isFinite(result.seconds)) throw new Error(`the replay of ${requests.length} requests failed (exit ${code}): ${err.trim().slice(-500) || out.trim() || 'no output'}`);
  return result;
}

/** Puts every collection of the fake's state back to `saved`, in place (the routes hold these objects). */
function restore(state: Record<string, unknown>, saved: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(saved)) {
    const live = state[key];
    if (live instanceof Map) {
      live.clear();
      for (const [k, v] of value as Map<unknown, unknown>) live.set(k, v);
    } else if (Array.isArray(live)) live.splice(0, live.length, ...(value as unknown[]));
    else if (typeof live === 'object' && live !== null) {
      for (const k of Object.keys(live)) delete (live as Record<string, unknown>)[k];
      Object.assign(live, value);
    }
  }
}

interface Floors {
  /** Start-up plus the round trips that cannot be avoided, at the latency alone. */
  floor?: number;
  /** The same with what the server needs to answer them (replayed by a bare client). */
  server?: number;
}

/**
 * One whole `node bin/mb-sync.js …` process: wall time and peak memory (GNU time), requests seen by
 * the fake. The row is printed with its floors beside it (row() again once they are known).
 */
async function measure(label: string, args: string[], cwd: string, fake: FakeMetabase, floors: Floors | 'later', bin = BIN): Promise<Measured> {
  fake.resetLog();
  const timed = await timedNode(label, [bin, ...args], fake, cwd);
  const measured = { step: label, requests: fake.requests.length, writes: fake.writes(), seconds: timed.seconds, peakMB: Math.round(timed.peakKB / 1024) };
  if (floors !== 'later') row(measured, floors);
  return measured;
}

interface Measured {
  step: string;
  requests: number;
  writes: number;
  seconds: number;
  peakMB: number;
}

/** A measured step as one JSON line, each floor with the ratio to it beside it. */
function row(m: Measured, floors: Floors): void {
  const ratio = (floor: number) => Number((m.seconds / floor).toFixed(2));
  console.log(JSON.stringify({
    step: m.step,
    requests: m.requests,
    writes: m.writes,
    seconds: m.seconds,
    ...(floors.floor === undefined ? {} : { floor: Number(floors.floor.toFixed(2)), '× floor': ratio(floors.floor) }),
    ...(floors.server === undefined ? {} : { 'server floor': Number(floors.server.toFixed(2)), '× server floor': ratio(floors.server) }),
    'peak MB': m.peakMB,
  }));
}

/** What the measured processes are run with: this environment only (BENCH_NODE_OPTIONS as NODE_OPTIONS). */
function measuredEnv(fake: FakeMetabase): NodeJS.ProcessEnv {
  return { ...(process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {}), PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', XDG_CACHE_HOME: cacheHome, NO_COLOR: '1', MB_URL: fake.url, MB_API_KEY: fake.apiKey, BENCH_DB_PASSWORD: 'bench-password' };
}

/** With --profile, a V8 CPU profile of the process in a folder named after the step. */
function profileArgs(label: string): string[] {
  return values.profile === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', join(values.profile, label.replace(/\W+/g, '-'))];
}

/** Node's own start (`node -e 0`), the floor of mb-sync's: the median of three runs, run and timed as measure() runs and times. */
async function nodeStart(fake: FakeMetabase): Promise<number> {
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) runs.push((await timedNode('node start', ['-e', '0'], fake)).seconds);
  return runs.sort((a, b) => a - b)[1]!;
}

/** `node …args` as a measured process (its environment, --profile), timed by GNU time; a failure stops the bench. */
async function timedNode(label: string, args: string[], fake: FakeMetabase, cwd?: string): Promise<{ seconds: number; peakKB: number }> {
  const { stderr, code } = await run('/usr/bin/time', ['-f', 'MBSYNC_TIME %e %M', process.execPath, ...profileArgs(label), ...args], { env: measuredEnv(fake), ...(cwd === undefined ? {} : { cwd }) });
  if (code !== 0) throw new Error(`${label} exited ${code}: ${stderr.slice(-800)}`);
  const timing = /MBSYNC_TIME ([\d.]+) (\d+)/.exec(stderr);
  return { seconds: Number(timing?.[1] ?? NaN), peakKB: Number(timing?.[2] ?? 0) };
}

/** A process run to its end, with what it printed. */
function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, options);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code }));
  });
}

/**
 * Cards mb-sync does not manage, with realistic bodies (a query and ten columns of result metadata):
 * half on the project's database, half on another one (a production database people also query).
 */
function addUnmanagedCards(fake: FakeMetabase, count: number): void {
  const projectDatabase = [...fake.state.databases.values()][0]!.id as number;
  const otherDatabase = 900_000;
  if (!fake.state.databases.has(otherDatabase)) fake.state.databases.set(otherDatabase, { ...structuredClone([...fake.state.databases.values()][0]!), id: otherDatabase, name: 'Production (read replica)' });
  const table = [...fake.state.tables.values()][0]!.id;
  const fields = [...fake.state.fields.values()].slice(0, 4).map((f) => f.id);
  const start = [...fake.state.cards.keys()].filter((id) => id >= 1_000_000).length;
  for (let i = start; i < start + count; i++) {
    const id = 1_000_000 + i;
    const database = i % 2 === 0 ? projectDatabase : otherDatabase;
    fake.state.cards.set(id, {
      id, entity_id: `unmanaged${String(i).padStart(12, '0')}`, name: `Someone's question ${i}`, type: 'question', display: 'table', archived: false,
      collection_id: null, description: 'A question made by hand in the UI, not managed by mb-sync.', visualization_settings: { 'table.pivot': false, 'column_settings': {} },
      dataset_query: { 'lib/type': 'mbql/query', database, stages: [{ 'lib/type': 'mbql.stage/mbql', 'source-table': table,
        aggregation: [['sum', { 'lib/uuid': `0000000${i}-0000-4000-8000-000000000000` }, ['field', { 'base-type': 'type/BigInteger', 'effective-type': 'type/BigInteger', 'lib/uuid': `1000000${i}-0000-4000-8000-000000000000` }, fields[2]]]],
        breakout: [['field', { 'base-type': 'type/Date', 'temporal-unit': 'week', 'lib/uuid': `2000000${i}-0000-4000-8000-000000000000` }, fields[0]]] }] },
      result_metadata: Array.from({ length: 10 }, (_, c) => ({ name: `column_${c}`, display_name: `Column ${c}`, base_type: 'type/Text', effective_type: 'type/Text', semantic_type: null, field_ref: ['field', fields[c % 4], null], fingerprint: { global: { 'distinct-count': 100 + c, 'nil%': 0 }, type: { 'type/Text': { 'average-length': 12.5 } } } })),
      query_type: 'query', database_id: database, table_id: table, parameters: [], creator_id: 1, created_at: new Date().toISOString(), updated_at: new Date().toISOString(), can_write: true,
    });
  }
}

/**
 * The per-machine cache the measured runs use: the bench's own, so that the first run of each
 * command finds no compiled code (as after an install), with PGlite's empty cluster copied from
 * this machine's cache when it has one (as on any machine that ran mb-sync before).
 */
let cacheHome = '';
async function prepareCacheHome(root: string, clusters = machineCacheDir(process.env)): Promise<void> {
  cacheHome = join(root, 'xdg-cache');
  await mkdir(join(cacheHome, 'mb-sync'), { recursive: true });
  if (clusters !== undefined) await copyClusters(clusters, join(cacheHome, 'mb-sync'));
}

/** PGlite's saved clusters (any version's, any format's) from one folder to another. */
async function copyClusters(from: string, to: string): Promise<void> {
  for (const name of await readdir(from).catch(() => [] as string[])) {
    if (/^pglite-.*\.tar$/.test(name)) await copyFile(join(from, name), join(to, name));
  }
}

/**
 * First applies of this build and of `other` (another checkout's bin/mb-sync.js, built), alternated
 * (A B, B A, …), each from an empty Metabase and empty caches. Each build first runs once untimed:
 * the PGlite cluster that run keeps (its own version and format) is what its timed runs start from,
 * as on a machine that ran that build before; that run also warms the fake.
 */
async function compareFirstApplies(root: string, fake: FakeMetabase, otherPath: string, runs: number, concurrency: number): Promise<void> {
  const other = resolve(process.env.INIT_CWD ?? process.cwd(), otherPath);
  // Built as this one is: a dist/ older than its src/ would be run through tsx.
  await build(join(dirname(other), '..'));
  const label = (bin: string) => (bin === BIN ? 'this build' : other);
  const empty = structuredClone(fake.state);
  const clusters = new Map<string, string>();
  const apply = async (bin: string, timed: boolean) => {
    restore(fake.state as unknown as Record<string, unknown>, structuredClone(empty) as unknown as Record<string, unknown>);
    await rm(join(root, 'node_modules', '.cache'), { recursive: true, force: true });
    await rm(cacheHome, { recursive: true, force: true });
    await prepareCacheHome(root, clusters.get(bin));
    return measure(`first apply, ${label(bin)}${timed ? '' : ' (untimed: keeps its PGlite cluster)'}`, ['apply', '--yes', '--concurrency', String(concurrency)], root, fake, {}, bin);
  };
  for (const bin of [BIN, other]) {
    await apply(bin, false);
    const kept = join(root, `clusters-${clusters.size}`);
    await mkdir(kept);
    await copyClusters(join(cacheHome, 'mb-sync'), kept);
    clusters.set(bin, kept);
  }
  const seconds = new Map<string, number[]>([[BIN, []], [other, []]]);
  const requests = new Map<string, Set<string>>([[BIN, new Set()], [other, new Set()]]);
  for (let i = 0; i < runs; i++) {
    for (const bin of i % 2 === 0 ? [BIN, other] : [other, BIN]) {
      const row = await apply(bin, true);
      seconds.get(bin)!.push(row.seconds);
      requests.get(bin)!.add(`${row.requests} requests, ${row.writes} writes`);
    }
  }
  const median = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  };
  for (const [bin, xs] of seconds) console.log(`# ${label(bin)}: median ${median(xs).toFixed(2)} s (${xs.map((x) => x.toFixed(2)).join(', ')}); ${[...requests.get(bin)!].join(' / ')}`);
  if ([...requests.get(BIN)!].join() !== [...requests.get(other)!].join()) console.log('# the two builds did not send the same number of requests: compare the work, not only the time');
}

/** Runs a checkout's scripts/build.mjs in its own folder (it writes dist/ there). */
async function build(checkout: string): Promise<void> {
  const { stderr, code } = await run(process.execPath, ['scripts/build.mjs'], { cwd: checkout });
  if (code !== 0) throw new Error(`the build of ${checkout} failed (exit ${code}): ${stderr.trim().slice(-800)}`);
}

async function main(): Promise<void> {
  // bin/mb-sync.js runs src/ through tsx when dist/ is older: what is measured is built first.
  await build(join(import.meta.dirname, '..'));
  const root = await mkdtemp(join(tmpdir(), 'mb-sync-bench-'));
  // A project as a team has it: mb-sync installed, so node_modules/ holds its caches.
  await mkdir(join(root, 'node_modules'));
  await prepareCacheHome(root);
  const fake = await startFakeMetabase({ catalog, syncPolls: 1 });
  // A Metabase that is up: its request schemas compiled before the first apply is timed.
  warmValidators();
  try {
    await writeProject(root);
    fake.setLatency(latencyMs);
    const concurrency = Number(values.concurrency);
    const rounds = (n: number) => Math.ceil(n / concurrency) * (latencyMs / 1000);
    console.log(`# ${dashboardCount} dashboards × ${cardCount} cards, ${latencyMs} ms latency per request, concurrency ${concurrency}; whole process (node bin/mb-sync.js), dist/ built from this checkout's src/`);
    if (values.compare) {
      await compareFirstApplies(root, fake, values.compare, Number(values.runs), concurrency);
      return;
    }
    // The first run of a command after a build compiles it and keeps the code (bin/mb-sync.js);
    // every later run starts from that: both are shown, the floors use the later one.
    const bare = await nodeStart(fake);
    await measure('start-up (--help), first run after the build', ['--help'], root, fake, { floor: bare });
    const startup = await measure('start-up (--help)', ['--help'], root, fake, { floor: bare });
    const start = startup.seconds;
    const first = await measure('first apply', ['apply', '--yes', '--concurrency', String(concurrency)], root, fake, 'later');
    if (values.serve) {
      row(first, {});
      console.log(`# serving; in another shell:\ncd ${root} && XDG_CACHE_HOME=${cacheHome} MB_URL=${fake.url} MB_API_KEY=${fake.apiKey} BENCH_DB_PASSWORD=bench-password node ${BIN} plan`);
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
      return;
    }
    const firstWrites = fake.requests.filter((r) => r.method !== 'GET');
    // Floors: start-up plus the round trips that cannot be avoided, at the client's concurrency
    // (latency only), and the same plus what the server needs to answer them (replayed).
    const firstFloor = start + rounds(first.writes);
    const firstReplay = await serverFloor('first apply', fake, firstWrites, concurrency);
    const firstServer = firstReplay === undefined ? undefined : start + firstReplay;
    row(first, { floor: firstFloor, ...(firstServer === undefined ? {} : { server: firstServer }) });
    console.log(`#   first apply floor: start-up + ${first.writes} writes ${concurrency} at a time = ${firstFloor.toFixed(2)} s (latency only)${firstServer === undefined ? '' : `; ${firstServer.toFixed(2)} s with the server's time (the writes replayed by a bare client)`}`);
    const readFloor = start + rounds(dashboardCount) + 3 * (latencyMs / 1000);
    const firstPlan = await measure('no-op plan, first plan after the build', ['plan', '--concurrency', String(concurrency)], root, fake, 'later');
    const plan = await measure('no-op plan', ['plan', '--concurrency', String(concurrency)], root, fake, 'later');
    // The reads of a no-op plan replayed at once (their order ignored) plus the three list round trips they wait on.
    const readReplay = await serverFloor('no-op plan', fake, fake.requests, concurrency);
    const readFloors = { floor: readFloor, ...(readReplay === undefined ? {} : { server: start + readReplay + 3 * (latencyMs / 1000) }) };
    row(firstPlan, readFloors);
    row(plan, readFloors);
    console.log(`#   no-op plan floor: ${readFloor.toFixed(2)} s (latency only)${readFloors.server === undefined ? '' : `; ${readFloors.server.toFixed(2)} s with the server's time`}; ${plan.requests} requests`);
    const apply = await measure('no-op apply', ['apply', '--yes', '--concurrency', String(concurrency)], root, fake, readFloors);
    const ok = apply.writes === 0;
    console.log(ok ? '# no-op: zero writes' : '# NOT A NO-OP: see the rows above');
    for (const extra of values.unmanaged.split(',').filter(Boolean).map(Number)) {
      addUnmanagedCards(fake, extra - [...fake.state.cards.keys()].filter((id) => id >= 1_000_000).length);
      await measure(`no-op plan, ${extra} unmanaged cards`, ['plan', '--concurrency', String(concurrency)], root, fake, { floor: readFloor });
    }
    if (!ok) process.exitCode = 1;
  } finally {
    await fake.close();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
