import { alertHandler } from './alert.ts';
import { compareText } from '../core/compare-text.ts';
import { cardHandler } from './card.ts';
import { collectionPermissionsHandler } from './collection-permissions.ts';
import { collectionHandler } from './collection.ts';
import { dashboardHandler } from './dashboard.ts';
import { databaseHandler } from './database.ts';
import { groupHandler } from './group.ts';
import { subscriptionHandler } from './subscription.ts';
import { tableMetadataHandler } from './table-metadata.ts';
import type { ResourceHandler } from './types.ts';

/**
 * Every resource kind. The apply order is derived from each handler's `dependsOn` (a kind after the
 * kinds it needs; ties by name, so the order never depends on this list's): groups and the database
 * first, its sync and metadata, collections and their permissions, cards, then dashboards, alerts and
 * subscriptions (metabase-api.md §10). The plan lists the stages in this order; the apply runs each
 * as soon as the kinds it needs are done, so kinds that need nothing of each other go together.
 * Adding a kind = one handler file + one entry here.
 */
export const handlers: ResourceHandler[] = inApplyOrder([
  alertHandler,
  cardHandler,
  collectionHandler,
  collectionPermissionsHandler,
  dashboardHandler,
  databaseHandler,
  groupHandler,
  subscriptionHandler,
  tableMetadataHandler,
] as ResourceHandler[]);

/** A topological order of the kinds by `dependsOn`; a cycle or an unknown kind is a programming error. */
export function inApplyOrder(list: readonly ResourceHandler[]): ResourceHandler[] {
  const byKind = new Map(list.map((h) => [h.kind, h]));
  for (const h of list) for (const d of h.dependsOn) if (!byKind.has(d)) throw new Error(`${h.kind} depends on ${d}, which has no handler`);
  const ordered: ResourceHandler[] = [];
  const placed = new Set<string>();
  while (ordered.length < list.length) {
    const ready = list.filter((h) => !placed.has(h.kind) && h.dependsOn.every((d) => placed.has(d))).sort((a, b) => compareText(a.kind, b.kind));
    if (ready.length === 0) throw new Error(`resource kinds depend on each other: ${list.filter((h) => !placed.has(h.kind)).map((h) => h.kind).join(', ')}`);
    // One at a time: the first ready kind by name, then look again (a kind comes as early as it can).
    ordered.push(ready[0]!);
    placed.add(ready[0]!.kind);
  }
  return ordered;
}
