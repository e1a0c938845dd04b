import type { Shape } from './shapes.ts';

/** What handlers and the engine need from the HTTP client (src/metabase/client.ts implements it). */
export interface RequestOptions {
  /** The shape the answer must have (src/metabase/shapes.ts): anything else is an error, not data. */
  schema?: Shape;
  params?: Record<string, string | number | boolean | Array<string | number> | undefined>;
  /** Mark a write as safe to retry blindly (PUTs of a whole object are; POSTs that create are not). */
  idempotent?: boolean;
}

export interface MetabaseApi {
  get<T = unknown>(path: string, options?: RequestOptions): Promise<T>;
  post<T = unknown>(path: string, body?: unknown, options?: RequestOptions): Promise<T>;
  put<T = unknown>(path: string, body?: unknown, options?: RequestOptions): Promise<T>;
  delete<T = unknown>(path: string, options?: RequestOptions): Promise<T>;
  /**
   * How many requests it keeps in flight (--concurrency): a handler with many requests to make hands
   * it that many at a time (mapLimit), so that what another kind asks meanwhile does not queue
   * behind all of them.
   */
  readonly concurrency: number;
  /** Requests made so far, by method (the benchmark and the no-op tests read it). */
  readonly stats: { requests: number; byMethod: Record<string, number> };
}

export interface ServerInfo {
  /** e.g. `v0.58.15`. */
  tag: string;
  /** The Metabase major, `58` for both v0.58.x and v1.58.x; Infinity for dev builds. */
  major: number;
  emailConfigured: boolean;
  siteUrl: string | null;
}
