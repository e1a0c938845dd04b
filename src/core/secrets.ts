import { secretPattern } from './secret-pattern.ts';

/**
 * Last line of defence for secrets in anything printed: every secret value mb-sync reads from the
 * environment or the config is registered here and replaced by `***` in output, in whatever
 * encoding it went through on its way there (secret-pattern.ts).
 */
const secrets = new Set<string>();
/** One pattern per registered secret, made again when one is added. */
let patterns: RegExp[] | undefined;

export function registerSecret(value: string | undefined | null): void {
  // Very short values would redact ordinary words; they are not plausible secrets anyway.
  if (value && value.length >= 4 && !secrets.has(value)) {
    secrets.add(value);
    patterns = undefined;
  }
}

export function redactText(text: string): string {
  if (secrets.size === 0) return text;
  patterns ??= [...secrets].map((secret) => new RegExp(secretPattern(secret, { count: 0 }), 'g'));
  // Every occurrence of every secret, overlaps merged: two secrets that overlap in the text (one
  // ending where the other starts) are hidden together, whichever a single pattern would find first.
  const spans: Array<[number, number]> = [];
  for (const pattern of patterns) for (const match of text.matchAll(pattern)) if (match[0].length > 0) spans.push([match.index, match.index + match[0].length]);
  if (spans.length === 0) return text;
  spans.sort((a, b) => a[0] - b[0]);
  let out = '';
  let at = 0;
  let end = -1;
  for (const [from, to] of spans) {
    if (from > end) {
      if (end >= 0) out += '***';
      out += text.slice(at, from);
    }
    end = Math.max(end, to);
    at = end;
  }
  return `${out}***${text.slice(at)}`;
}

/** For tests. */
export function clearSecrets(): void {
  secrets.clear();
  patterns = undefined;
}

/** Fields whose value is a credential, wherever they are in a request body (Metabase's database details, setup, API keys). */
const SECRET_FIELD = /pass|secret|token|private-key|api[-_]?key|unmasked[-_]key|session[-_]?id/i;

/**
 * A request body fit to print: the values of credential fields replaced by `***`, and any registered
 * secret inside other strings too. Done on the structure, before the body is encoded: a secret is
 * hidden whatever its characters become once in JSON.
 */
export function redactSecretFields(value: unknown): unknown {
  if (typeof value === 'string') return redactText(value);
  if (Array.isArray(value)) return value.map(redactSecretFields);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, typeof field === 'string' && SECRET_FIELD.test(key) ? '***' : redactSecretFields(field)]));
}

/**
 * The secrets a URL carries (MB_URL, DATABASE_URL): its password, the values of credential-like
 * query parameters (`?token=…`), and the Basic credential an HTTP client makes of the user and
 * password (axios sends one for a URL with `user:password@`).
 */
export function registerUrlSecrets(url: string): void {
  // What stands between `//` and the last `@` before any `?` is credentials, however a parser reads
  // the URL: a password with a `/` or a `#` makes it read as a host, a port or a fragment (and may
  // make it not parse at all). Registered whole, and what follows its first `:`.
  const userinfo = misreadUserinfo(url);
  if (userinfo !== undefined) {
    registerSecret(userinfo);
    if (userinfo.includes(':')) registerSecret(userinfo.slice(userinfo.indexOf(':') + 1));
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return;
  }
  for (const [name, value] of parsed.searchParams) if (SECRET_FIELD.test(name) || /^(key|auth|sig|signature|access[-_]?token)$/i.test(name)) registerSecret(value);
  if (!parsed.password) return;
  const decode = (part: string) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  };
  registerSecret(decode(parsed.password));
  registerSecret(Buffer.from(`${parsed.username}:${parsed.password}`).toString('base64'));
  registerSecret(Buffer.from(`${decode(parsed.username)}:${decode(parsed.password)}`).toString('base64'));
}

/** A URL as it may appear in output: credentials and query string removed (MB_URL may carry them). */
export function printableUrl(url: string): string {
  // Everything up to the last `@` after `//` when a parser would misread the credentials.
  const fallback = () => url.replace(/\/\/[^?]*@/, '//').replace(/[?#].*$/, '');
  if (misreadUserinfo(url) !== undefined) return fallback();
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    parsed.search = '';
    parsed.hash = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return fallback();
  }
}

/**
 * The credentials of a URL that a parser would not read as such (a `/`, `#` or `@` in the password):
 * what stands between `//` and the last `@` before any `?`, when the parsed URL's user and password
 * are not exactly that. Undefined for a URL without credentials or one read right.
 */
function misreadUserinfo(url: string): string | undefined {
  const userinfo = /\/\/([^?]*)@/.exec(url)?.[1];
  if (userinfo === undefined) return undefined;
  try {
    const parsed = new URL(url);
    const read = parsed.password === '' ? parsed.username : `${parsed.username}:${parsed.password}`;
    return read === userinfo ? undefined : userinfo;
  } catch {
    return userinfo;
  }
}

