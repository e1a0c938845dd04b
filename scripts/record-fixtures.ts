/**
 * `npm run record-fixtures`: captures real GET responses from a live Metabase into
 * test/fixtures/metabase/<version>/recorded/ (or --out DIR), so golden tests can run on what a real
 * server returns instead of hand-written payloads. Run it after `mb-sync apply` of this project:
 *   MB_URL=http://localhost:3000 MB_API_KEY=mb_… npm run record-fixtures
 * Secrets: database details come back redacted from Metabase, and the host/user are replaced here.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readMarker } from '../src/core/card-marker.ts';
import { parseMarker } from '../src/core/dashboard-body.ts';
import { createMetabaseClient, readServerInfo } from '../src/metabase/client.ts';

const { values } = parseArgs({ options: { out: { type: 'string' } } });
const url = process.env.MB_URL;
const apiKey = process.env.MB_API_KEY;
if (!url || !apiKey) {
  console.error('Set MB_URL and MB_API_KEY (an Administrators API key) of a Metabase this project was applied to.');
  process.exit(1);
}
const api = createMetabaseClient({ url, auth: { apiKey } });
const server = await readServerInfo(api);
const version = /^v?\d+\.(\d+)/.exec(server.tag)?.[1] ?? 'dev';
const out = values.out ?? join(import.meta.dirname, '../test/fixtures/metabase', `0.${version}`, 'recorded');
await mkdir(out, { recursive: true });
const save = async (name: string, value: unknown) => {
  await writeFile(join(out, `${name}.json`), `${JSON.stringify(value, null, 2)}\n`);
  console.error(`  ${name}.json`);
};

type Card = { id: number; type: string; query_type?: string; visualization_settings?: unknown };
const cards = (await api.get<Card[]>('/api/card', { params: { f: 'all' } })).filter((c) => readMarker(c.visualization_settings) !== undefined);
const pick = (test: (c: Card) => boolean) => cards.find(test);
for (const [name, card] of [['card-structured', pick((c) => c.type === 'question' && c.query_type === 'query')], ['card-native', pick((c) => c.query_type === 'native')], ['card-model', pick((c) => c.type === 'model')]] as const) {
  if (card) await save(name, await api.get(`/api/card/${card.id}`));
}
const databases = await api.get<{ data: Array<{ id: number }> }>('/api/database');
for (const db of databases.data.slice(0, 1)) {
  const full = await api.get<Record<string, unknown> & { details?: Record<string, unknown> }>(`/api/database/${db.id}`);
  await save('database', { ...full, details: { ...full.details, host: 'db.example', user: 'readonly' } });
  await save('database-list', databases);
}
const collections = await api.get<Array<{ id: number | string }>>('/api/collection');
for (const collection of collections.filter((c) => typeof c.id === 'number')) {
  const items = await api.get<{ data: Array<{ id: number; model: string }> }>(`/api/collection/${collection.id}/items`, { params: { models: ['dashboard'] } });
  for (const item of items.data) {
    const dashboard = await api.get<{ id: number; caveats?: unknown }>(`/api/dashboard/${item.id}`);
    if (parseMarker(dashboard.caveats) === undefined) continue;
    await save('dashboard', dashboard);
    await save('pulses', await api.get('/api/pulse', { params: { dashboard_id: dashboard.id } }));
    console.error(`recorded ${server.tag} into ${out}`);
    process.exit(0);
  }
}
console.error(`recorded ${server.tag} into ${out} (no managed dashboard found)`);
