import type { ElementChange, FieldChange } from '../../core/plan.ts';
import { DIGEST_KEY } from '../../core/secret-digest.ts';

/** An action's changes as renderers show them: plain fields, and keyed arrays element by element. */
export type ChangeGroup =
  | { type: 'field'; change: FieldChange }
  | { type: 'array'; array: string; elements: ElementGroup[] };

export interface ElementGroup {
  key: string;
  label: string;
  op: ElementChange['op'];
  /** The whole element, for add and remove. */
  body: unknown;
  /** For change: the fields that changed, paths relative to the element. */
  fields: FieldChange[];
}

/** Groups in the order the changes come, each array where its first change is. */
export function groupChanges(changes: FieldChange[]): ChangeGroup[] {
  const groups: ChangeGroup[] = [];
  const arrays = new Map<string, { type: 'array'; array: string; elements: ElementGroup[] }>();
  for (const change of changes) {
    const { element } = change;
    if (element === undefined) {
      groups.push({ type: 'field', change: change.path.includes(DIGEST_KEY) ? hideDigest(change) : change });
      continue;
    }
    let group = arrays.get(element.array);
    if (group === undefined) {
      group = { type: 'array', array: element.array, elements: [] };
      arrays.set(element.array, group);
      groups.push(group);
    }
    let entry = group.elements.find((e) => e.key === element.key);
    if (entry === undefined) {
      entry = { key: element.key, label: elementLabel(element.array, element.key), op: element.op, body: element.op === 'remove' ? change.before : change.after, fields: [] };
      group.elements.push(entry);
    }
    if (element.op === 'change') entry.fields.push({ path: element.field || '(element)', before: change.before, after: change.after });
  }
  return groups;
}

/**
 * The database password's digest is no secret, but a pull-request comment is no place for anything
 * derived from one: a changed digest reads as a changed password.
 */
function hideDigest(change: FieldChange): FieldChange {
  return { path: change.path.replace(/\.?\[?"?mb-sync-secret-digest"?\]?$/, '.password'), before: '(hidden)', after: '(changed)' };
}

/** `card spend-by-module`, `card spend (#2)`, `heading "Spend"`, `tab "Overview"`, `filter period`. */
export function elementLabel(array: string, key: string): string {
  const [base, copy] = key.split(/#(?=\d+$)/);
  const suffix = copy === undefined ? '' : ` (#${copy})`;
  const noun = /(^|\.)tabs$/.test(array) ? 'tab' : /(^|\.)(parameters|parameter_mappings)$/.test(array) ? 'filter' : /(^|\.)columns$/.test(array) ? 'column' : undefined;
  if (noun === 'tab') return `tab ${JSON.stringify(key)}`;
  if (noun !== undefined) return `${noun} ${key}`;
  const ref = /^([a-z]+):(.*)$/s.exec(base!);
  if (ref === null) return key;
  const [, kind, name] = ref;
  return kind === 'heading' || kind === 'text' ? `${kind} ${JSON.stringify(name)}${suffix}` : `${kind} ${name}${suffix}`;
}

/** Where an added element goes, when it says: a dashcard's place and size, a filter's type. */
export function elementSummary(body: unknown): string {
  if (typeof body !== 'object' || body === null) return '';
  const b = body as Record<string, unknown>;
  if ([b.row, b.col, b.size_x, b.size_y].every((n) => typeof n === 'number')) {
    return ` at (row ${b.row as number}, col ${b.col as number}), size ${b.size_x as number}×${b.size_y as number}${typeof b.tab === 'number' ? `, tab ${b.tab + 1}` : ''}`;
  }
  if (typeof b.type === 'string') return ` (${b.type})`;
  return '';
}

/** Strings shown as a line diff rather than one cut line: SQL, markdown, anything long. */
export function isLongText(before: unknown, after: unknown): boolean {
  if (typeof before !== 'string' && typeof after !== 'string') return false;
  if ((before !== null && before !== undefined && typeof before !== 'string') || (after !== null && after !== undefined && typeof after !== 'string')) return false;
  const texts = [before, after].filter((t): t is string => typeof t === 'string');
  return texts.some((t) => t.includes('\n') || t.length > 80);
}

/**
 * One field of a changed element as `path before → after`; a nested element that appeared or went
 * (a filter mapping of a dashcard) as `path added: value` / `path removed`.
 */
export function describeField(field: FieldChange, show: (value: unknown) => string, path = field.path): string {
  const composite = (v: unknown) => typeof v === 'object' && v !== null;
  if ((field.before === null || field.before === undefined) && composite(field.after)) return `${path} added: ${show(field.after)}`;
  if ((field.after === null || field.after === undefined) && composite(field.before)) return `${path} removed`;
  return `${path} ${show(field.before)} → ${show(field.after)}`;
}
