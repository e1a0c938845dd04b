import { HttpError, type Reply, type Request } from './http.ts';
import type { FakeCatalog } from './state.ts';

export type Handler = (req: Request) => Reply | Promise<Reply>;
export type Route = [method: string, pattern: RegExp, handler: Handler, options?: { public?: boolean }];

export interface ServerContext {
  url: string;
  version: string;
  major: number;
  setupDone: boolean;
  setupToken: string;
  sessions: Map<string, number>;
  catalog: FakeCatalog;
  syncPolls: number;
  /** Requests after which a card's columns land, when Metabase computes them too slowly to wait (routes/card.ts); 0: in time. */
  metadataLag: number;
}

/** 404 for a missing object: bare text on ≤0.58, a JSON envelope on newer servers (metabase-api.md §0, §9). */
export function notFound(ctx: Pick<ServerContext, 'major'>): HttpError {
  return new HttpError(ctx.major <= 58 ? { status: 404, text: 'Not found.' } : { status: 404, json: { message: 'Not found.' } });
}

export function match(routes: Route[], method: string, path: string): { route: Route; params: string[] } | undefined {
  for (const route of routes) {
    if (route[0] !== method) continue;
    const m = route[1].exec(path);
    if (m) return { route, params: m.slice(1) };
  }
  return undefined;
}
