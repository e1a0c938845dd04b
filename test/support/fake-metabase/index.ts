import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpError, readBody, send, type Reply } from './http.ts';
import { match, type Route, type ServerContext } from './router.ts';
import { cardRoutes, landPendingMetadata } from './routes/card.ts';
import { collectionRoutes } from './routes/collection.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { databaseRoutes } from './routes/database.ts';
import { notificationRoutes } from './routes/notification.ts';
import { sessionRoutes } from './routes/session.ts';
import { createState, type FakeCatalog, type FakeState } from './state.ts';
import { ensureMetabaseSchemas } from '../metabase-schemas.ts';
import { validateRequest } from './validate.ts';

export type { FakeCatalog, FakeState } from './state.ts';

export interface FakeMetabaseOptions {
  version?: string;
  apiKey?: string;
  admin?: { email: string; password: string };
  emailConfigured?: boolean;
  setupDone?: boolean;
  latencyMs?: number;
  catalog?: FakeCatalog;
  syncPolls?: number;
  /**
   * Requests after which a card's columns land when Metabase computes them too slowly to wait for
   * (past 1.5 s: saved without them, written later; routes/card.ts). Default 0: in time.
   */
  metadataLag?: number;
  /** Port on 127.0.0.1 (default: any free one). */
  port?: number;
  /**
   * Seeded random faults on `rate` of the requests (npm run soak): 5xx, dropped connections and
   * answers slower than the client waits, half of them after the write took effect.
   */
  chaos?: { rate: number; seed: number; slowMs?: number };
}

export interface Fault {
  status?: number;
  /** Answer this late (after the write when afterWrite): longer than the client waits, a timeout. */
  delayMs?: number;
  body?: unknown;
  headers?: Record<string, string>;
  afterWrite?: boolean;
  dropConnection?: boolean;
  times?: number;
}

export interface LoggedRequest {
  method: string;
  path: string;
  query: string;
  body: unknown;
  status: number;
  /** When the request arrived and when it was answered (ms since the epoch): the bench's timelines. */
  received?: number;
  answered?: number;
}

export interface FakeMetabase {
  url: string;
  apiKey: string;
  requests: LoggedRequest[];
  writes(): number;
  resetLog(): void;
  setLatency(ms: number): void;
  /** How many requests later a card's columns land from now on (options.metadataLag). */
  setMetadataLag(requests: number): void;
  /** The version the server says it is from now on (an upgrade or a downgrade between two runs). */
  setVersion(version: string): void;
  injectFault(match: { method?: string; path: string | RegExp }, fault: Fault): void;
  /** Changes the rate of the seeded random faults (0 stops them). */
  setChaosRate(rate: number): void;
  /**
   * Calls `listener` as each request comes in, before it is handled: what someone changes in the UI
   * at that moment (between two of a run's requests) is what the request then sees. Returns what
   * stops it.
   */
  onRequest(listener: (request: { method: string; path: string; query: URLSearchParams }) => void): () => void;
  state: FakeState;
  close(): Promise<void>;
}

/**
 * An in-process Metabase that behaves like the real REST API as metabase-api.md describes it:
 * validation and error bodies, whole-array replace on dashboards, redacted secrets, server-side
 * query normalisation, a sync that makes tables appear later. Not a mock of what the client sends.
 */
/** `v0.58.15` → 58 (what the routes answer by); a tag it cannot read counts as newest. */
function majorOf(version: string): number {
  return Number(/^v?\d+\.(\d+)/.exec(version)?.[1] ?? 999);
}

