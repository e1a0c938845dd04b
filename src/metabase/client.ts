import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { MbSyncError } from '../core/errors.ts';
import { printableUrl, redactSecretFields, redactText, registerSecret, registerUrlSecrets } from '../core/secrets.ts';
import { mapLimitQueue } from './queue.ts';
import { describeErrorBody, MetabaseHttpError } from './errors.ts';
import { describeProblem, Shapes, type Shape } from './shapes.ts';
import type { MetabaseApi, RequestOptions, ServerInfo } from './types.ts';

export type ClientAuth = { apiKey: string } | { username: string; password: string } | null;

export interface ClientOptions {
  url: string;
  auth: ClientAuth;
  timeoutMs?: number;
  retries?: number;
  retryBaseMs?: number;
  concurrency?: number;
  /**
   * Aborted, the client sends nothing more: requests waiting for a slot or a retry, and those in
   * flight, fail with the signal's reason (openTarget aborts with a refused server version).
   */
  signal?: AbortSignal;
  onRetry?: (info: { method: string; path: string; attempt: number; reason: string; delayMs: number }) => void;
}

const RETRY_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);
const MAX_RETRY_AFTER_MS = 60_000;
/** How long an unused connection is kept (Node's default agents' figure), or less if the server says. */
const IDLE_SOCKET_MS = 5_000;
/**
 * The connection pools of every client: keep-alive, with the TCP keep-alive delay of axios's http
 * adapter, which sets 60 s on each request's socket (Node's agent sets its own, 1 s by default, each
 * time it takes a socket back: with two delays, one setsockopt call each way per request; with one,
 * one per socket).
 */
const AGENT_OPTIONS = { keepAlive: true, keepAliveMsecs: 60_000, scheduling: 'lifo' } as const;

/**
 * An unused connection is closed after 5 s (Node's default agents' figure), or sooner if the
 * server's Keep-Alive hint says so, so that one a proxy has dropped meanwhile is not reused. Node's
 * agent does this when its options have a `timeout`, but it also hands that timeout to every new
 * connection while it connects, and axios hands it to the tunnel of an HTTPS proxy as a deadline for
 * making it: a lookup, a connect or a proxy slower than 5 s would fail there, long before the
 * request's own timeout, and a create would be reported as of unknown outcome though nothing was
 * sent. So the options have none, and Node's own logic is given it for idle sockets only.
 */
function keepIdleFor<T>(agent: HttpAgent, keep: () => T): T {
  // http.Agent's options are not in its type (https.Agent's are).
  const { options } = agent as unknown as { options: { timeout?: number } };
  options.timeout = IDLE_SOCKET_MS;
  try {
    return keep();
  } finally {
    delete options.timeout;
  }
}

class IdleTimeoutHttpAgent extends HttpAgent {
  override keepSocketAlive(socket: Duplex): void {
    return keepIdleFor(this, () => super.keepSocketAlive(socket));
  }
}

class IdleTimeoutHttpsAgent extends HttpsAgent {
  override keepSocketAlive(socket: Duplex): void {
    return keepIdleFor(this, () => super.keepSocketAlive(socket));
  }
}

/** The pools every client uses (exported for the tests that check their sockets). */
export const connectionPools = { http: new IdleTimeoutHttpAgent(AGENT_OPTIONS), https: new IdleTimeoutHttpsAgent(AGENT_OPTIONS) };

/**
 * The one HTTP client: concurrency-limited, retries with backoff (honouring Retry-After), errors a
 * person can act on, and no secret in any error (axios errors carry headers and request bodies, so
 * they are never passed on).
 */
