/**
 * Scalars and one-line flow collections for the fast YAML reader (plain-yaml.ts), resolved as the
 * yaml library resolves them under YAML 1.2's core schema; outside() for anything else.
 */

/** Thrown where the text leaves what this reader knows: the library reads the file instead. */
export const OUTSIDE = Symbol('outside the plain subset');
export function outside(): never {
  throw OUTSIDE;
}

const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT = /^[-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;
const EXPONENT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
// The core schema's other numbers (0o17, 0x1F, .inf, .nan): left to the library.
const OTHER_NUMBER = /^(?:0o[0-7]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
// A plain scalar may not start with an indicator (nor with "- ", "? ", ": ", left to the library).
export const INDICATOR = /^[-?:,[\]{}#&*!|>'"%@`]/;
export const KEY = /^[^-?:,[\]{}#&*!|>'"%@` \t][^#\t]*?$/;

/**
 * YAML's own white space is the space and the tab only: JavaScript's trim() and \s also take a
 * no-break space (common in pasted titles), U+3000, U+FEFF and others, which are text in YAML.
 */
export function trimBlanks(text: string): string {
  return trimEndBlanks(text.replace(/^[ \t]+/, ''));
}

export function trimEndBlanks(text: string): string {
  return text.replace(/[ \t]+$/, '');
}

/** Deeper than this, a file is left to the library (which refuses flow nesting past ~840). */
export const MAX_DEPTH = 100;

export function checkPlain(text: string): void {
  if (text.includes(': ') || text.endsWith(':') || text.includes('\t')) outside();
}

/** A one-line plain scalar's value under YAML 1.2's core schema, as the library resolves it. */
export function scalarOf(text: string): unknown {
  if (NULL.test(text)) return null;
  if (BOOL.test(text)) return text[0] === 't' || text[0] === 'T';
  if (INT.test(text)) return parseInt(text, 10);
  if (FLOAT.test(text) || EXPONENT.test(text)) return parseFloat(text);
  if (OTHER_NUMBER.test(text)) outside();
  return text;
}

/** A quoted scalar that ends on its line (followed by nothing, or a comment). */
export function quoted(text: string): string {
  const quote = text[0]!;
  let out = '';
  let i = 1;
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'" && c === "'") {
      if (text[i + 1] !== "'") break;
      out += "'";
      i++;
    } else if (quote === '"' && c === '"') {
      break;
    } else if (quote === '"' && c === '\\') {
      const e = text[++i];
      const simple: Record<string, string> = { '\\': '\\', '"': '"', '/': '/', n: '\n', t: '\t', r: '\r', '0': '\0' };
      if (e !== undefined && simple[e] !== undefined) out += simple[e];
      else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) {
        out += String.fromCharCode(parseInt(text.slice(i + 1, i + 5), 16));
        i += 4;
      } else outside();
    } else out += c;
  }
  if (i >= text.length) outside();
  const after = text.slice(i + 1);
  if (trimBlanks(after) !== '' && !/^[ \t]+#/.test(after)) outside();
  return out;
}

/**
 * A flow collection on one line (`[a, b]`, `{ row: 0, col: 6 }`, nested), its scalars plain or
 * quoted; the line of each of its paths is its line.
 */
export function flowCollection(text: string, path: string, line: number, lines: Record<string, number>): unknown {
  const at = { i: 0 };
  const value = flowNode(text, at, path, line, lines);
  if (trimBlanks(text.slice(at.i)) !== '' && !/^[ \t]+#/.test(text.slice(at.i))) outside();
  return value;
}

function flowNode(text: string, at: { i: number }, path: string, line: number, lines: Record<string, number>, depth = 0): unknown {
  if (depth > MAX_DEPTH) outside();
  skipSpaces(text, at);
  const open = text[at.i];
  if (open !== '[' && open !== '{') return flowScalar(text, at);
  at.i++;
  const close = open === '[' ? ']' : '}';
  const out: unknown[] | Record<string, unknown> = open === '[' ? [] : {};
  for (;;) {
    skipSpaces(text, at);
    if (text[at.i] === close) break;
    if (Array.isArray(out)) {
      const child = `${path}[${out.length}]`;
      lines[child] = line;
      out.push(flowNode(text, at, child, line, lines, depth + 1));
    } else {
      const key = flowScalar(text, at, true);
      if (typeof key !== 'string' || !KEY.test(key) || key === '__proto__' || key === '<<' || Object.hasOwn(out, key)) outside();
      if (text[at.i] !== ':' || text[at.i + 1] !== ' ') outside();
      at.i += 2;
      const child = `${path}.${key}`;
      lines[child] = line;
      out[key] = flowNode(text, at, child, line, lines, depth + 1);
    }
    skipSpaces(text, at);
    if (text[at.i] === ',') at.i++;
    else if (text[at.i] !== close) outside();
  }
  at.i++;
  return out;
}

function skipSpaces(text: string, at: { i: number }): void {
  while (text[at.i] === ' ') at.i++;
}

/** A scalar in a flow collection: quoted, or plain up to `,`, `]`, `}` (or `: ` for a key). */
function flowScalar(text: string, at: { i: number }, key = false): unknown {
  const first = text[at.i];
  if (first === "'" || first === '"') {
    const end = quotedEnd(text, at.i);
    const value = quoted(text.slice(at.i, end + 1));
    at.i = end + 1;
    return value;
  }
  let end = at.i;
  while (end < text.length && !',[]{}'.includes(text[end]!) && !(text[end] === ':' && (text[end + 1] === ' ' || end + 1 === text.length) && key)) end++;
  const item = trimBlanks(text.slice(at.i, end));
  at.i = end;
  if (item === '' || item.includes(': ') || item.endsWith(':') || item.includes(' #') || (INDICATOR.test(item) && !/^-[^ \t]/.test(item))) outside();
  return scalarOf(item);
}

/** The index of the quote that closes the quoted scalar opening at `start`. */
function quotedEnd(text: string, start: number): number {
  const quote = text[start]!;
  for (let i = start + 1; i < text.length; i++) {
    if (quote === '"' && text[i] === '\\') i++;
    else if (text[i] === quote) {
      if (quote === "'" && text[i + 1] === "'") i++;
      else return i;
    }
  }
  return outside();
}