export async function startFakeMetabase(options: FakeMetabaseOptions = {}): Promise<FakeMetabase> {
  await ensureMetabaseSchemas();
  const admin = options.admin ?? { email: 'admin@example.com', password: 'admin-password-1' };
  const state = createState(admin, options.emailConfigured ?? true);
  const apiKey = options.apiKey ?? `mb_${randomUUID().replace(/-/g, '')}`;
  state.apiKeys.push({ id: 1, name: 'tests', user_id: state.users[0]!.id, group: { id: 2, name: 'Administrators' }, masked_key: 'mb_****', key: apiKey });
  const version = options.version ?? 'v0.58.15';
  const ctx: ServerContext = {
    url: '',
    version,
    major: majorOf(version),
    setupDone: options.setupDone ?? true,
    setupToken: randomUUID(),
    sessions: new Map(),
    catalog: options.catalog ?? {},
    syncPolls: options.syncPolls ?? 2,
    metadataLag: options.metadataLag ?? 0,
  };
  const routes: Route[] = [
    ...sessionRoutes(state, ctx),
    ...databaseRoutes(state, ctx),
    ...collectionRoutes(state, ctx),
    ...cardRoutes(state, ctx),
    ...dashboardRoutes(state, ctx),
    ...notificationRoutes(state, ctx),
  ];
  const requests: LoggedRequest[] = [];
  const random = seededRandom(options.chaos?.seed ?? 1);
  let chaosRate = options.chaos?.rate ?? 0;
  const chaosFault = (): { fault: Fault } | undefined => {
    if (!options.chaos || random() >= chaosRate) return undefined;
    const afterWrite = random() < 0.5;
    const pick = random();
    if (pick < 0.4) return { fault: { status: [500, 502, 503][Math.floor(random() * 3)]!, afterWrite } };
    if (pick < 0.8) return { fault: { dropConnection: true, afterWrite } };
    return { fault: { delayMs: options.chaos.slowMs ?? 3000, afterWrite } };
  };
  const faults: Array<{ method?: string; path: string | RegExp; fault: Fault; left: number }> = [];
  let latencyMs = options.latencyMs ?? 0;
  const listeners: Array<Parameters<FakeMetabase['onRequest']>[0]> = [];

  const server: Server = createServer(async (req, res) => {
    const received = Date.now();
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const path = url.pathname.replace(/%3f/g, '%3F');
    for (const listener of listeners) listener({ method, path, query: url.searchParams });
    landPendingMetadata(state);
    let body: unknown = {};
    let reply: Reply;
    const injected = faults.find((f) => f.left > 0 && (!f.method || f.method === method) && (typeof f.path === 'string' ? f.path === path : f.path.test(path)));
    if (injected) injected.left -= 1;
    const fault = injected ?? chaosFault();
    try {
      if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
      body = await readBody(req);
      if (fault?.fault.delayMs !== undefined && !fault.fault.afterWrite) await new Promise((r) => setTimeout(r, fault.fault.delayMs));
      if (fault && !fault.fault.afterWrite && fault.fault.delayMs === undefined) throw faultError(fault.fault);
      const found = match(routes, method, path);
      if (!found) throw new HttpError({ status: 404, text: 'API endpoint does not exist.' });
      const [, , handler, routeOptions] = found.route;
      const userId = authenticate(req.headers, state, ctx);
      if (userId === undefined && !routeOptions?.public) throw new HttpError({ status: 401, text: 'Unauthenticated' });
      validateRequest(method, path, body);
      reply = await handler({ method, path, query: url.searchParams, body: (body ?? {}) as Record<string, unknown>, params: found.params, userId: userId ?? 0 });
      if (fault?.fault.afterWrite && fault.fault.delayMs !== undefined) {
        // Replies share the stored rows (routes copy shallowly): what is answered is what was read
        // when the request was handled, not what other requests change during the delay.
        if (reply.json !== undefined) reply = { ...reply, json: structuredClone(reply.json) };
        await new Promise((r) => setTimeout(r, fault.fault.delayMs));
      }
      else if (fault?.fault.afterWrite) throw faultError(fault.fault);
    } catch (error) {
      if (error instanceof HttpError) reply = error.reply;
      else reply = { status: 500, json: { message: (error as Error).message, via: [{ message: (error as Error).message }] } };
    }
    requests.push({ method, path, query: url.search, body, status: reply.status, received, answered: Date.now() });
    if (fault?.fault.dropConnection) {
      res.socket?.destroy();
      return;
    }
    if (fault?.fault.headers && reply.status === fault.fault.status) for (const [k, v] of Object.entries(fault.fault.headers)) res.setHeader(k, v);
    send(res, reply);
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  ctx.url = `http://127.0.0.1:${port}`;

  return {
    url: ctx.url,
    apiKey,
    requests,
    state,
    writes: () => requests.filter((r) => r.method !== 'GET' && !(r.method === 'POST' && r.path === '/api/session')).length,
    resetLog: () => void requests.splice(0),
    setLatency: (ms) => void (latencyMs = ms),
    setMetadataLag: (requests) => void (ctx.metadataLag = requests),
    setVersion: (next) => {
      ctx.version = next;
      ctx.major = majorOf(next);
    },
    injectFault: (where, fault) => void faults.push({ ...where, fault, left: fault.times ?? 1 }),
    setChaosRate: (rate) => void (chaosRate = rate),
    onRequest: (listener) => {
      listeners.push(listener);
      return () => {
        const at = listeners.indexOf(listener);
        if (at !== -1) listeners.splice(at, 1);
      };
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** A small deterministic generator (mulberry32): the same seed gives the same faults. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function faultError(fault: Fault): HttpError {
  const status = fault.status ?? 500;
  if (typeof fault.body !== 'string') return new HttpError({ status, json: fault.body ?? { message: 'Injected fault' } });
  const contentType = /^\s*</.test(fault.body) ? 'text/html; charset=utf-8' : /^\s*[[{]/.test(fault.body) ? 'application/json' : undefined;
  return new HttpError({ status, text: fault.body, ...(contentType ? { contentType } : {}) });
}

function authenticate(headers: Record<string, string | string[] | undefined>, state: FakeState, ctx: ServerContext): number | undefined {
  const key = headers['x-api-key'];
  if (typeof key === 'string') return state.apiKeys.find((k) => k.key === key)?.user_id as number | undefined;
  const session = headers['x-metabase-session'];
  if (typeof session === 'string') return ctx.sessions.get(session);
  return undefined;
}
