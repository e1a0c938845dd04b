import { readFile } from 'node:fs/promises';
import type * as Yaml from 'yaml';
import type { LineCounter } from 'yaml';
import type { ConfigIssue } from '../core/errors.ts';
import type { ParseCache } from './parse-cache.ts';
import { readPlainYaml } from './plain-yaml.ts';
import { formatPath } from '../core/value-path.ts';

/** A parsed YAML file that can tell the line of any path in it. */
export interface YamlFile {
  file: string;
  data: unknown;
  /** The line of every path in the file (`cards[3].filters.period`; the root is `''`). */
  lines: Readonly<Record<string, number>>;
  /** Read by mb-sync's own reader (plain-yaml.ts), which can read it again at once, without the library. */
  plain?: boolean;
  lineOf(path: ReadonlyArray<PropertyKey>): number | undefined;
}

/** A file's text, or why it cannot be read (missing, not UTF-8) as an issue naming it. */
export async function readYamlText(absolute: string, display: string): Promise<{ text: string } | { issues: ConfigIssue[] }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? 'file not found (run mb-sync from the project root, or pass --config FILE)' : `cannot read: ${code ?? (error as Error).message}`;
    return { issues: [{ file: display, path: '', message }] };
  }
  const decoded = decodeUtf8(bytes);
  if ('problem' in decoded) return { issues: [{ file: display, path: '', ...(decoded.line === undefined ? {} : { line: decoded.line }), message: decoded.problem }] };
  return decoded;
}

/**
 * A text read as YAML, from the cache when it was parsed before (`digest`: its key there, see
 * parse-cache.ts).
 */
export async function parseYamlText(text: string, display: string, cache?: ParseCache, digest?: string): Promise<{ yaml?: YamlFile; issues: ConfigIssue[] }> {
  // Parsing is most of a plan's CPU time: a file whose text was parsed before is read from the cache.
  const cached = digest === undefined ? undefined : cache?.get(digest);
  if (cached) return { yaml: { ...yamlFile(display, cached.data, cached.lines), ...(cached.plain ? { plain: true } : {}) }, issues: [] };
  // Dashboards' usual YAML is read by a reader about five times faster than the library; anything else,
  // and every error, by the library, loaded only then (a run whose files are all cached or plain
  // skips it).
  const plain = readPlainYaml(text);
  const parsed = plain ? { yaml: { ...yamlFile(display, plain.data, plain.lines), plain: true }, issues: [] } : parseYaml(yamlModule(await import('yaml')), text, display);
  if (parsed.yaml && digest !== undefined) cache?.set(digest, { data: parsed.yaml.data, lines: parsed.yaml.lines, ...(plain ? { plain: true } : {}) });
  return parsed;
}

/**
 * A plain YAML text (one readPlainYaml reads) whose value is known already (validated before):
 * it is read again only when something asks for its data or a line, an error to locate.
 */
export function knownPlainYamlFile(file: string, text: string): YamlFile {
  let read: { data: unknown; lines: Record<string, number> } | undefined;
  const parsed = () => (read ??= readPlainYaml(text) ?? { data: undefined, lines: {} });
  return {
    file,
    plain: true,
    get data() {
      return parsed().data;
    },
    get lines() {
      return parsed().lines;
    },
    lineOf: (path) => lineIn(parsed().lines, path),
  };
}

/**
 * A YAML text's value alone (no lines, no worded issues: a syntax error throws), read as parseYamlText
 * reads it: by the fast reader when it can, else by the library, loaded only then.
 */
export async function yamlData(text: string): Promise<unknown> {
  const plain = readPlainYaml(text);
  return plain ? plain.data : yamlModule(await import('yaml')).parse(text);
}

/**
 * The text of a file that must be UTF-8: a UTF-16 file (with or without its byte order mark) or a
 * Latin-1 one is refused with the encoding named, instead of being read as garbage.
 */
