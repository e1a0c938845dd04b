import { checkPlain, flowCollection, INDICATOR, KEY, MAX_DEPTH, outside, OUTSIDE, quoted, scalarOf, trimBlanks, trimEndBlanks } from './plain-yaml-scalars.ts';

/**
 * A fast reader for the YAML that dashboards are written in: block mappings and sequences, plain
 * and quoted one-line scalars, plain scalars folded over several lines, literal block scalars
 * (`|`, `|-`), flow sequences and mappings on one line, comments.
 *
 * Why: the `yaml` library reads about 1 MB/s before V8 has optimised it, and a cold first apply of
 * 200 dashboard files spent 0.5-0.8 s there, the longest step before its first request. This reader
 * takes about a fifth of that.
 *
 * It only ever answers what the library would. Anything else makes it return undefined, and the
 * file is read by the library, which also words the errors: anchors, aliases, tags, flow
 * collections over several lines, folded (`>`) and kept (`|+`) scalars, quoted scalars over several
 * lines, document markers, tabs in indentation, duplicate or non-string keys, octal and hex
 * numbers, infinities, and every syntax error. Its results (values and the line of every path) are
 * compared with the library's on every YAML file of the repository, on generated files and on
 * edited ones (test/unit/config/plain-yaml.test.ts).
 */
export function readPlainYaml(text: string): { data: unknown; lines: Record<string, number> } | undefined {
  // CRLF is a line break as LF is (a Windows checkout): read as one. A lone CR is left to the library.
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const cr = line.indexOf('\r');
    if (cr === -1) continue;
    if (cr !== line.length - 1 || i === lines.length - 1) return undefined;
    lines[i] = line.slice(0, -1);
  }
  const reader = new Reader(lines);
  try {
    const start = reader.next(0);
    if (start === undefined) return undefined;
    const data = reader.block(start, 0, '', true);
    if (reader.next(reader.at) !== undefined) return undefined;
    return { data, lines: reader.lines };
  } catch (error) {
    if (error === OUTSIDE) return undefined;
    throw error;
  }
}

class Reader {
  readonly lines: Record<string, number> = {};
  at = 0;
  private depth = 0;
  constructor(private readonly source: string[]) {}

  /** The first line from `from` on with something other than blanks or a comment. */
  next(from: number): number | undefined {
    for (let i = from; i < this.source.length; i++) {
      const line = this.source[i]!;
      const indent = indentOf(line);
      if (indent === line.length) continue;
      if (line[indent] === '#') continue;
      if (line[indent] === '\t' || (indent === 0 && (line.startsWith('---') || line.startsWith('...') || line[0] === '%'))) outside();
      return i;
    }
    return undefined;
  }

  /** The node that starts at line `i` (its first significant line), at least `min` deep. */
  block(i: number, min: number, path: string, root = false): unknown {
    const line = this.source[i]!;
    const indent = indentOf(line);
    if (indent < min || (root && indent !== 0) || ++this.depth > MAX_DEPTH) outside();
    this.lines[path] ??= i + 1;
    try {
      return isItem(line, indent) ? this.sequence(i, indent, path) : this.mapping(i, indent, indent, path);
    } finally {
      this.depth--;
    }
  }

  /**
   * The mapping whose keys sit at column `indent`; its first entry is on line `i` at column
   * `first` (further right than `indent` after a sequence's dash: `- key: value`).
   */
  mapping(i: number, indent: number, first: number, path: string): Record<string, unknown> {
    const map: Record<string, unknown> = {};
    let column = first;
    let at: number | undefined = i;
    while (at !== undefined) {
      const line = this.source[at]!;
      const rest = line.slice(column);
      const colon = keyEnd(rest);
      // The library allows an implicit key of up to 1024 characters.
      if (colon === undefined || colon > 1024) outside();
      const key = trimEndBlanks(rest.slice(0, colon));
      if (!KEY.test(key) || key.includes(': ') || key === '__proto__' || key === '<<' || Object.hasOwn(map, key) || scalarOf(key) !== key) outside();
      const child = path === '' ? key : `${path}.${key}`;
      this.lines[child] = at + 1;
      map[key] = this.value(at, column + colon + 1, indent, child, true);
      at = this.next(this.at);
      if (at === undefined) break;
      const next = indentOf(this.source[at]!);
      if (next < indent) break;
      if (next > indent || isItem(this.source[at]!, next)) outside();
      column = indent;
    }
    return map;
  }

