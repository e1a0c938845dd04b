/**
 * `npm run soak`: the Phoenix project applied N times, each against a fresh fake Metabase whose
 * requests fail at random (seeded): 5xx, dropped connections and answers slower than the client
 * waits, half of them after the write took effect. Not part of `npm test`: it measures, it does not
 * assert. Prints how many runs succeeded at the first apply, how many applies convergence took, and
 * the duplicates found (two live objects for one identity).
 *
 *   npm run soak -- [--runs 10] [--rate 0.1] [--max-applies 5]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadProject } from '../src/config/load-project.ts';
import { readMarker } from '../src/core/card-marker.ts';
import { parseMarker } from '../src/core/dashboard-body.ts';
import { readPulseMarker } from '../src/core/pulse-marker.ts';
import { applyPlan } from '../src/engine/apply-plan.ts';
import { makePlan } from '../src/engine/make-plan.ts';
import { createMetabaseClient, readServerInfo } from '../src/metabase/client.ts';
import { handlers } from '../src/resources/registry.ts';
import { catalogFromSandbox } from '../test/support/catalog-from-sandbox.ts';
import { startFakeMetabase, type FakeMetabase } from '../test/support/fake-metabase/index.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' }, rate: { type: 'string', default: '0.1' }, 'max-applies': { type: 'string', default: '5' } } });
const runs = Number(values.runs);
const rate = Number(values.rate);
const maxApplies = Number(values['max-applies']);
const ROOT = join(import.meta.dirname, '..');
const env = { PHOENIX_ANALYTICS_RO_PASSWORD: 'soak-password' };
const catalog = await catalogFromSandbox({ host: 'localhost', dbname: 'phoenix', password: env.PHOENIX_ANALYTICS_RO_PASSWORD });
const project = await loadProject({ configPath: join(ROOT, 'metabase.config.yaml'), env });

async function applyOnce(fake: FakeMetabase): Promise<{ ok: boolean; error?: string }> {
  const api = createMetabaseClient({ url: fake.url, auth: { apiKey: fake.apiKey }, timeoutMs: 1000, retryBaseMs: 20 });
  try {
    const server = await readServerInfo(api);
    const state = await makePlan({ project, api, server, target: { environment: 'soak', url: fake.url }, handlers, allowArchive: false });
    const result = await applyPlan({ state, handlers, context: { api, project, server, progress: () => {}, pollIntervalMs: 5 }, emit: () => {} });
    return result.failed.length === 0 ? { ok: true } : { ok: false, error: result.failed.map((f) => `${f.address}: ${f.error.split('\n')[0]}`).join('; ') };
  } catch (error) {
    return { ok: false, error: (error as Error).message.split('\n')[0] };
  }
}

function duplicates(fake: FakeMetabase): string[] {
  const out: string[] = [];
  const twice = (kind: string, keys: Array<string | undefined>) => {
    const seen = new Map<string, number>();
    for (const key of keys) if (key !== undefined) seen.set(key, (seen.get(key) ?? 0) + 1);
    for (const [key, n] of seen) if (n > 1) out.push(`${kind} ${key} ×${n}`);
  };
  const { state } = fake;
  twice('group', state.groups.map((g) => String(g.name)));
  twice('database', [...state.databases.values()].map((d) => String(d.name)));
  twice('collection', [...state.collections.values()].filter((c) => c.archived !== true).map((c) => `${String(c.location ?? '/')}${String(c.name)}`));
  twice('card', [...state.cards.values()].filter((c) => c.archived !== true).map((c) => readMarker(c.visualization_settings)?.key));
  twice('dashboard', [...state.dashboards.values()].filter((d) => d.archived !== true).map((d) => parseMarker(d.caveats)?.key ?? String(d.name)));
  twice('subscription', [...state.pulses.values()].filter((p) => p.archived !== true).map((p) => readPulseMarker(p as never)?.key));
  const alerts = [...state.notifications.values()].filter((n) => n.active !== false).length;
  if (alerts > project.config.alerts.length) out.push(`alerts: ${alerts} active for ${project.config.alerts.length} declared`);
  return out;
}

const rows: Array<{ seed: number; first: boolean; applies: number; converged: boolean; duplicates: string[]; error?: string }> = [];
for (let seed = 1; seed <= runs; seed++) {
  const fake = await startFakeMetabase({ catalog, syncPolls: 1, chaos: { rate, seed, slowMs: 1500 } });
  let applies = 0;
  let first: { ok: boolean; error?: string } | undefined;
  let last: { ok: boolean; error?: string } = { ok: false };
  while (applies < maxApplies && !last.ok) {
    last = await applyOnce(fake);
    applies += 1;
    first ??= last;
  }
  // Converged: with the faults stopped, the plan is empty.
  fake.setChaosRate(0);
  const api = createMetabaseClient({ url: fake.url, auth: { apiKey: fake.apiKey } });
  const check = await makePlan({ project, api, server: await readServerInfo(api), target: { environment: 'soak', url: fake.url }, handlers, allowArchive: false });
  const converged = check.plan.summary.create + check.plan.summary.update === 0;
  rows.push({ seed, first: first!.ok, applies, converged, duplicates: duplicates(fake), ...(first!.ok ? {} : { error: first!.error }) });
  const row = rows.at(-1)!;
  console.log(`seed ${seed}: ${row.first ? 'first apply ok' : `first apply failed (${row.error})`}; ${row.applies} apply(ies); ${row.converged ? 'converged' : 'NOT converged'}; duplicates: ${row.duplicates.length === 0 ? 'none' : row.duplicates.join(', ')}`);
  await fake.close();
}
const firstOk = rows.filter((r) => r.first).length;
const converged = rows.filter((r) => r.converged);
const mean = converged.reduce((n, r) => n + r.applies, 0) / Math.max(converged.length, 1);
console.log(`\n${runs} runs at ${Math.round(rate * 100)}% faults: ${firstOk}/${runs} succeeded at the first apply; ${converged.length}/${runs} converged, in ${mean.toFixed(1)} applies on average; duplicates: ${rows.reduce((n, r) => n + r.duplicates.length, 0)}`);