export function createMetabaseClient(options: ClientOptions): MetabaseApi {
  const baseURL = options.url.replace(/\/+$/, '');
  const http: AxiosInstance = axios.create({
    baseURL,
    timeout: options.timeoutMs ?? 30_000,
    maxRedirects: 0,
    httpAgent: connectionPools.http,
    httpsAgent: connectionPools.https,
    // Node's http, never fetch: the bundle leaves axios's fetch adapter out (scripts/build.mjs).
    adapter: 'http',
    // axios looks for a proxy in the environment on every request (a tenth of its time per request
    // on a bulk read); with no proxy variable set at all, it can only find none, so it is told so once.
    ...(proxyVariableSet(process.env) ? {} : { proxy: false as const }),
    validateStatus: () => true,
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    transitional: { clarifyTimeoutError: true },
    // Bodies are parsed here, strictly: axios would hand back a truncated JSON or an HTML page as a
    // string, which callers would then read as an empty list.
    responseType: 'text',
    transformResponse: [(data: unknown) => data],
  });
  const retries = options.retries ?? 4;
  const base = options.retryBaseMs ?? 250;
  const concurrency = options.concurrency ?? 8;
  const queue = mapLimitQueue(concurrency);
  const stats = { requests: 0, byMethod: {} as Record<string, number> };
  let session: Promise<string> | undefined;
  const auth = options.auth;
  // axios turns a URL's `user:password@` into a Basic credential: that too is never printed.
  registerUrlSecrets(baseURL);
  if (auth && 'apiKey' in auth) registerSecret(auth.apiKey);
  if (auth && 'password' in auth) registerSecret(auth.password);

  const login = async (): Promise<string> => {
    if (!auth || !('username' in auth)) throw new Error('no username/password');
    const response = await send('POST', '/api/session', { username: auth.username, password: auth.password }, {}, {});
    response.data = parseBody(response).value ?? response.data;
    if (response.status !== 200) throw toError('POST', '/api/session', response, auth);
    const id = (response.data as { id?: string } | undefined)?.id;
    if (!id) throw new MetabaseHttpError({ method: 'POST', path: '/api/session', message: 'Metabase answered the login without a session id' });
    registerSecret(id);
    return id;
  };

  const authHeaders = async (): Promise<Record<string, string>> => {
    if (!auth) return {};
    if ('apiKey' in auth) return { 'x-api-key': auth.apiKey };
    session ??= login();
    return { 'X-Metabase-Session': await session };
  };

  async function send(method: string, path: string, body: unknown, params: RequestOptions['params'], headers: Record<string, string>): Promise<AxiosResponse> {
    stats.requests += 1;
    stats.byMethod[method] = (stats.byMethod[method] ?? 0) + 1;
    return http.request({ method, url: path, data: body === undefined ? undefined : body, params, headers, paramsSerializer: { indexes: null }, ...(options.signal ? { signal: options.signal } : {}) });
  }

  async function request<T>(method: string, path: string, body: unknown, requestOptions: RequestOptions = {}): Promise<T> {
    const retryable = method !== 'POST' || requestOptions.idempotent === true;
    let relogged = false;
    for (let attempt = 1; ; attempt++) {
      let response: AxiosResponse;
      try {
        response = await queue(async () => {
          options.signal?.throwIfAborted();
          return send(method, path, body, requestOptions.params, await authHeaders());
        });
      } catch (error) {
        if (options.signal?.aborted) throw options.signal.reason;
        const code = (error as { code?: string }).code ?? 'ERROR';
        if (error instanceof MbSyncError) throw error;
        // A refused connection never reached the server, so even a create can be retried.
        const safe = retryable || code === 'ECONNREFUSED';
        if (safe && attempt <= retries) {
          await pause(method, path, attempt, code, backoff(attempt, base));
          continue;
        }
        throw connectionError(method, path, code, printableUrl(baseURL), !safe);
      }
      if (response.status === 401 && auth && 'username' in auth && !relogged && path !== '/api/session') {
        relogged = true;
        session = undefined;
        continue;
      }
      if (response.status >= 200 && response.status < 300) {
        const parsed = parseBody(response);
        if (parsed.ok) {
          const mismatch = requestOptions.schema ? shapeMismatch(requestOptions.schema, parsed.value) : undefined;
          if (mismatch === undefined) return parsed.value as T;
          throw new MetabaseHttpError({ status: response.status, method, path, outcomeUnknown: !retryable, message: `${method} ${path}: Metabase answered ${response.status} with an unexpected shape (${mismatch}); nothing was written after it`, hint: 'is MB_URL the site root of a Metabase 0.58+ (not a proxy or another service)?' });
        }
        // A truncated body is a transient fault for a request that is safe to repeat.
        if (parsed.kind === 'truncated JSON' && retryable && attempt <= retries) {
          await pause(method, path, attempt, 'truncated JSON', backoff(attempt, base));
          continue;
        }
        throw new MetabaseHttpError({ status: response.status, method, path, outcomeUnknown: !retryable, message: `${method} ${path}: Metabase answered ${response.status} with ${parsed.kind === 'HTML' ? 'an HTML page' : parsed.kind} instead of JSON${parsed.kind === 'HTML' ? ' — is MB_URL behind an SSO or proxy?' : ''}: ${redactText(parsed.excerpt)}`, hint: parsed.kind === 'HTML' ? 'open MB_URL in a browser: a login or proxy page there means mb-sync needs the Metabase behind it (or an allow-listed route for /api)' : 'run it again; if it persists, check the proxy in front of Metabase' });
      }
      response.data = parseBody(response).value ?? response.data;
      // A create is repeated blindly only on 429 (refused before any work); a 503 may come from a
      // proxy after Metabase did the write, so the handler looks the object up instead.
      if (RETRY_STATUS.has(response.status) && attempt <= retries && (retryable || response.status === 429)) {
        await pause(method, path, attempt, `HTTP ${response.status}`, retryAfter(response) ?? backoff(attempt, base));
        continue;
      }
      throw toError(method, path, response, auth, !retryable && response.status >= 500, body);
    }
  }

  async function pause(method: string, path: string, attempt: number, reason: string, delayMs: number): Promise<void> {
    options.signal?.throwIfAborted();
    options.onRetry?.({ method, path, attempt, reason, delayMs });
    // An abort ends the wait too: a Retry-After of a minute must not hold a refused run open.
    await sleep(delayMs, undefined, options.signal ? { signal: options.signal } : {}).catch((error: unknown) => {
      throw options.signal?.aborted ? options.signal.reason : error;
    });
  }

  return {
    concurrency,
    stats,
    get: (path, o) => request('GET', path, undefined, o),
    post: (path, body, o) => request('POST', path, body ?? {}, o),
    put: (path, body, o) => request('PUT', path, body ?? {}, o),
    delete: (path, o) => request('DELETE', path, undefined, o),
  };
}

