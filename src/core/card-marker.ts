/**
 * How mb-sync finds its cards again on a real Metabase, where `POST /api/card` ignores a client's
 * `entity_id` and mints its own (`create-card!`, queries/models/card.clj).
 *
 * Each managed card carries a marker in its `visualization_settings`, an open map Metabase stores as
 * sent and returns on every read: `{"mb-sync": {"project": …, "key": …, "nonce": …}}`. The key
 * survives renames and moves (it is not the name, nor the place); the project tells two projects on
 * one instance apart. The nonce is drawn afresh by each create request and sent with it, so the
 * marker is complete in one request:
 * - a copy made in Metabase ("Duplicate", "Save as new question", a dashboard duplicated with its
 *   questions) carries the marker as it was, nonce included: of the cards sharing one nonce, the
 *   oldest (lowest id) is the one mb-sync made, the others belong to whoever made them and are
 *   never touched;
 * - two runs creating the same card at once send two nonces: both cards are mb-sync's, the oldest
 *   stays and the later one is archived as a duplicate. So do a create and the same create sent
 *   again after a lost answer, when both land.
 * Markers written before nonces recorded the server-assigned `entity_id` in a second request; they
 * are still read (a card whose marker names another `entity_id` is a copy).
 */
export const MARKER_KEY = 'mb-sync';

export interface CardMarker {
  project: string;
  key: string;
  /** Drawn by the create that made the card (see above). */
  nonce?: string;
  /** The server-assigned entity_id, in markers written before nonces. */
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
  return { project: raw.project, key: raw.key, ...(typeof raw.nonce === 'string' ? { nonce: raw.nonce } : {}), ...(typeof raw.entity_id === 'string' ? { entity_id: raw.entity_id } : {}), ...(alerts && Object.keys(alerts).length > 0 ? { alerts } : {}) };
}

export function withMarker(settings: Record<string, unknown>, marker: CardMarker): Record<string, unknown> {
  return { ...settings, [MARKER_KEY]: { ...marker } };
}

export function withoutMarker(settings: Record<string, unknown> | null | undefined): Record<string, unknown> {
  const { [MARKER_KEY]: _marker, ...rest } = settings ?? {};
  return rest;
}

/**
 * How a live card relates to a project: its own (with a complete marker, or one from a create whose
 * second request never came: `unrecorded`), a copy made in Metabase, or unrelated.
 */
export type MarkerState = 'recorded' | 'unrecorded' | 'copy' | 'foreign';

export interface MarkedCard {
  id: number;
  entity_id?: unknown;
  visualization_settings?: unknown;
}

/** Every card's relation to the project; copies are told apart among all the cards given. */
export function classifyCards<C extends MarkedCard>(project: string, cards: readonly C[]): Map<C, { state: MarkerState; key?: string }> {
  const out = new Map<C, { state: MarkerState; key?: string }>();
  const firstOfNonce = new Map<string, C>();
  for (const card of cards) {
    const marker = readMarker(card.visualization_settings);
    if (marker === undefined || marker.project !== project) {
      out.set(card, { state: 'foreign' });
    } else if (marker.entity_id !== undefined) {
      out.set(card, { state: marker.entity_id === card.entity_id ? 'recorded' : 'copy', key: marker.key });
    } else if (marker.nonce !== undefined) {
      const nonceKey = `${marker.key}\u0000${marker.nonce}`;
      const first = firstOfNonce.get(nonceKey);
      if (first === undefined || card.id < first.id) firstOfNonce.set(nonceKey, card);
      out.set(card, { state: 'recorded', key: marker.key });
    } else {
      out.set(card, { state: 'unrecorded', key: marker.key });
    }
  }
  // Of the cards sharing a nonce, all but the oldest are copies.
  for (const card of cards) {
    const marker = readMarker(card.visualization_settings);
    if (marker?.nonce === undefined || marker.entity_id !== undefined || out.get(card)?.state !== 'recorded') continue;
    if (firstOfNonce.get(`${marker.key}\u0000${marker.nonce}`) !== card) out.set(card, { state: 'copy', key: marker.key });
  }
  return out;
}

/**
 * The other mb-sync project a card is the own card of (its marker names that project, and among
 * `cards` it is not a copy of one), or undefined: such a card is not this project's to take.
 */
export function otherOwner<C extends MarkedCard>(project: string, cards: readonly C[]): (card: C) => string | undefined {
  const byOwner = new Map<string, Map<C, { state: MarkerState }>>();
  return (card) => {
    const owner = readMarker(card.visualization_settings)?.project;
    if (owner === undefined || owner === project) return undefined;
    if (!byOwner.has(owner)) byOwner.set(owner, classifyCards(owner, cards));
    const state = byOwner.get(owner)!.get(card)?.state;
    return state === 'recorded' || state === 'unrecorded' ? owner : undefined;
  };
}
