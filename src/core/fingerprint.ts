import { createHash } from 'node:crypto';
import { compareText } from './compare-text.ts';

/** A stable hash of a JSON value (object keys sorted), for "live state moved since the plan". */
export function fingerprint(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 32);
}

export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v).sort(([a], [b]) => compareText(a, b)));
    }
    return v;
  });
}

/** The digest a plan carries: every field but the digest itself. */
export function planDigest(plan: { digest?: string } & Record<string, unknown>): string {
  const { digest: _digest, ...rest } = plan;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}
