import { isRef } from '../../core/refs.ts';

/** A value as one short line: refs by name, strings quoted, objects as compact JSON. */
export function formatValue(value: unknown, max = 100): string {
  if (value === undefined || value === null) return 'null';
  if (isRef(value)) return value.$ref;
  const text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value, (_k, v: unknown) => (isRef(v) ? v.$ref : v));
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * Line diff of two multi-line strings (SQL, markdown), as `- old` / `+ new` lines; with `context`,
 * that many unchanged lines (`  same`) around each change, and `  …` where unchanged lines are left out.
 */
export function lineDiff(before: string, after: string, context = 0): string[] {
  const a = before.split('\n');
  const b = after.split('\n');
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const all: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      all.push(`  ${a[i]}`);
      i++;
      j++;
    } else if (i < a.length && (j >= b.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      all.push(`- ${a[i++]}`);
    } else {
      all.push(`+ ${b[j++]}`);
    }
  }
  // Distance from each line to the nearest change, in one sweep each way.
  const distance = all.map(() => Infinity);
  for (let n = 0, last = -Infinity; n < all.length; n++) {
    if (!all[n]!.startsWith('  ')) last = n;
    distance[n] = n - last;
  }
  for (let n = all.length - 1, next = Infinity; n >= 0; n--) {
    if (!all[n]!.startsWith('  ')) next = n;
    distance[n] = Math.min(distance[n]!, next - n);
  }
  const out: string[] = [];
  for (const [n, line] of all.entries()) {
    if (distance[n]! <= context) out.push(line);
    else if (context > 0 && out.at(-1) !== '  …') out.push('  …');
  }
  return out;
}

/** Refs by name when there are few of a kind, counted when there are many: `12 cards, collection:phoenix`. */
export function summariseRefs(refs: readonly string[]): string {
  const byKind = new Map<string, string[]>();
  for (const ref of refs) {
    const kind = ref.slice(0, ref.indexOf(':'));
    byKind.set(kind, [...(byKind.get(kind) ?? []), ref]);
  }
  return [...byKind].map(([kind, list]) => (list.length <= 3 ? list.join(', ') : `${list.length} ${kind}s`)).join(', ');
}
