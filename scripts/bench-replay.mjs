// The server-bound floor for `npm run bench`: the requests a run sent, sent again by a bare client
// (fetch, bodies ready, no dependencies between them) in a process of its own, N at a time. What
// this takes is what the fake server itself needs to answer them, at that concurrency. Prints
// {"seconds", "refused", "examples"}: the requests the server refused this time.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const { url, key, concurrency, requests } = JSON.parse(readFileSync(process.argv[2], 'utf8'));
// Node loads its fetch implementation (undici) on the first call: tens of milliseconds that are this
// client's start-up, not the server's time. One read first, outside the measure.
await (await globalThis.fetch(`${url}/api/session/properties`, { headers: { 'x-api-key': key } })).arrayBuffer();
const started = performance.now();
const refused = [];
let next = 0;
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (next < requests.length) {
    const r = requests[next++];
    const response = await globalThis.fetch(url + r.path, { method: r.method, headers: { 'content-type': 'application/json', 'x-api-key': key }, ...(r.method === 'GET' ? {} : { body: r.body }) });
    await response.arrayBuffer();
    if (!response.ok) refused.push(`${r.method} ${r.path}: ${response.status}`);
  }
}));
// Refused requests (a name already taken, a stale revision: the state has moved on since the run)
// are answered sooner than done ones: the caller is told how many, to say so beside the floor.
process.stdout.write(`${JSON.stringify({ seconds: (performance.now() - started) / 1000, refused: refused.length, examples: refused.slice(0, 3) })}\n`);