  /** The sequence whose dashes sit at column `indent`, the first on line `i`. */
  sequence(i: number, indent: number, path: string): unknown[] {
    const items: unknown[] = [];
    let at: number | undefined = i;
    while (at !== undefined) {
      const line = this.source[at]!;
      const child = `${path}[${items.length}]`;
      const start = indent + 1 + indentOf(line.slice(indent + 1));
      const rest = line.slice(start);
      const alone = trimBlanks(rest);
      if (alone === '' || alone.startsWith('#')) {
        // `-` alone: the item is the block on the next lines, and its line is theirs.
        const inner = this.next(at + 1);
        if (inner === undefined || indentOf(this.source[inner]!) <= indent) outside();
        this.lines[child] = inner + 1;
        items.push(this.block(inner, indent + 1, child));
      } else if (isItem(line, start)) {
        outside();
      } else if (keyEnd(rest) !== undefined && !/^['"[{|]/.test(rest)) {
        this.lines[child] = at + 1;
        items.push(this.mapping(at, start, start, child));
      } else {
        this.lines[child] = at + 1;
        items.push(this.value(at, start, indent, child, false));
      }
      at = this.next(this.at);
      if (at === undefined) break;
      const next = indentOf(this.source[at]!);
      // A key at the same column ends a sequence that sits at its key's column (`key:\n- a`).
      if (next < indent || (next === indent && !isItem(this.source[at]!, next))) break;
      if (next > indent) outside();
    }
    return items;
  }

  /**
   * The value that starts at `column` of line `i` (after `key:` or `- `) in a block at column
   * `indent`; sets `this.at` to the line after it.
   */
  value(i: number, column: number, indent: number, path: string, inMapping: boolean): unknown {
    const line = this.source[i]!;
    const { text, commented } = stripComment(line.slice(column));
    this.at = i + 1;
    if (text === '') {
      const inner = this.next(i + 1);
      if (inner === undefined) return null;
      const deeper = indentOf(this.source[inner]!);
      // A sequence may sit at its key's own column.
      if (deeper > indent || (inMapping && deeper === indent && isItem(this.source[inner]!, deeper))) {
        return this.block(inner, inMapping && deeper === indent ? indent : indent + 1, path);
      }
      return null;
    }
    if (text === '|' || text === '|-') return this.literal(i, indent, text === '|-');
    if (text[0] === '{' || text[0] === '[') return flowCollection(text, path, i + 1, this.lines);
    if (text[0] === "'" || text[0] === '"') return quoted(text);
    if (INDICATOR.test(text) && !/^[-?:][^ \t]/.test(text)) outside();
    if (/^[?:]/.test(text)) outside();
    return this.plain(text, i, indent, commented);
  }

  /**
   * A plain scalar, folded over the more-indented lines that follow it (not after a comment on its
   * first line: the library then refuses those lines).
   */
  plain(first: string, i: number, indent: number, commented: boolean): unknown {
    const parts = [first];
    let blank = 0;
    let at = i + 1;
    for (; at < this.source.length; at++) {
      const line = this.source[at]!;
      const lead = indentOf(line);
      if (trimBlanks(line) === '') {
        // A blank line between folded ones; one holding a tab is left to the library.
        if (line.includes('\t')) outside();
        blank++;
        continue;
      }
      if (lead <= indent) break;
      const text = trimEndBlanks(line.slice(lead));
      if (commented || line[lead] === '#' || text.includes(' #')) outside();
      checkPlain(text);
      parts.push(blank > 0 ? '\n'.repeat(blank) : ' ', text);
      blank = 0;
    }
    this.at = at - blank;
    checkPlain(first);
    return parts.length === 1 ? scalarOf(first) : parts.join('');
  }

  /** A literal block scalar (`|`, `|-`: no final line break), its lines after the line at `i`. */
  literal(i: number, indent: number, strip: boolean): string {
    let content: number | undefined;
    const kept: string[] = [];
    for (let at = i + 1; at < this.source.length; at++) {
      const line = this.source[at]!;
      const lead = indentOf(line);
      if (lead === line.length) {
        if (content === undefined || lead > content) outside();
        kept.push('');
        continue;
      }
      if (content === undefined) {
        if (lead <= indent) outside();
        content = lead;
      }
      if (lead < content) break;
      kept.push(line.slice(content));
    }
    if (content === undefined) outside();
    let end = kept.length;
    while (end > 0 && kept[end - 1] === '') end--;
    this.at = i + 1 + end;
    const body = kept.slice(0, end).join('\n');
    // One final line break is kept (clip), even on a file's unterminated last line, as the library does.
    return strip ? body : `${body}\n`;
  }
}

function indentOf(line: string): number {
  let n = 0;
  while (line.charCodeAt(n) === 32) n++;
  return n;
}

function isItem(line: string, at: number): boolean {
  return line[at] === '-' && (at + 1 === line.length || line[at + 1] === ' ');
}

/** Where `key:` ends in `text`: the first colon followed by a space or the end of the line. */
function keyEnd(text: string): number | undefined {
  for (let i = text.indexOf(':'); i !== -1; i = text.indexOf(':', i + 1)) {
    if (i + 1 === text.length || text[i + 1] === ' ') return i;
  }
  return undefined;
}

/** The text before a comment (` #`), trimmed, and whether there was one; quoted text is left to quoted(). */
function stripComment(text: string): { text: string; commented: boolean } {
  const trimmed = trimBlanks(text);
  if (trimmed[0] === "'" || trimmed[0] === '"') return { text: trimmed, commented: false };
  if (trimmed.startsWith('#')) return { text: '', commented: true };
  const hash = trimmed.indexOf(' #');
  return hash === -1 ? { text: trimmed, commented: false } : { text: trimEndBlanks(trimmed.slice(0, hash)), commented: true };
}
