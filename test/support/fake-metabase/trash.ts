import type { Row } from './state.ts';

/**
 * How Metabase (0.50+) records where an archived card or dashboard is. `archived_directly` tells
 * the ones moved to the Trash on their own (PUT {archived: true}) from those archived because their
 * collection was (archive-collection!, collections/models/collection.clj, in routes/collection.ts).
 * The first are listed among the Trash's items and no longer under their collection, and read back
 * as being in the Trash; the others stay listed under their (archived) collection.
 */

/**
 * updates-with-archived-directly (api/common.clj), applied by PUT /api/card/:id and
 * PUT /api/dashboard/:id: when `archived` changes, `archived_directly` takes its new value (false on
 * a restore), and a `collection_id` sent with an archive is ignored (the item keeps its collection).
 */
export function withArchivedDirectly(row: Row, updates: Record<string, unknown>): Record<string, unknown> {
  if (!('archived' in updates) || Boolean(updates.archived) === Boolean(row.archived)) return updates;
  if (!updates.archived) return { ...updates, archived_directly: false };
  const { collection_id: _ignored, ...rest } = updates;
  return { ...rest, archived_directly: true };
}

/**
 * present-in-trash-if-archived-directly (api/common.clj), applied by GET /api/card/:id and
 * GET /api/dashboard/:id (not by the lists): an item archived on its own reads as being in the
 * Trash. Its hydrated `collection` (the fake hydrates it on dashboards), filled in before, is still
 * the one it was in.
 */
export function presentInTrash<T extends Row>(row: T, trash: Row): T {
  return row.archived_directly === true ? { ...row, collection_id: trash.id } : row;
}
