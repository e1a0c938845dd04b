/**
 * `npm run demo-server`: the test suite's fake Metabase, with the Phoenix database as a sync of the
 * real views would find it, e-mail configured and some latency — to try mb-sync (or record the
 * terminal session in docs/terminal-session.md) without Docker. It validates request bodies as
 * Metabase does, but it is not Metabase: `npm run local` runs the real one.
 *
 *   npm run demo-server -- [--port 3999] [--latency 40] [--out .env.demo]
 *
 * Writes MB_URL and MB_API_KEY to the env file (git-ignored) and runs until Ctrl-C.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { catalogFromSandbox } from '../test/support/catalog-from-sandbox.ts';
import { startFakeMetabase } from '../test/support/fake-metabase/index.ts';

const { values } = parseArgs({ options: { port: { type: 'string', default: '3999' }, latency: { type: 'string', default: '40' }, out: { type: 'string', default: '.env.demo' } } });
const password = process.env.PHOENIX_ANALYTICS_RO_PASSWORD ?? 'demo-readonly-password';
const catalog = await catalogFromSandbox({ host: process.env.PHOENIX_DB_HOST ?? 'localhost', dbname: process.env.PHOENIX_DB_NAME ?? 'phoenix', password });
const fake = await startFakeMetabase({ catalog, syncPolls: 2, port: Number(values.port), emailConfigured: true });
fake.setLatency(Number(values.latency));
await writeFile(values.out, `MB_URL=${fake.url}\nMB_API_KEY=${fake.apiKey}\nPHOENIX_ANALYTICS_RO_PASSWORD=${password}\n`, { mode: 0o600 });
process.stderr.write(`fake Metabase at ${fake.url} (${values.latency} ms per request); MB_URL and MB_API_KEY in ${values.out}. Ctrl-C stops it.\n`);
process.on('SIGINT', () => void fake.close().then(() => process.exit(0)));
