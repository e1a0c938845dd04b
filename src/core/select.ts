import type { Action, Stage } from './plan.ts';
import { collectRefs } from './refs.ts';
import { didYouMean } from './suggest.ts';

/**
 * `--select` (Terraform's -target, dbt's --select): the plan keeps the objects named, and what they
 * need (what their bodies refer to, transitively), never what depends on them.
 *
 *   card:spend-by-module   dashboard:energie-live   alert:*   card:spend-*   card.spend-by-module
 */
export interface Selector {
  text: string;
  kind: string;
  pattern: RegExp;
}

export function parseSelectors(texts: readonly string[], kinds: readonly string[]): Selector[] {
  return texts.flatMap((t) => t.split(',')).map((t) => t.trim()).filter(Boolean).map((text) => {
    const match = /^([a-z-]+)[:.](.+)$/.exec(text);
    if (!match) throw new SelectError(`--select ${text}: write kind:key, e.g. dashboard:energie-live, card:spend-*, alert:*`);
    const [, kind, key] = match as unknown as [string, string, string];
    if (!kinds.includes(kind)) throw new SelectError(`--select ${text}: no kind "${kind}"${didYouMean(kind, [...kinds])} (kinds: ${kinds.join(', ')})`);
    const pattern = new RegExp(`^${key.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    return { text, kind, pattern };
  });
}

export class SelectError extends Error {}

/** The refs each desired object's body holds, by `kind:key`. */
export type RefsOf = (kind: string, key: string) => Iterable<string>;

/**
 * The objects a selection keeps: those it names, then everything they refer to. A table or field
 * ref brings the database (its sync makes them); a dashcard ref its dashboard and card; a
 * collection the permissions that protect it (a new collection is never left open without them).
 */
export function selectedAddresses(selectors: readonly Selector[], candidates: ReadonlyArray<{ kind: string; key: string }>, refsOf: RefsOf): { keep: Set<string>; unmatched: Selector[] } {
  const keep = new Set<string>();
  const unmatched: Selector[] = [];
  const queue: string[] = [];
  for (const selector of selectors) {
    const hits = candidates.filter((c) => c.kind === selector.kind && selector.pattern.test(c.key));
    if (hits.length === 0) unmatched.push(selector);
    for (const hit of hits) queue.push(`${hit.kind}:${hit.key}`);
  }
  const ids = new Set(candidates.map((c) => `${c.kind}:${c.key}`));
  const keysOf = (kind: string) => candidates.filter((c) => c.kind === kind).map((c) => c.key);
  const permissions = keysOf('collection-permissions');
  const databases = keysOf('database');
  const add = (id: string) => {
    if (!keep.has(id)) queue.push(id);
  };
  while (queue.length > 0) {
    const id = queue.pop()!;
    if (keep.has(id)) continue;
    keep.add(id);
    const at = id.indexOf(':');
    const kind = id.slice(0, at);
    const key = id.slice(at + 1);
    if (kind === 'collection') for (const p of permissions) if (p.endsWith(`/${key}`)) add(`collection-permissions:${p}`);
    for (const ref of refsOf(kind, key)) {
      const refAt = ref.indexOf(':');
      const refKind = ref.slice(0, refAt);
      const name = ref.slice(refAt + 1);
      if (refKind === 'table' || refKind === 'field') for (const db of databases) add(`database:${db}`);
      else if (refKind === 'dashcard') {
        add(`dashboard:${name.split('/')[0]}`);
        add(`card:${(name.split('/')[1] ?? '').split('#')[0]}`);
      } else if (ids.has(ref)) add(ref);
    }
  }
  // A second copy mb-sync made of a kept object (two runs at once, `card:key~id`) goes with it.
  for (const c of candidates) {
    const at = c.key.indexOf('~');
    if (at > 0 && keep.has(`${c.kind}:${c.key.slice(0, at)}`)) keep.add(`${c.kind}:${c.key}`);
  }
  return { keep, unmatched };
}

/** The stages and orphans with only the kept objects. */
export function keepSelected(stages: Stage[], orphans: Action[], keep: ReadonlySet<string>): { stages: Stage[]; orphans: Action[] } {
  const kept = (a: Action) => keep.has(`${a.kind}:${a.key}`);
  return { stages: stages.map((s) => ({ ...s, actions: s.actions.filter(kept) })), orphans: orphans.filter(kept) };
}

/** `collectRefs` over a body, as the RefsOf a selection needs. */
export function refsOfBodies(bodies: ReadonlyMap<string, ReadonlyArray<{ key: string; body: unknown }>>): RefsOf {
  const byId = new Map([...bodies].flatMap(([kind, objects]) => objects.map((o) => [`${kind}:${o.key}`, o.body] as const)));
  return (kind, key) => (byId.has(`${kind}:${key}`) ? collectRefs(byId.get(`${kind}:${key}`)) : []);
}
