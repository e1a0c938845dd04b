import { transform } from 'esbuild';

/**
 * The bundle's text made pure ASCII, so that bin/mb-sync.js reads it as latin1 into a one-byte
 * string: a UTF-8 decode into a two-byte string, and V8 hashing and scanning twice the bytes, cost
 * ~10 ms of every start. esbuild escapes strings, regular expressions and names (charset ascii) but
 * keeps the libraries' comments as they are (a dash, a section sign). Each character left is written
 * as an escape, and the result must minify to the very same code as the text given: only comments
 * changed. A character in code, had one slipped through, would change that code or break it: thrown.
 */
export async function asciiOnly(text) {
  const escaped = text.replace(/[\u0080-\u{10ffff}]/gu, (c) => `\\u{${c.codePointAt(0).toString(16)}}`);
  if (escaped === text) return text;
  const minified = async (code) => (await transform(code, { minify: true, format: 'cjs', platform: 'node', target: 'node20', legalComments: 'none', logLevel: 'silent' })).code;
  let same = false;
  try {
    same = (await minified(escaped)) === (await minified(text));
  } catch {
    // Escaped into something that does not parse: not a comment.
  }
  if (!same) throw new Error('the bundle has a character beyond ASCII outside a comment (scripts/ascii-only.mjs): look at esbuild\'s charset option');
  return escaped;
}
