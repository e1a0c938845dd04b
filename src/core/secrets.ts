/**
 * Last line of defence for secrets in anything printed: every secret value mb-sync reads from the
 * environment or the config is registered here and replaced by `***` in output.
 */
const secrets = new Set<string>();

export function registerSecret(value: string | undefined | null): void {
  // Very short values would redact ordinary words; they are not plausible secrets anyway.
  if (value && value.length >= 4) secrets.add(value);
}

export function redactText(text: string): string {
  let out = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(secret).join('***');
  return out;
}

/** For tests. */
export function clearSecrets(): void {
  secrets.clear();
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
