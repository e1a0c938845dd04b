import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * SCRAM-SHA-256 verifiers as PostgreSQL stores them (RFC 5802, RFC 7677):
 * `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, all base64.
 *
 * db apply sends the verifier, never the password: `ALTER ROLE … PASSWORD '<verifier>'` is stored as
 * is (PostgreSQL ≥ 10 recognises the format), so a server logging DDL (`log_statement = ddl`) logs
 * only the verifier, as psql's \password does.
 */

/** PostgreSQL's own count (fixed up to 15; the default of `scram_iterations` from 16 on). */
const ITERATIONS = 4096;
const SALT_BYTES = 16;

export function scramVerifier(password: string, options: { salt?: Buffer; iterations?: number } = {}): string {
  const salt = options.salt ?? randomBytes(SALT_BYTES);
  const iterations = options.iterations ?? ITERATIONS;
  const { storedKey, serverKey } = scramKeys(password, salt, iterations);
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** Whether a stored verifier is the one of this password (false for anything that is not a SCRAM verifier). */
export function scramMatches(verifier: string, candidate: string): boolean {
  const match = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(verifier);
  if (!match) return false;
  const { storedKey, serverKey } = scramKeys(candidate, Buffer.from(match[2]!, 'base64'), Number(match[1]));
  return sameBytes(storedKey, Buffer.from(match[3]!, 'base64')) && sameBytes(serverKey, Buffer.from(match[4]!, 'base64'));
}

function scramKeys(password: string, salt: Buffer, iterations: number): { storedKey: Buffer; serverKey: Buffer } {
  const salted = pbkdf2Sync(saslprep(password), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  return { storedKey: createHash('sha256').update(clientKey).digest(), serverKey: createHmac('sha256', salted).update('Server Key').digest() };
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * SASLprep (RFC 4013) as the pg client does it before logging in: non-ASCII spaces (RFC 3454 C.1.2) read
 * as a space, the characters "commonly mapped to nothing" (B.1) are dropped, then NFKC. An ASCII
 * password, the usual case, is left as it is, as everywhere. Not done: the server's fallback to the raw
 * password when the prepared one holds a prohibited, unassigned or mixed-direction character; a
 * password whose preparation changes it *and* that holds one of those would get a verifier only
 * clients preparing it this way (pg, not libpq) log in with.
 */
function saslprep(password: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(password)) return password;
  // eslint-disable-next-line no-misleading-character-class
  return password.replace(/[\u00A0\u1680\u2000-\u200B\u202F\u205F\u3000]/g, ' ').replace(/[\u00AD\u034F\u1806\u180B-\u180D\u200C\u200D\u2060\uFE00-\uFE0F\uFEFF]/g, '').normalize('NFKC');
}
