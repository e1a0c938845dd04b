import http, { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionPools, createMetabaseClient } from '../../../src/metabase/client.ts';

// A real server on loopback: what is counted is what reaches the kernel. nock (test/support/setup.ts)
// stands between the client and its sockets, so it is off for this file.
let server: Server;
let url = '';
beforeAll(async () => {
  nock.restore();
  server = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ id: 1, path: req.url }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  nock.activate();
});

/** Calls to the TCP handle's setKeepAlive (each one a setsockopt) while `run` runs. */
async function keepAliveCalls(run: () => Promise<void>): Promise<number> {
  const probe = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await new Promise((resolve) => probe.once('connect', resolve));
  const tcp = Object.getPrototypeOf((probe as unknown as { _handle: object })._handle) as { setKeepAlive: (...args: unknown[]) => unknown };
  probe.destroy();
  const original = tcp.setKeepAlive;
  let calls = 0;
  tcp.setKeepAlive = function (this: unknown, ...args: unknown[]) {
    calls += 1;
    return original.apply(this, args);
  };
  try {
    await run();
  } finally {
    tcp.setKeepAlive = original;
  }
  return calls;
}

describe('the client\'s sockets', () => {
  it('reuses one connection and sets its keep-alive once, not at every request', async () => {
    let connections = 0;
    const counting = () => void (connections += 1);
    const api = createMetabaseClient({ url, auth: { apiKey: 'mb_test_key' }, concurrency: 1 });
    const calls = await keepAliveCalls(async () => {
      server.on('connection', counting);
      for (let i = 0; i < 20; i++) expect(await api.get(`/api/card/${i}`)).toEqual({ id: 1, path: `/api/card/${i}` });
      server.off('connection', counting);
    });
    expect(connections).toBe(1);
    // Before: axios (60 s) and Node's agent (1 s) set it in turn, twice per request.
    expect(calls).toBeLessThanOrEqual(1);
  });

  // A load balancer drops a connection idle longer than it keeps them, without telling the client:
  // a create sent on it would fail with its outcome unknown. The server said how long it keeps
  // them (Keep-Alive: timeout=2); the client closes its idle sockets before then and connects again.
  // (Node's agent honours the hint only with an idle timeout of its own, as its default agent has.)
  it('does not reuse a connection past the idle time the server announced', async () => {
    const idle = createServer((req, res) => {
      const socket = req.socket as typeof req.socket & { doneAt?: number };
      if (socket.doneAt !== undefined && Date.now() - socket.doneAt > 2_000) {
        socket.destroy();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json', 'Keep-Alive': 'timeout=2' });
      res.end(JSON.stringify({ id: 1 }), () => void (socket.doneAt = Date.now()));
    });
    idle.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => idle.listen(0, '127.0.0.1', resolve));
    try {
      const api = createMetabaseClient({ url: `http://127.0.0.1:${(idle.address() as AddressInfo).port}`, auth: { apiKey: 'mb_test_key' }, concurrency: 1 });
      expect(await api.post('/api/card', { name: 'a' })).toEqual({ id: 1 });
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      // A create is not retried on a reset connection: it must go out on a live one.
      expect(await api.post('/api/card', { name: 'b' })).toEqual({ id: 1 });
    } finally {
      idle.closeAllConnections();
      await new Promise<void>((resolve) => idle.close(() => resolve()));
    }
  });

  // Node's agent gives its idle timeout to each new connection too, and axios to an HTTPS proxy's
  // tunnel as a deadline for making it: a slow lookup or proxy would fail there, not at the request's
  // own timeout. The client's pools keep it for idle sockets only.
  it('times out idle connections only, not one being made nor a proxy tunnel', async () => {
    expect((connectionPools.http as unknown as { options: { timeout?: number } }).options.timeout).toBeUndefined();
    expect(connectionPools.https.options.timeout).toBeUndefined();
    // A server that announces no shorter keep-alive than the pools' own 5 s.
    const quiet = createServer((req, res) => res.end('{}'));
    quiet.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => quiet.listen(0, '127.0.0.1', resolve));
    try {
      const seen: Array<number | undefined> = [];
      await new Promise<void>((resolve, reject) => {
        // http.get read when called: nock, restored above, had replaced it when this file was imported.
        const request = http.get({ agent: connectionPools.http, host: '127.0.0.1', port: (quiet.address() as AddressInfo).port, path: '/x' }, (response) => {
          response.resume();
          response.on('end', () => setImmediate(() => {
            seen.push((request.socket as Socket & { timeout?: number }).timeout);
            resolve();
          }));
        });
        request.on('socket', (socket: Socket & { timeout?: number }) => seen.push(socket.timeout));
        request.on('error', reject);
      });
      // While connecting, then idle in the pool.
      expect(seen).toEqual([undefined, 5_000]);
    } finally {
      quiet.closeAllConnections();
      await new Promise<void>((resolve) => quiet.close(() => resolve()));
    }
  });
});
