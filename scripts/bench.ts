/**
 * `npm run bench`: plan and apply of a generated project (200 dashboards × 10 cards by default)
 * against the in-process fake Metabase with 20 ms of latency per request. Reports requests made and
 * wall time for the first apply, a no-op plan and a no-op apply. The point is HTTP round trips:
 * bulk listing, concurrent reads, and zero writes when nothing changed.
 *
 *   npm run bench -- --dashboards 50 --cards 10 --latency 20
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { loadProject } from '../src/config/load-project.ts';
import { applyPlan } from '../src/engine/apply-plan.ts';
import { makePlan } from '../src/engine/make-plan.ts';
import { createMetabaseClient, readServerInfo } from '../src/metabase/client.ts';
import { handlers } from '../src/resources/registry.ts';
import { startFakeMetabase } from '../test/support/fake-metabase/index.ts';

const { values } = parseArgs({
  options: {
    dashboards: { type: 'string', default: '200' },
    cards: { type: 'string', default: '10' },
    latency: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '8' },
  },
});
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
  await writeFile(join(root, 'metabase.config.yaml'), stringify({
    project: 'bench',
    environments: { bench: { url: 'http://127.0.0.1:1' } },
    database: { key: 'bench', name: 'Bench', host: 'bench-db', dbname: 'bench', user: 'ro', password: '${BENCH_DB_PASSWORD}', schemas: ['analytics'] },
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

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'mb-sync-bench-'));
  const fake = await startFakeMetabase({ catalog, syncPolls: 1 });
  try {
    await writeProject(root);
    process.env.BENCH_DB_PASSWORD = 'bench-password';
    const project = await loadProject({ configPath: join(root, 'metabase.config.yaml'), env: process.env });
    const api = createMetabaseClient({ url: fake.url, auth: { apiKey: fake.apiKey }, concurrency: Number(values.concurrency) });
    const server = await readServerInfo(api);
    fake.setLatency(latencyMs);
    const target = { environment: 'bench', url: fake.url };

    const run = async (label: string, apply: boolean) => {
      fake.resetLog();
      const started = performance.now();
      const state = await makePlan({ project, api, server, target, handlers, allowArchive: false });
      if (apply) {
        const result = await applyPlan({ state, handlers, context: { api, project, server, progress: () => {} }, emit: () => {} });
        if (result.failed.length > 0) throw new Error(`${label}: ${JSON.stringify(result.failed.slice(0, 3))}`);
      }
      const ms = performance.now() - started;
      const gets = fake.requests.filter((r) => r.method === 'GET').length;
      const row = { step: label, requests: fake.requests.length, gets, writes: fake.writes(), seconds: (ms / 1000).toFixed(2), ...state.plan.summary };
      console.log(JSON.stringify(row));
      return row;
    };

    console.log(`# ${dashboardCount} dashboards × ${cardCount} cards, ${latencyMs} ms latency per request, concurrency ${values.concurrency}`);
    await run('first apply', true);
    const plan = await run('no-op plan', false);
    const apply = await run('no-op apply', true);
    const ok = apply.writes === 0 && plan.create + plan.update === 0;
    console.log(ok ? '# no-op: zero writes, no changes' : '# NOT A NO-OP: see the rows above');
    if (!ok) process.exitCode = 1;
  } finally {
    await fake.close();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
