import { isRef } from '../../core/refs.ts';

/** A value as one short line: refs by name, strings quoted, objects as compact JSON. */
export function formatValue(value: unknown, max = 100): string {
  if (value === undefined || value === null) return 'null';
  if (isRef(value)) return value.$ref;
  const text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value, (_k, v: unknown) => (isRef(v) ? v.$ref : v));
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Line diff of two multi-line strings (SQL, markdown), as `- old` / `+ new` lines around the changes. */
export function lineDiff(before: string, after: string): string[] {
  const a = before.split('\n');
  const b = after.split('\n');
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      i++;
      j++;
    } else if (j < b.length && (i >= a.length || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
      out.push(`+ ${b[j++]}`);
    } else {
      out.push(`- ${a[i++]}`);
    }
  }
  return out;
}
