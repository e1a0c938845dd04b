/**
 * A secret as a regular expression that finds it in whatever encoding it went through on its way to
 * output (redactText in secrets.ts puts every registered secret's in one pattern).
 */

/** A backslash as JSON or percent-encoding may have written it. */
const BACKSLASH = String.raw`(?:\\|%5[cC])`;

/**
 * A regular expression source matching `secret` as printed: as it is, JSON-escaped at any depth (a
 * JSON string inside a JSON string: `"` → `\"` → `\\\"`), `\u`-escaped, percent-encoded (either hex
 * case, `+` for a space, a JSON form percent-encoded), or base64-encoded at any byte offset (inside
 * a Basic credential `user:password`). Only the characters those encodings change get alternatives,
 * so a letter still matches only itself and nothing but the secret is hidden.
 *
 * Every run of backslashes — the secret's own and those escaping the character after them — is one
 * run matched atomically (`groups` numbers the captures that make it so): the pattern never
 * backtracks through a long run of backslashes, whatever the text.
 */
export function secretPattern(secret: string, groups: { count: number }): string {
  const tokens: string[] = [];
  // A run that starts the secret starts where the text's run does: a match is not tried again from
  // inside it, which would make a long run of backslashes cost its length squared.
  const run = (quantifier: '+' | '*') => `${tokens.length === 0 ? `(?<!${BACKSLASH})` : ''}(?=(${BACKSLASH}${quantifier}))\\${++groups.count}`;
  let backslashes = 0;
  for (const char of secret) {
    if (char === '\\') {
      backslashes += 1;
      continue;
    }
    const plain = plainForms(char);
    const escaped = escapedForms(char);
    const after = `(?:${[...new Set([...escaped, ...plain])].join('|')})`;
    if (backslashes > 0) tokens.push(`${run('+')}${after}`);
    else if (char === '"' || char === '/') tokens.push(`${run('*')}${after}`);
    else if (escaped.length > 0) tokens.push(`(?:${run('+')}${after}|${plain.join('|')})`);
    else tokens.push(plain.length === 1 ? plain[0]! : `(?:${plain.join('|')})`);
    backslashes = 0;
  }
  // Backslashes that end the secret: as many as n rounds of JSON make of them (k → k·2ⁿ), the most
  // first, so that those escaping a closing quote after them stay in place.
  if (backslashes > 0) tokens.push(`(?:${[8, 7, 6, 5, 4, 3, 2, 1, 0].map((n) => `${BACKSLASH}{${backslashes * 2 ** n}}`).join('|')})`);
  return [tokens.join(''), ...base64Forms(secret).map(escapeRegExp)].join('|');
}

/** A character as it is, percent-encoded, or `+` for a space. */
function plainForms(char: string): string[] {
  const forms = [escapeRegExp(char)];
  if (!/[A-Za-z0-9]/.test(char)) forms.push(percentEncoded(char));
  if (char === ' ') forms.push(String.raw`\+`);
  return forms;
}

/** What follows the backslash of a JSON escape of a character (`"`, `n`, `u00e9`), if JSON may escape it. */
function escapedForms(char: string): string[] {
  const code = char.codePointAt(0)!;
  const json = JSON.stringify(char).slice(1, -1);
  const forms = json === char ? [] : [escapeRegExp(json.slice(1))];
  if (char === '/') forms.push('/');
  if (code < 0x20 || code > 0x7e) forms.push(unicodeEscaped(char));
  return forms;
}

/** `é` → `%[cC]3%[aA]9`: each UTF-8 byte, in either hex case. */
function percentEncoded(char: string): string {
  return [...Buffer.from(char, 'utf8')].map((byte) => `%${hexDigits(byte, 2)}`).join('');
}

/** `😀` → `uD83D\\uDE00` (the first backslash is the run before it): a UTF-16 unit at a time, in either hex case. */
function unicodeEscaped(char: string): string {
  return Array.from({ length: char.length }, (_, i) => `u${hexDigits(char.charCodeAt(i), 4)}`).join(`${BACKSLASH}+`);
}

function hexDigits(value: number, width: number): string {
  return [...value.toString(16).padStart(width, '0')].map((digit) => (/[a-f]/.test(digit) ? `[${digit}${digit.toUpperCase()}]` : digit)).join('');
}

/**
 * The secret base64-encoded alone, and the part of its encoding that does not depend on what comes
 * before or after it when it starts 0, 1 or 2 bytes into a group of three (`Basic base64(user:pw)`).
 * The bytes of a partial group at either end may stay visible: at most two at each end.
 */
function base64Forms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const whole = bytes.toString('base64');
  const forms = [whole, whole.replace(/=+$/, '')];
  for (const offset of [0, 1, 2]) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const first = offset === 0 ? 0 : 1;
    const last = Math.floor((offset + bytes.length) / 3);
    // Eight characters (six bytes) at least: a shorter run would hide ordinary text.
    if (last - first >= 2) forms.push(encoded.slice(first * 4, last * 4));
  }
  return [...new Set(forms)].sort((a, b) => b.length - a.length);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
