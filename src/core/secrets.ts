import { secretPattern } from './secret-pattern.ts';

/**
 * Last line of defence for secrets in anything printed: every secret value mb-sync reads from the
 * environment or the config is registered here and replaced by `***` in output, in whatever
 * encoding it went through on its way there (secret-pattern.ts).
 */
const secrets = new Set<string>();
/** One pattern for every registered secret, made again when one is added. */
let pattern: RegExp | undefined;

export function registerSecret(value: string | undefined | null): void {
  // Very short values would redact ordinary words; they are not plausible secrets anyway.
  if (value && value.length >= 4 && !secrets.has(value)) {
    secrets.add(value);
    pattern = undefined;
  }
}

export function redactText(text: string): string {
  if (secrets.size === 0) return text;
  pattern ??= compilePattern();
  return text.replace(pattern, '***');
}

/** For tests. */
export function clearSecrets(): void {
  secrets.clear();
  pattern = undefined;
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
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    parsed.search = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//').replace(/\?.*$/, '');
  }
}

/** Every registered secret in one pattern, the longest first: a secret containing another is hidden whole. */
function compilePattern(): RegExp {
  const groups = { count: 0 };
  return new RegExp([...secrets].sort((a, b) => b.length - a.length).map((secret) => secretPattern(secret, groups)).join('|'), 'g');
}
