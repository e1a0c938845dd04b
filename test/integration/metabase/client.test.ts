import { inspect } from 'node:util';
import nock from 'nock';
import { afterEach, describe, expect, it } from 'vitest';
import { registerSecret } from '../../../src/core/secrets.ts';
import { assertSupportedVersion, createMetabaseClient, parseMajor, readServerInfo } from '../../../src/metabase/client.ts';
import { MetabaseHttpError } from '../../../src/metabase/errors.ts';

const URL = 'http://metabase.test';
const KEY = 'mb_SECRET_api_key_0123456789';
const client = (extra: Partial<Parameters<typeof createMetabaseClient>[0]> = {}) => createMetabaseClient({ url: URL, auth: { apiKey: KEY }, retryBaseMs: 1, ...extra });
const failure = async (promise: Promise<unknown>) => promise.then(() => { throw new Error('expected a failure'); }, (e: unknown) => e as MetabaseHttpError);
const netError = (code: string) => Object.assign(new Error(code), { code });
const everything = (e: unknown) => [String(e), JSON.stringify(e), (e as Error).stack ?? '', inspect(e, { depth: 10 })].join('\n');

afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});

describe('the Metabase client', () => {
  it('sends the API key and retries GET on 503 and 429, honouring Retry-After', async () => {
    nock(URL).get('/api/card').matchHeader('x-api-key', KEY).reply(503, 'busy')
      .get('/api/card').reply(429, 'slow down', { 'Retry-After': '0' })
      .get('/api/card').reply(200, [{ id: 1 }]);
    const retries: string[] = [];
    const api = client({ onRetry: (r) => retries.push(r.reason) });
    expect(await api.get('/api/card')).toEqual([{ id: 1 }]);
    expect(retries).toEqual(['HTTP 503', 'HTTP 429']);
    expect(api.stats.byMethod.GET).toBe(3);
  });

  it('does not retry a create whose response was lost, and says the outcome is unknown', async () => {
    nock(URL).post('/api/card').reply(502, 'Bad gateway');
    const error = await failure(client().post('/api/card', { name: 'x' }));
    expect(error).toBeInstanceOf(MetabaseHttpError);
    expect(error.outcomeUnknown).toBe(true);
    // Nor on 503: a proxy may say it after Metabase made the card.
    nock(URL).post('/api/card').reply(503, 'Service unavailable');
    expect((await failure(client().post('/api/card', { name: 'x' }))).outcomeUnknown).toBe(true);
    nock(URL).post('/api/card').replyWithError(netError('ECONNRESET'));
    expect((await failure(client({ retries: 3 }).post('/api/card', {}))).outcomeUnknown).toBe(true);
  });

  it('retries a create whose connection was refused before anything was sent', async () => {
    nock(URL).post('/api/card').replyWithError(netError('ECONNREFUSED')).post('/api/card').reply(200, { id: 7 });
    expect(await client().post('/api/card', {})).toEqual({ id: 7 });
  });

  it('turns error bodies into one readable line: text/plain 404, JSON 404, 400 with field paths', async () => {
    nock(URL).get('/api/card/12').reply(404, 'Not found.', { 'Content-Type': 'text/plain' })
      .get('/api/card/13').reply(404, { message: 'Not found.' })
      .get('/api/nope').reply(404, 'API endpoint does not exist.', { 'Content-Type': 'text/plain' })
      .post('/api/dashboard').reply(400, { errors: { name: 'value must be a non-blank string.', parameters: { 0: { type: 'value must be one of …' } } } });
    expect((await failure(client().get('/api/card/12'))).message).toBe('GET /api/card/12: not found');
    expect((await failure(client().get('/api/card/13'))).message).toBe('GET /api/card/13: not found');
    const noRoute = await failure(client().get('/api/nope'));
    expect(noRoute.hint).toContain('0.58 or newer');
    expect((await failure(client().post('/api/dashboard', {}))).message).toBe('POST /api/dashboard: HTTP 400: name: value must be a non-blank string.; parameters.0.type: value must be one of …');
  });

  it('says which credentials were rejected, and never shows them, in any dump of the error', async () => {
    nock(URL).get('/api/user/current').reply(401, 'Unauthenticated', { 'Content-Type': 'text/plain' });
    const error = await failure(client().get('/api/user/current'));
    expect(error.message).toContain('401 Unauthenticated: the API key was rejected');
    // It is set: the hint is not to set it.
    expect(error.hint).toContain('the key is set but Metabase does not take it');
    expect(everything(error)).not.toContain(KEY);

    nock(URL).post('/api/session').reply(401, { errors: { password: 'did not match stored password' } });
    const login = await failure(createMetabaseClient({ url: URL, auth: { username: 'a@b.c', password: 'pw-SECRET-9876' }, retryBaseMs: 1 }).get('/api/card'));
    expect(login.message).toContain('username/password was rejected');
    expect(everything(login)).not.toContain('pw-SECRET-9876');
  });

  it('logs in with a username and password once, and again when the session expires', async () => {
    nock(URL).post('/api/session', { username: 'a@b.c', password: 'pw' }).reply(200, { id: 'session-1' })
      .get('/api/card').matchHeader('X-Metabase-Session', 'session-1').reply(200, [])
      .get('/api/card').matchHeader('X-Metabase-Session', 'session-1').reply(401, 'Unauthenticated')
      .post('/api/session').reply(200, { id: 'session-2' })
      .get('/api/card').matchHeader('X-Metabase-Session', 'session-2').reply(200, [{ id: 1 }]);
    const api = createMetabaseClient({ url: URL, auth: { username: 'a@b.c', password: 'pw' }, retryBaseMs: 1 });
    expect(await api.get('/api/card')).toEqual([]);
    expect(await api.get('/api/card')).toEqual([{ id: 1 }]);
  });

  it('keeps a refused body for --debug with every credential field emptied, and a registered secret hidden in any JSON escaping', async () => {
    registerSecret('p\\w"d-Secret-42');
    nock(URL).post('/api/database').reply(400, { errors: { details: 'bad' } });
    const body = { engine: 'postgres', name: 'Phoenix', details: { host: 'pg', password: 'p\\w"d-Secret-42', 'tunnel-pass': 'not-registered-9' }, description: 'note: p\\w"d-Secret-42' };
    const error = await failure(client().post('/api/database', body));
    expect(JSON.parse(error.sentBody!)).toEqual({ engine: 'postgres', name: 'Phoenix', details: { host: 'pg', password: '***', 'tunnel-pass': '***' }, description: 'note: ***' });
  });

  it('refuses to follow a redirect blindly, naming where it points', async () => {
    nock(URL).post('/api/card').reply(301, '', { Location: 'https://metabase.test/api/card' });
    const error = await failure(client().post('/api/card', {}));
    expect(error.message).toContain('redirect (301) to https://metabase.test/api/card');
    expect(error.hint).toContain('http vs https');
    // Where it points may carry what MB_URL carried (a proxy keeps `user:password@` and the query): not said.
    nock(URL).post('/api/card').reply(302, '', { Location: 'https://admin:pw-in-location@metabase.test/api/card?token=token-in-location' });
    const carrying = await failure(client().post('/api/card', {}));
    expect(carrying.message).toContain('redirect (302) to https://metabase.test/api/card');
    expect(carrying.message).not.toMatch(/in-location/);
  });

  it('names an unreachable server', async () => {
    nock(URL).get('/api/session/properties').times(2).replyWithError(netError('ENOTFOUND'));
    const error = await failure(client({ retries: 1 }).get('/api/session/properties'));
    expect(error.code).toBe('METABASE_UNREACHABLE');
    expect(error.message).toContain(`cannot reach Metabase at ${URL} (ENOTFOUND)`);
  });

  it('reads the version and refuses servers older than 0.58 with exit code 3', async () => {
    nock(URL).get('/api/session/properties').reply(200, { version: { tag: 'v1.57.4' }, 'email-configured?': false, 'site-url': null });
    const info = await readServerInfo(client());
    expect(info).toEqual({ tag: 'v1.57.4', major: 57, emailConfigured: false, siteUrl: null });
    expect(() => assertSupportedVersion(info)).toThrow(expect.objectContaining({ exitCode: 3 }));
    expect(parseMajor('v0.63.2')).toBe(63);
    expect(parseMajor('vUNKNOWN')).toBe(Number.POSITIVE_INFINITY);
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    nock(URL).get(/\/api\/card\/\d+/).times(10).delay(5).reply(function () {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      return new Promise((resolve) => setTimeout(() => { inFlight -= 1; resolve([200, {}]); }, 5)) as never;
    });
    const api = client({ concurrency: 3 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => api.get(`/api/card/${i}`)));
    expect(peak).toBeLessThanOrEqual(3);
  });
});
