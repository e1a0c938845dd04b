import { beforeEach, describe, expect, it } from 'vitest';
import { clearSecrets, printableUrl, redactSecretFields, redactText, registerSecret, registerUrlSecrets } from '../../../src/core/secrets.ts';

/** A value as it reads after `depth` rounds of JSON string encoding (a JSON string inside a JSON string…). */
const jsonEscaped = (value: string, depth: number): string => (depth === 0 ? value : jsonEscaped(JSON.stringify(value).slice(1, -1), depth - 1));

// Every character JSON or a URL encodes: quote, backslash, slash, control, non-ASCII, astral, space.
const SECRETS = ['p\\w"d-Secret-42', '"starts-with-quote', 'ends-with-backslash\\', 'tab\there/é😀 sp', "s3cr3t-'quoted\"-$$-pass", 'two\\\\back\\"slashes\\\\'];

beforeEach(() => clearSecrets());

describe('redactText', () => {
  it('finds a secret JSON-encoded at any depth, and leaves the JSON valid with *** in its place', () => {
    for (const secret of SECRETS) {
      registerSecret(secret);
      let document: unknown = { password: secret, note: `x ${secret} y` };
      for (let depth = 1; depth <= 5; depth++) {
        const text = JSON.stringify(document);
        const redacted = redactText(text);
        expect(redacted, `${secret} at depth ${depth}`).not.toContain(jsonEscaped(secret, depth));
        expect(redacted).not.toMatch(/Secret-42|starts-with|ends-with|here\/|s3cr3t|slashes/);
        // Unwrapped back to the first document: the secret is *** wherever it was.
        let parsed = JSON.parse(redacted) as unknown;
        for (let d = depth; d > 1; d--) parsed = JSON.parse((parsed as { wrapped: string }).wrapped);
        expect(parsed).toEqual({ password: '***', note: 'x *** y' });
        document = { wrapped: text };
      }
    }
  });

  it('finds a secret URL-encoded (either hex case, form-encoded, URL-encoded JSON) and base64-encoded in a Basic credential', () => {
    for (const secret of SECRETS) {
      registerSecret(secret);
      const forms = [
        encodeURIComponent(secret),
        encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()),
        new URLSearchParams({ p: secret }).toString().slice(2),
        encodeURIComponent(JSON.stringify({ p: secret })),
        Buffer.from(`admin:${secret}`).toString('base64'),
        Buffer.from(`a:${secret}`).toString('base64'),
        Buffer.from(`ab:${secret}`).toString('base64'),
      ];
      for (const form of forms) {
        const redacted = redactText(`before ${form} after`);
        expect(redacted, `${secret} as ${form}`).toContain('***');
        expect(redacted, `${secret} as ${form}`).not.toContain(form);
      }
    }
  });

  it('reads a long run of backslashes once, not once per backslash in it (which would not end in a test\'s time)', () => {
    for (const secret of SECRETS) registerSecret(secret);
    const text = `"${'\\'.repeat(200_000)}x`;
    expect(redactText(text)).toBe(text);
  });

  it('leaves text without a secret as it is', () => {
    registerSecret('p\\w"d-Secret-42');
    const text = JSON.stringify({ a: 'p\\w"d-Secret-4', b: 'Secret-42', c: '\\\\"' });
    expect(redactText(text)).toBe(text);
  });
});

describe('redactSecretFields', () => {
  it('replaces the value of every secret-named field, at any depth, and a registered secret anywhere else', () => {
    registerSecret('registered-secret-1');
    const body = { name: 'Phoenix', details: { host: 'pg', password: 'p\\w"d-Not-Registered', 'tunnel-pass': 'x1', 'ssl-key-password-value': 'x2' }, api_key: 'k', unmasked_key: 'k2', token: 't', list: [{ 'session-id': 's' }, 'text registered-secret-1 text'] };
    expect(redactSecretFields(body)).toEqual({ name: 'Phoenix', details: { host: 'pg', password: '***', 'tunnel-pass': '***', 'ssl-key-password-value': '***' }, api_key: '***', unmasked_key: '***', token: '***', list: [{ 'session-id': '***' }, 'text *** text'] });
    // A marker's `key` or a collection's `entity_id` is not a secret.
    expect(redactSecretFields({ key: 'spend', 'mb-sync': { key: 'x', nonce: 'n' } })).toEqual({ key: 'spend', 'mb-sync': { key: 'x', nonce: 'n' } });
  });
});

describe('overlapping secrets', () => {
  it('hides two secrets that overlap in the text together, whichever starts first', () => {
    registerSecret('Tr0ub4dor-horse-battery');
    registerSecret('x9Tr0ub');
    expect(redactText('a x9Tr0ub4dor-horse-battery b')).toBe('a *** b');
    expect(redactText('x9Tr0ub then Tr0ub4dor-horse-battery')).toBe('*** then ***');
  });
});

describe('URLs', () => {
  it('registers the password and the credential-like query values of a URL, and the Basic credential made of them', () => {
    registerUrlSecrets('http://admin:hunter2%40secret@mb.example.com/?token=qsTokenSecret&lang=fr&api_key=qsKey123');
    expect(redactText('hunter2@secret qsTokenSecret qsKey123 fr admin')).toBe('*** *** *** fr admin');
    expect(redactText(`Basic ${Buffer.from('admin:hunter2@secret').toString('base64')}`)).toBe('Basic ***');
  });

  it('prints a URL without credentials nor query string', () => {
    expect(printableUrl('http://admin:hunter2secret@127.0.0.1:9/?token=qsTokenSecret')).toBe('http://127.0.0.1:9');
    expect(printableUrl('not a url://admin:pw@host/x?token=t')).toBe('not a url://host/x');
    // A password with a `/` (base64 makes them) or a `#`: the URL does not parse as meant.
    expect(printableUrl('http://admin:pa/ss-Secret9@127.0.0.1:9')).toBe('http://127.0.0.1:9');
    expect(printableUrl('http://admin:p@ss#Secret9@127.0.0.1:9')).not.toContain('Secret9');
  });

  it('registers the credentials of a URL a parser misreads, or cannot read', () => {
    registerUrlSecrets('http://admin:pa/ss-Secret9@127.0.0.1:9');
    expect(redactText('connect to pa/ss-Secret9 failed')).toBe('connect to *** failed');
    // Parsed, but as host "admin", port 123: the password is never the URL's password.
    registerUrlSecrets('http://admin:123/xyzSecret@mb.example.com:3000');
    expect(redactText('at 123/xyzSecret')).toBe('at ***');
    expect(printableUrl('http://admin:123/xyzSecret@mb.example.com:3000')).toBe('http://mb.example.com:3000');
    // Parsed, but the rest of the password read as a fragment.
    registerUrlSecrets('http://admin:p@ss#Secret9@mb.example.com');
    expect(redactText('p@ss#Secret9')).toBe('***');
    // An @ in the query is not credentials.
    expect(printableUrl('http://mb.example.com/?email=a@b.c')).toBe('http://mb.example.com');
  });
});
