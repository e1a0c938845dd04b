/**
 * How mb-sync tells the collections it made from everyone else's. A collection has no field a
 * client may fill at will (`POST /api/collection` takes name, description, parent_id, namespace,
 * authority_level; no entity_id, no settings map), so the marker is the last line of its
 * description, where people see it too:
 *
 *     Tableaux de bord Phoenix.
 *
 *     Managed by mb-sync (phoenix/phoenix-alerts): edit it in git.
 *
 * `phoenix` is the project, `phoenix-alerts` the collection's key in the files: the marker survives
 * a rename and a move made in Metabase (both then show as drift), and it is what lets a collection
 * removed from the files be listed — and archived with --allow-archive — without ever touching a
 * collection a person made with the same name.
 */
const MARKER_LINE = /(?:^|\n)[ \t]*Managed by mb-sync \(([^/\s()]+)\/([^\s()]+)\)[^\n]*\s*$/;

export interface CollectionMarker {
  project: string;
  key: string;
}

export function collectionMarkerLine(marker: CollectionMarker): string {
  return `Managed by mb-sync (${marker.project}/${marker.key}): edit it in git.`;
}

/** The description mb-sync writes: the declared one (if any), a blank line, the marker. */
export function withCollectionMarker(description: string | null | undefined, marker: CollectionMarker): string {
  const own = withoutCollectionMarker(description);
  return own === null ? collectionMarkerLine(marker) : `${own}\n\n${collectionMarkerLine(marker)}`;
}

export function readCollectionMarker(description: unknown): CollectionMarker | undefined {
  if (typeof description !== 'string') return undefined;
  const match = MARKER_LINE.exec(description);
  return match ? { project: match[1]!, key: match[2]! } : undefined;
}

/** The description as people wrote it: the marker line taken off (written again, never twice). */
export function withoutCollectionMarker(description: string | null | undefined): string | null {
  if (description == null) return null;
  const own = description.replace(MARKER_LINE, '').trimEnd();
  return own === '' ? null : own;
}
