import { scrypt, scryptSync } from 'node:crypto';

/**
 * Metabase never returns a stored password (it answers `**MetabasePass**`), so mb-sync keeps a
 * digest of the one it sent, next to it in the connection details, to notice a changed
 * environment variable without re-sending the password on every run. scrypt with a salt per
 * project and database makes the digest costly to brute-force; the password itself is never stored.
 */
export function secretDigest(secret: string, salt: string): string {
  const known = computed.get(memoKey(secret, salt));
  if (known !== undefined) return known;
  const digest = format(scryptSync(secret, `mb-sync:${salt}`, 24, PARAMS));
  computed.set(memoKey(secret, salt), digest);
  return digest;
}

/**
 * Works the digest out on libuv's thread pool (it takes ~50 ms of CPU by design), so that a caller
 * can start it next to its network reads; `secretDigest` then answers at once.
 */
export function warmSecretDigest(secret: string, salt: string): Promise<void> {
  if (computed.has(memoKey(secret, salt))) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    scrypt(secret, `mb-sync:${salt}`, 24, PARAMS, (error, key) => {
      if (error) return reject(error);
      computed.set(memoKey(secret, salt), format(key));
      resolve();
    });
  });
}

export const DIGEST_KEY = 'mb-sync-secret-digest';

const PARAMS = { N: 16384, r: 8, p: 1 };
/** A pure function's results: the same secret and salt always give the same digest. */
const computed = new Map<string, string>();
const memoKey = (secret: string, salt: string) => `${salt}\u0000${secret}`;
const format = (key: Buffer) => `scrypt1$${key.toString('base64url')}`;
