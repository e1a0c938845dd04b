/**
 * How mb-sync finds its cards again on a real Metabase, where `POST /api/card` ignores a client's
 * `entity_id` and mints its own (`create-card!`, queries/models/card.clj).
 *
 * Each managed card carries a marker in its `visualization_settings`, an open map Metabase stores as
 * sent and returns on every read: `{"mb-sync": {"project": …, "key": …, "entity_id": …}}`. The key
 * survives renames and moves (it is not the name, nor the place); the project tells two projects on
 * one instance apart. The create sends the marker without `entity_id` (the server has not chosen it
 * yet) and the very next request records the `entity_id` the server assigned: a card whose marker
 * names another card's `entity_id` is a copy made in Metabase ("Duplicate", "Save as new
 * question"), which belongs to whoever made it and is never touched.
 */
export const MARKER_KEY = 'mb-sync';

export interface CardMarker {
  project: string;
  key: string;
  /** The server-assigned entity_id, once recorded. */
  entity_id?: string;
  /**
   * The alerts on this card that mb-sync made, by alert key → notification id. A notification has no
   * field of its own to carry a marker, so the card it watches records them; notifications people
   * add on the card themselves are not in it and are never touched.
   */
  alerts?: Record<string, number>;
}

export function readMarker(settings: unknown): CardMarker | undefined {
  const raw = (settings as Record<string, unknown> | null | undefined)?.[MARKER_KEY] as Record<string, unknown> | undefined;
  if (typeof raw !== 'object' || raw === null || typeof raw.project !== 'string' || typeof raw.key !== 'string') return undefined;
  const alerts = typeof raw.alerts === 'object' && raw.alerts !== null ? Object.fromEntries(Object.entries(raw.alerts).filter(([, id]) => Number.isInteger(id))) as Record<string, number> : undefined;
  return { project: raw.project, key: raw.key, ...(typeof raw.entity_id === 'string' ? { entity_id: raw.entity_id } : {}), ...(alerts && Object.keys(alerts).length > 0 ? { alerts } : {}) };
}

export function withMarker(settings: Record<string, unknown>, marker: CardMarker): Record<string, unknown> {
  return { ...settings, [MARKER_KEY]: { ...marker } };
}

export function withoutMarker(settings: Record<string, unknown> | null | undefined): Record<string, unknown> {
  const { [MARKER_KEY]: _marker, ...rest } = settings ?? {};
  return rest;
}

/** How a live card relates to a project: its own (recorded or not yet), a copy made in Metabase, or unrelated. */
export type MarkerState = 'recorded' | 'unrecorded' | 'copy' | 'foreign';

export function markerState(project: string, card: { entity_id?: unknown; visualization_settings?: unknown }): { state: MarkerState; key?: string } {
  const marker = readMarker(card.visualization_settings);
  if (marker === undefined || marker.project !== project) return { state: 'foreign' };
  if (marker.entity_id === undefined) return { state: 'unrecorded', key: marker.key };
  return marker.entity_id === card.entity_id ? { state: 'recorded', key: marker.key } : { state: 'copy', key: marker.key };
}