type Parsed = { ok: true; value: unknown } | { ok: false; kind: 'HTML' | 'truncated JSON' | 'a non-JSON body'; excerpt: string; value?: undefined };

/** A response body as JSON, or what it was instead (HTML, a truncated JSON, other text). */
function parseBody(response: AxiosResponse): Parsed {
  const text = typeof response.data === 'string' ? response.data : response.data === undefined || response.data === null ? '' : JSON.stringify(response.data);
  if (text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    const excerpt = text.slice(0, 1000).replace(/\s+/g, ' ').trim().slice(0, 120);
    const type = String(response.headers['content-type'] ?? '');
    if (/html/i.test(type) || /^\s*</.test(text)) return { ok: false, kind: 'HTML', excerpt };
    if (/json/i.test(type) || /^\s*[[{"]/.test(text)) return { ok: false, kind: 'truncated JSON', excerpt };
    // Metabase sends bare messages as text/plain on errors (404 "Not found."): fine there, not on a 2xx.
    return { ok: false, kind: 'a non-JSON body', excerpt };
  }
}

/**
 * Whether any variable axios (proxy-from-env) could take a proxy from is set: HTTP_PROXY,
 * https_proxy, ALL_PROXY, npm_config_proxy… (NO_PROXY only ever removes one).
 */
export function proxyVariableSet(env: NodeJS.ProcessEnv): boolean {
  return Object.keys(env).some((name) => /_proxy$/i.test(name) && !/^no_proxy$/i.test(name) && env[name] !== '');
}

function shapeMismatch(shape: Shape, value: unknown): string | undefined {
  const problem = shape(value);
  return problem === undefined ? undefined : describeProblem(problem);
}

function backoff(attempt: number, base: number): number {
  return Math.round(base * 2 ** (attempt - 1) * (0.5 + Math.random() / 2));
}

function retryAfter(response: AxiosResponse): number | undefined {
  const header = response.headers['retry-after'] as string | undefined;
  if (!header) return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS) : undefined;
}

function connectionError(method: string, path: string, code: string, url: string, outcomeUnknown: boolean): MetabaseHttpError {
  const timedOut = code === 'ETIMEDOUT' || code === 'ECONNABORTED';
  return new MetabaseHttpError({
    code: 'METABASE_UNREACHABLE',
    method,
    path,
    outcomeUnknown,
    timedOut,
    message: timedOut ? `${method} ${path}: Metabase at ${url} did not answer in time` : `${method} ${path}: cannot reach Metabase at ${url} (${code})`,
    hint: 'check MB_URL / the environment url, and that Metabase is running',
  });
}

function toError(method: string, path: string, response: AxiosResponse, auth: ClientAuth, outcomeUnknown = false, body?: unknown): MetabaseHttpError {
  const status = response.status;
  const detail = redactText(describeErrorBody(response.data));
  const where = `${method} ${path}`;
  if (status >= 300 && status < 400) {
    return new MetabaseHttpError({ status, method, path, message: `${where}: Metabase answered with a redirect (${status}) to ${response.headers.location === undefined ? '?' : printableUrl(String(response.headers.location))}`, hint: 'check the URL: http vs https, a missing or extra path (the URL is the site root, without /api)' });
  }
  if (status === 401) {
    const which = auth === null ? 'no credentials were sent' : 'apiKey' in auth ? 'the API key was rejected' : 'the username/password was rejected';
    return new MetabaseHttpError({ code: 'METABASE_AUTH', status, method, path, message: `${where}: 401 Unauthenticated: ${which}${detail && detail !== 'Unauthenticated' ? ` (${detail})` : ''}`, hint: auth === null
      ? 'set MB_API_KEY (or MB_USERNAME + MB_PASSWORD), or the environment auth in the config'
      : 'apiKey' in auth
        ? 'the key is set but Metabase does not take it: check it is this Metabase\'s (MB_URL), not revoked, and copied whole'
        : 'the credentials are set but Metabase does not take them: check the user and password for this Metabase (MB_URL)' });
  }
  if (status === 403) {
    return new MetabaseHttpError({ code: 'METABASE_AUTH', status, method, path, message: `${where}: 403 forbidden: ${detail || "You don't have permissions to do that."}`, hint: 'mb-sync needs an API key of the Administrators group (databases and permissions are superuser-only)' });
  }
  if (status === 404) {
    const noRoute = /API endpoint does not exist/i.test(detail);
    return new MetabaseHttpError({ status, method, path, message: noRoute ? `${where}: this Metabase has no such endpoint` : `${where}: not found`, ...(noRoute ? { hint: 'check the URL points at Metabase 0.58 or newer' } : {}) });
  }
  const specificErrors = (response.data as { 'specific-errors'?: unknown } | null)?.['specific-errors'];
  // Credential fields are emptied in the structure, before it is encoded (so a password is hidden
  // whatever JSON makes of its `"` and `\`, registered or not); the text redactor then catches a
  // registered secret anywhere else in it.
  const sentBody = body === undefined ? undefined : redactText(JSON.stringify(redactSecretFields(body))).slice(0, 8000);
  // A gateway's 504 is a timeout between it and Metabase, which may still be carrying the request out.
  return new MetabaseHttpError({ status, method, path, outcomeUnknown, timedOut: status === 504, message: `${where}: HTTP ${status}${detail ? `: ${detail}` : ''}`, ...(specificErrors === undefined ? {} : { specificErrors }), ...(sentBody === undefined ? {} : { sentBody }) });
}

/** `GET /api/session/properties` (no auth needed): version and e-mail setup. */
export async function readServerInfo(api: MetabaseApi): Promise<ServerInfo> {
  const properties = await api.get<Record<string, unknown>>('/api/session/properties', { schema: Shapes.properties });
  const version = properties.version as { tag?: string } | undefined;
  const tag = version?.tag ?? 'unknown';
  return { tag, major: parseMajor(tag), emailConfigured: properties['email-configured?'] === true, siteUrl: (properties['site-url'] as string | null) ?? null };
}

/** `v0.58.15` → 58, `v1.58.3` (EE) → 58; dev builds count as newest. */
export function parseMajor(tag: string): number {
  const match = /^v?(\d+)\.(\d+)(\.|$)/.exec(tag);
  return match ? Number(match[2]) : Number.POSITIVE_INFINITY;
}

export function assertSupportedVersion(info: ServerInfo): void {
  if (info.major < 58) {
    throw new MbSyncError('METABASE_VERSION', `Metabase ${info.tag} is not supported: mb-sync needs 0.58 or newer (MBQL 5 queries, notifications API, API keys)`, {
      exitCode: 3,
      hint: 'upgrade Metabase, or use an mb-sync environment that points at a newer server',
    });
  }
}

/** Waits until `/api/health` and `/api/session/properties` both answer 200 (health turns green first). */
export async function waitForMetabase(url: string, options: { timeoutMs: number; intervalMs?: number; onProgress?: (message: string) => void }): Promise<void> {
  const api = createMetabaseClient({ url, auth: null, retries: 0, timeoutMs: 5000 });
  const deadline = Date.now() + options.timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      await api.get('/api/health');
      await api.get('/api/session/properties');
      return;
    } catch (error) {
      last = (error as Error).message;
      options.onProgress?.(`waiting for Metabase at ${printableUrl(url)}: ${last}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 2000));
  }
  throw new MbSyncError('METABASE_UNREACHABLE', `Metabase at ${printableUrl(url)} was not ready after ${Math.round(options.timeoutMs / 1000)} s (${last})`);
}
