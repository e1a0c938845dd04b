import type { FieldChange } from './plan.ts';
import { isRef } from './refs.ts';

/**
 * Structural, field-level comparison of two normalised objects. Objects are compared key by key,
 * arrays element by element (a length change reports the whole array when elements are scalars,
 * otherwise per index plus added/removed entries), refs as values.
 */
export function diffValues(before: unknown, after: unknown, path = ''): FieldChange[] {
  if (deepEqual(before, after)) return [];
  if (isPlainObject(before) && isPlainObject(after) && !isRef(before) && !isRef(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => diffValues(before[key], after[key], join(path, key)));
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length && before.some(isComposite)) {
    return before.flatMap((item, index) => diffValues(item, after[index], `${path}[${index}]`));
  }
  return [{ path: path || '(root)', before, after }];
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  // Absent and null mean the same thing in a normalised body.
  if ((a === undefined || a === null) && (b === undefined || b === null)) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) if (!deepEqual(a[key], b[key])) return false;
    return true;
  }
  return false;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isComposite(value: unknown): boolean {
  return typeof value === 'object' && value !== null;
}

function join(path: string, key: string): string {
  if (!/^[A-Za-z_][\w-]*$/.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path === '' ? key : `${path}.${key}`;
}
