import { readFile } from 'node:fs/promises';
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { ConfigIssue } from '../core/errors.ts';

/** A parsed YAML file that can tell the line of any path in it. */
export interface YamlFile {
  file: string;
  data: unknown;
  lineOf(path: ReadonlyArray<PropertyKey>): number | undefined;
}

export async function readYaml(absolute: string, display: string): Promise<{ yaml?: YamlFile; issues: ConfigIssue[] }> {
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
  return parseYaml(decoded.text, display);
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

export function parseYaml(text: string, display: string): { yaml?: YamlFile; issues: ConfigIssue[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) {
    // One defect, one error: what the parser says after the first error follows from it.
    const error = doc.errors[0]!;
    return { issues: [{ file: display, path: '', line: error.linePos?.[0]?.line, message: `YAML syntax: ${error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}` }] };
  }
  const lineOf = (path: ReadonlyArray<PropertyKey>) => findLine(doc, lineCounter, path);
  let data: unknown;
  try {
    // Aliases expand: a "billion laughs" file or a recursive alias is refused, not expanded.
    data = doc.toJS({ maxAliasCount: 50 }) ?? {};
  } catch (error) {
    return { issues: [{ file: display, path: '', message: `YAML aliases: ${(error as Error).message.split('\n')[0]} (aliases are limited: write the values out)` }] };
  }
  if (isCircular(data)) return { issues: [{ file: display, path: '', message: 'YAML aliases: a recursive alias (a value that contains itself) cannot be read: write the values out' }] };
  return { yaml: { file: display, data, lineOf }, issues: [] };
}

function isCircular(value: unknown, ancestors: Set<object> = new Set()): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (ancestors.has(value)) return true;
  ancestors.add(value);
  const circular = Object.values(value).some((child) => isCircular(child, ancestors));
  ancestors.delete(value);
  return circular;
}

function findLine(doc: Document, lineCounter: LineCounter, path: ReadonlyArray<PropertyKey>): number | undefined {
  let node: unknown = doc.contents;
  let line: number | undefined = lineFor(node, lineCounter);
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => (item.key as { value?: unknown } | null)?.value === key);
      if (!pair) break;
      line = lineFor(pair.key, lineCounter) ?? line;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key];
      line = lineFor(node, lineCounter) ?? line;
    } else break;
  }
  return line;
}

function lineFor(node: unknown, lineCounter: LineCounter): number | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? lineCounter.linePos(range[0]).line : undefined;
}

/** `cards[2].layout.width` */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out === '' ? String(key) : `${out}.${String(key)}`), '');
}
