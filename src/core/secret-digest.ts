import { scryptSync } from 'node:crypto';

/**
 * Metabase never returns a stored password (it answers `**MetabasePass**`), so mb-sync keeps a
 * digest of the one it sent, next to it in the connection details, to notice a changed
 * environment variable without re-sending the password on every run. scrypt with a salt per
 * project and database makes the digest costly to brute-force; the password itself is never stored.
 */
export function secretDigest(secret: string, salt: string): string {
  return `scrypt1$${scryptSync(secret, `mb-sync:${salt}`, 24, { N: 16384, r: 8, p: 1 }).toString('base64url')}`;
}

export const DIGEST_KEY = 'mb-sync-secret-digest';
