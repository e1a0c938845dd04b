import { MbSyncError } from '../core/errors.ts';

/** An HTTP failure with what a person needs, and nothing secret (no headers, no request body). */
export class MetabaseHttpError extends MbSyncError {
  readonly status: number | undefined;
  readonly method: string;
  readonly path: string;
  /** The request may or may not have been carried out (a create whose response was lost). */
  readonly outcomeUnknown: boolean;
  /** A 400's `specific-errors`: the body's structure with Metabase's messages at the leaves. */
  readonly specificErrors: unknown;
  /** The body that was refused, secrets redacted, for --debug. */
  readonly sentBody: string | undefined;
  /** No answer in time (the client's timeout, a gateway's 504): the server may still be carrying the request out. */
  readonly timedOut: boolean;

  constructor(init: { status?: number; method: string; path: string; message: string; hint?: string; outcomeUnknown?: boolean; code?: 'METABASE_HTTP' | 'METABASE_AUTH' | 'METABASE_UNREACHABLE'; specificErrors?: unknown; sentBody?: string; timedOut?: boolean }) {
    super(init.code ?? 'METABASE_HTTP', init.message, init.hint === undefined ? {} : { hint: init.hint });
    this.name = 'MetabaseHttpError';
    this.status = init.status;
    this.method = init.method;
    this.path = init.path;
    this.outcomeUnknown = init.outcomeUnknown ?? false;
    this.specificErrors = init.specificErrors;
    this.sentBody = init.sentBody;
    this.timedOut = init.timedOut ?? false;
  }
}

/** The leaves of `specific-errors`: each path in the request body with Metabase's messages for it. */
export function specificErrorLeaves(errors: unknown, path: Array<string | number> = []): Array<{ path: Array<string | number>; messages: string[] }> {
  if (Array.isArray(errors)) {
    if (errors.length > 0 && errors.every((e) => typeof e === 'string')) return [{ path, messages: errors as string[] }];
    return errors.flatMap((e, i) => (e === null ? [] : specificErrorLeaves(e, [...path, i])));
  }
  if (typeof errors === 'string') return [{ path, messages: [errors] }];
  if (typeof errors === 'object' && errors !== null) return Object.entries(errors).flatMap(([k, v]) => specificErrorLeaves(v, [...path, k]));
  return [];
}

/**
 * The readable part of a Metabase error body (metabase-api.md §9): `message` → `error` →
 * `error-message` → `via[].message` → `specific-errors` → `errors`; bare text on ≤0.58.
 */
export function describeErrorBody(body: unknown): string {
  if (typeof body === 'string') return body.trim().replace(/^"|"$/g, '').slice(0, 500);
  if (typeof body !== 'object' || body === null) return '';
  const b = body as Record<string, unknown>;
  const errors = b.errors && typeof b.errors === 'object' ? flattenErrors(b.errors as Record<string, unknown>) : '';
  for (const key of ['message', 'error', 'error-message']) {
    if (typeof b[key] === 'string' && b[key]) return errors ? `${b[key] as string} (${errors})` : (b[key] as string);
  }
  if (Array.isArray(b.via)) {
    const via = b.via.map((v) => (v as { message?: string })?.message).filter(Boolean);
    if (via.length > 0) return via.join('; ');
  }
  if (errors) return errors;
  if (b['specific-errors'] && typeof b['specific-errors'] === 'object') return flattenErrors(b['specific-errors'] as Record<string, unknown>);
  return JSON.stringify(body).slice(0, 300);
}

function flattenErrors(errors: Record<string, unknown>, prefix = ''): string {
  return Object.entries(errors)
    .map(([key, value]) => {
      const path = prefix ? `${prefix}.${key}` : key;
      if (value && typeof value === 'object' && !Array.isArray(value)) return flattenErrors(value as Record<string, unknown>, path);
      return `${path}: ${Array.isArray(value) ? value.join(', ') : String(value)}`;
    })
    .join('; ');
}