export function decodeUtf8(bytes: Buffer): { text: string } | { problem: string; line?: number } {
  const save = 'save it as UTF-8';
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { problem: `the file is UTF-16 (little-endian, with a byte order mark): ${save}` };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { problem: `the file is UTF-16 (big-endian, with a byte order mark): ${save}` };
  const sample = bytes.subarray(0, 512);
  const zeros = sample.filter((b) => b === 0).length;
  if (sample.length > 1 && zeros >= sample.length / 4) return { problem: `the file looks like UTF-16 (every other byte is zero): ${save}` };
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return { text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text };
  } catch {
    // Find the first byte that is not UTF-8, to name its line.
    let offset = 0;
    for (let end = 1; end <= bytes.length; end++) {
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, end));
        offset = end;
      } catch {
        if (end - offset > 4) break;
      }
    }
    const line = bytes.subarray(0, offset).toString('utf8').split('\n').length;
    return { problem: `the file is not UTF-8 (byte 0x${bytes[offset]?.toString(16)} at line ${line}; Latin-1 or Windows-1252?): ${save}`, line };
  }
}

type YamlModule = typeof Yaml;

/**
 * The library's exports, however it was loaded: Node gives a CommonJS module's names to `import()`,
 * the bundle in dist/ (scripts/build.mjs) gives them as its default export only.
 */
function yamlModule(loaded: YamlModule | { default: YamlModule }): YamlModule {
  return 'LineCounter' in loaded ? loaded : loaded.default;
}

export function parseYaml(yaml: YamlModule, text: string, display: string): { yaml?: YamlFile; issues: ConfigIssue[] } {
  const lineCounter = new yaml.LineCounter();
  const doc = yaml.parseDocument(text, { lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) {
    // One defect, one error: what the parser says after the first error follows from it.
    const error = doc.errors[0]!;
    return { issues: [{ file: display, path: '', line: error.linePos?.[0]?.line, message: `YAML syntax: ${error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}` }] };
  }
  let data: unknown;
  try {
    // Aliases expand: a "billion laughs" file or a recursive alias is refused, not expanded.
    data = doc.toJS({ maxAliasCount: 50 }) ?? {};
  } catch (error) {
    return { issues: [{ file: display, path: '', message: `YAML aliases: ${(error as Error).message.split('\n')[0]} (aliases are limited: write the values out)` }] };
  }
  if (isCircular(data)) return { issues: [{ file: display, path: '', message: 'YAML aliases: a recursive alias (a value that contains itself) cannot be read: write the values out' }] };
  return { yaml: yamlFile(display, data, lineMap(yaml, doc.contents, lineCounter)), issues: [] };
}

function yamlFile(file: string, data: unknown, lines: Record<string, number>): YamlFile {
  return { file, data, lines, lineOf: (path) => lineIn(lines, path) };
}

/** The line of a path; a path that is not in the file (a missing key) gets its nearest ancestor's. */
function lineIn(lines: Readonly<Record<string, number>>, path: ReadonlyArray<PropertyKey>): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const line = lines[formatPath(path.slice(0, n))];
    if (line !== undefined) return line;
  }
  return undefined;
}

function isCircular(value: unknown, ancestors: Set<object> = new Set()): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (ancestors.has(value)) return true;
  ancestors.add(value);
  const circular = Object.values(value).some((child) => isCircular(child, ancestors));
  ancestors.delete(value);
  return circular;
}

/**
 * The line of every path, in one walk of the document: a mapping entry is at its key's line, a
 * sequence item at its own. Paths are built as the walk descends (the same text formatPath makes).
 */
function lineMap({ isMap, isScalar, isSeq }: YamlModule, root: unknown, lineCounter: LineCounter): Record<string, number> {
  const lines: Record<string, number> = {};
  const lineAt = (node: unknown) => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return range ? lineCounter.linePos(range[0]).line : undefined;
  };
  const walk = (node: unknown, path: string, line: number | undefined) => {
    if (line !== undefined) lines[path] = line;
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? pair.key.value : undefined;
        if (typeof key !== 'string' && typeof key !== 'number') continue;
        walk(pair.value, path === '' ? String(key) : `${path}.${String(key)}`, lineAt(pair.key) ?? line);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => walk(item, `${path}[${index}]`, lineAt(item) ?? line));
    }
  };
  walk(root, '', lineAt(root));
  return lines;
}
