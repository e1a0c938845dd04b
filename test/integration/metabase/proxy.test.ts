import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetabaseClient, proxyVariableSet } from '../../../src/metabase/client.ts';

// A plain HTTP forward proxy on loopback: it is asked for absolute URLs and answers them itself,
// so a request that reaches it went through the proxy (nothing listens at the target).
let proxy: Server;
const seen: string[] = [];
beforeAll(async () => {
  // nock (test/support/setup.ts) cannot pass a proxied request (its path is an absolute URL) on to
  // loopback: it is off for this file, whose only server is the proxy below.
  nock.restore();
  proxy = createServer((req, res) => {
    seen.push(req.url ?? '');
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ version: { tag: 'v0.58.1' } }));
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await new Promise<void>((resolve) => proxy.close(() => resolve()));
  nock.activate();
});

async function withEnv<T>(vars: Record<string, string>, run: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  for (const name of Object.keys(process.env)) if (/_proxy$/i.test(name)) delete process.env[name];
  Object.assign(process.env, vars);
  try {
    return await run();
  } finally {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  }
}

describe('proxies from the environment', () => {
  const target = 'http://127.0.0.1:1';

  it('goes through HTTP_PROXY when it is set', async () => {
    const port = (proxy.address() as AddressInfo).port;
    const body = await withEnv({ HTTP_PROXY: `http://127.0.0.1:${port}` }, () =>
      createMetabaseClient({ url: target, auth: { apiKey: 'k' }, retries: 0 }).get('/api/session/properties'));
    expect(body).toEqual({ version: { tag: 'v0.58.1' } });
    expect(seen).toContain(`${target}/api/session/properties`);
  });

  it('connects directly when no proxy variable is set', async () => {
    const before = seen.length;
    const error = await withEnv({}, () =>
      createMetabaseClient({ url: target, auth: { apiKey: 'k' }, retries: 0 }).get('/api/session/properties').then(() => undefined, (e: Error) => e));
    expect(error?.message).toMatch(/cannot reach Metabase at http:\/\/127\.0\.0\.1:1/);
    expect(seen.length).toBe(before);
  });

  it('counts every variable axios could take a proxy from, and not NO_PROXY', () => {
    for (const name of ['HTTP_PROXY', 'https_proxy', 'ALL_PROXY', 'npm_config_proxy', 'npm_config_https_proxy']) expect(proxyVariableSet({ [name]: 'http://p:3128' }), name).toBe(true);
    expect(proxyVariableSet({ NO_PROXY: '*', no_proxy: 'x' })).toBe(false);
    expect(proxyVariableSet({ HTTP_PROXY: '' })).toBe(false);
    expect(proxyVariableSet({})).toBe(false);
  });
});
