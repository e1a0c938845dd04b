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
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? 'file not found (run mb-sync from the project root, or pass --config FILE)' : `cannot read: ${code ?? (error as Error).message}`;
    return { issues: [{ file: display, path: '', message }] };
  }
  return parseYaml(text, display);
}

export function parseYaml(text: string, display: string): { yaml?: YamlFile; issues: ConfigIssue[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) {
    return {
      issues: doc.errors.map((error) => ({
        file: display,
        path: '',
        line: error.linePos?.[0]?.line,
        message: `YAML syntax: ${error.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "")}`,
      })),
    };
  }
  const lineOf = (path: ReadonlyArray<PropertyKey>) => findLine(doc, lineCounter, path);
  return { yaml: { file: display, data: doc.toJS() ?? {}, lineOf }, issues: [] };
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
