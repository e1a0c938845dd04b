import { isRef } from './refs.ts';

/**
 * Arrays whose elements have an identity of their own in the normalised bodies, and the key each
 * element is known by in a plan (`dashcards[card:spend-by-module]`). Diffing them by key is what
 * makes one added dashcard read as one added dashcard.
 */
export interface KeyedArraySpec {
  /** The element's key, or undefined when it has none (the array is then compared by index). */
  key(element: unknown): string | undefined;
  /** Whether the order is meaningful (tabs, filters): a new order is reported as a change of its own. */
  ordered: boolean;
  /** Numbers repeated keys (`card:x#2`) instead of giving up: a card may sit twice on a dashboard. */
  numberRepeats?: boolean;
}

const KEYED: Record<string, KeyedArraySpec> = {
  // Dashcards are sorted by position when normalised: their order follows from row and col.
  dashcards: { key: dashcardKey, ordered: false, numberRepeats: true },
  tabs: { key: (tab) => stringField(tab, 'name'), ordered: true },
  parameters: { key: (parameter) => stringField(parameter, 'id'), ordered: true },
  parameter_mappings: { key: (mapping) => stringField(mapping, 'parameter_id'), ordered: false },
  // Alerts: `{ group: ref }` or `{ email }`; subscriptions: e-mail addresses (both kept sorted).
  recipients: { key: recipientKey, ordered: false },
  // A subscription's cards, by the dashcard they show.
  cards: { key: (card) => refField(card, 'dashcard'), ordered: true },
  columns: { key: (column) => stringField(column, 'name'), ordered: true },
};

/** The spec for the array at `path` (by its last field name), if it is a keyed one. */
export function keyedArray(path: string): KeyedArraySpec | undefined {
  const name = /(?:^|\.)([A-Za-z_][\w-]*)$/.exec(path)?.[1];
  return name === undefined ? undefined : KEYED[name];
}

/** One key per element, in order; undefined when an element has none or two share one. */
export function elementKeys(spec: KeyedArraySpec, elements: unknown[]): string[] | undefined {
  const keys: string[] = [];
  const seen = new Map<string, number>();
  for (const element of elements) {
    const key = spec.key(element);
    if (key === undefined) return undefined;
    const count = (seen.get(key) ?? 0) + 1;
    seen.set(key, count);
    if (count > 1 && !spec.numberRepeats) return undefined;
    // Same numbering as the subscriptions' dashcard refs (`dashboard/card#2`).
    keys.push(count > 1 ? `${key}#${count}` : key);
  }
  return keys;
}

function dashcardKey(dashcard: unknown): string | undefined {
  if (typeof dashcard !== 'object' || dashcard === null) return undefined;
  const { card, visualization_settings: settings } = dashcard as { card?: unknown; visualization_settings?: Record<string, unknown> };
  if (isRef(card)) return card.$ref;
  // Text and heading cards have no card: they are known by what they say.
  const display = (settings?.virtual_card as { display?: unknown } | undefined)?.display;
  const text = typeof settings?.text === 'string' ? settings.text.split('\n')[0]!.trim() : '';
  if (typeof display !== 'string') return undefined;
  return `${display}:${text.length > 40 ? `${text.slice(0, 39)}…` : text}`;
}

function recipientKey(recipient: unknown): string | undefined {
  if (typeof recipient === 'string') return recipient;
  return refField(recipient, 'group') ?? stringField(recipient, 'email');
}

function stringField(element: unknown, field: string): string | undefined {
  const value = typeof element === 'object' && element !== null ? (element as Record<string, unknown>)[field] : undefined;
  return typeof value === 'string' ? value : undefined;
}

function refField(element: unknown, field: string): string | undefined {
  const value = typeof element === 'object' && element !== null ? (element as Record<string, unknown>)[field] : undefined;
  return isRef(value) ? value.$ref : undefined;
}
