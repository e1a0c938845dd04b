// The server-bound floor for `npm run bench`: the requests a run sent, sent again by a bare client
// (fetch, bodies ready, no dependencies between them) in a process of its own, N at a time. What
// this takes is what the fake server itself needs to answer them, at that concurrency.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const { url, key, concurrency, requests } = JSON.parse(readFileSync(process.argv[2], 'utf8'));
// Node loads its fetch implementation (undici) on the first call: tens of milliseconds that are this
// client's start-up, not the server's time. One read first, outside the measure.
await (await globalThis.fetch(`${url}/api/session/properties`, { headers: { 'x-api-key': key } })).arrayBuffer();
const started = performance.now();
const failed = [];
let next = 0;
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (next < requests.length) {
    const r = requests[next++];
    const response = await globalThis.fetch(url + r.path, { method: r.method, headers: { 'content-type': 'application/json', 'x-api-key': key }, ...(r.method === 'GET' ? {} : { body: r.body }) });
    await response.arrayBuffer();
    if (!response.ok) failed.push(`${r.method} ${r.path}: ${response.status}`);
  }
}));
const seconds = (performance.now() - started) / 1000;
// Refused requests are answered sooner than done ones: a floor with any is no floor.
if (failed.length > 0) {
  process.stderr.write(`${failed.length} of ${requests.length} replayed requests failed, e.g. ${failed.slice(0, 3).join('; ')}\n`);
  process.exit(1);
}
process.stdout.write(`${seconds.toFixed(3)}\n`);
