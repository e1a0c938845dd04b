import { compileCard, overlayColumns, type CardBody, type CardWire } from '../core/card-body.ts';
import { randomUUID } from 'node:crypto';
import { classifyCards, otherOwner, readMarker, withMarker, withoutMarker, type CardMarker } from '../core/card-marker.ts';
import { normalizeQuery } from '../core/normalize-query.ts';
import { resolveRefs, type Resolved } from '../core/refs.ts';
import { Shapes } from '../metabase/shapes.ts';
import { ConfigError } from '../core/errors.ts';
import { adoptedCardKeys } from '../core/pull-identity.ts';
import { createOnce } from './create-once.ts';
import { settleModelColumns } from './settle-model-columns.ts';
import type { MetabaseApi } from '../metabase/types.ts';
import type { ApplyContext, DesiredObject, LiveObject, ResourceHandler } from './types.ts';

type LiveCard = Record<string, unknown> & {
  id: number;
  entity_id: string;
  name: string;
  archived: boolean;
  visualization_settings?: Record<string, unknown> | null;
  result_metadata?: Array<Record<string, unknown>> | null;
};

/** What read() learned about one live card that normalize() needs. */
interface CardFacts {
  /** Model columns and the attributes the files set on them (only those are compared). */
  wantedColumns?: Record<string, string[]>;
  identity: 'recorded' | 'unrecorded';
  /** Whether the marker it carries (if any) is its own for this key: else an update writes a new one. */
  ownMarker: boolean;
}

/** The compare form, plus whether the card's marker records its entity_id yet. */
type CardState = CardBody & { identity: 'recorded' | 'unrecorded' };

/**
 * Saved questions and models. Identity is the marker mb-sync writes in the card's
 * visualization_settings (src/core/card-marker.ts): change a card's name or move it freely; a new
 * key is a new card, and the old one is archived only with --allow-archive.
 */
export const cardHandler: ResourceHandler<CardState, LiveCard> = {
  kind: 'card',
  dependsOn: ['database', 'table-metadata', 'collection'],
  // The Trash is asked for at once, the database's cards once its id is known; the collections are
  // waited for only before returning (normalize names a card's collection by its key).
  readAfter: [],
  *desired(project) {
    for (const entry of project.cards.values()) {
      const compiled = compileCard(project.config.project, project.config.database.key, entry);
      // wire and sources stay lazy: a plan that writes nothing never compiles the uuids in.
      yield {
        key: entry.card.key,
        body: { ...compiled.compare, identity: 'recorded' as const },
        get wire() { return compiled.wire; },
        get sources() { return compiled.sources; },
        origin: entry.origin,
      };
    }
  },
  async read(ctx) {
    const project = ctx.project.config.project;
    const adopted = adoptedCardKeys(ctx.project);
    // The Trash at once (its failure reported as soon as it comes), the database's cards once its id is known.
    const [trash] = await Promise.all([listTrash(ctx.api), ctx.after('database')]);
    const databaseId = ctx.refs.id('database', ctx.project.config.database.key);
    const active = await listActive(ctx.api, databaseId);
    // Every card that says it is one of this project's, by key; copies made in Metabase are not.
    const taken: Array<{ key: string; card: LiveCard; owner: string }> = [];
    const claimsOf = (cards: LiveCard[]) => {
      const claims = new Map<string, Array<{ card: LiveCard; pinned: boolean; recorded: boolean; own: boolean }>>();
      const identities = classifyCards(project, cards);
      const ownerOf = otherOwner(project, cards);
      for (const card of cards) {
        const adoptedKey = adopted.get(card.entity_id);
        const { state, key } = identities.get(card)!;
        // Pinned by entity_id while it carries another mb-sync project's marker: taking it would
        // take that project's card away from it (its next plan would make a new one).
        // (A copy made in Metabase carries the original's marker but is nobody's: it may be taken.)
        const owner = adoptedKey === undefined ? undefined : ownerOf(card);
        if (owner !== undefined) taken.push({ key: adoptedKey!, card, owner });
        const claimKey = adoptedKey ?? (state === 'recorded' || state === 'unrecorded' ? key : undefined);
        if (claimKey === undefined) continue;
        const list = claims.get(claimKey) ?? [];
        // A card adopted by its entity_id (pulled) is recorded once it carries this project's marker
        // for its key: until then the plan shows it and the apply marks it, or removing its file
        // would leave it unlisted. Its marker counts only if it is its own (not a copy's, not another key's).
        const own = (state === 'recorded' || state === 'unrecorded') && key === claimKey;
        list.push({ card, pinned: adoptedKey !== undefined, recorded: own && state === 'recorded', own });
        claims.set(claimKey, list);
      }
      return claims;
    };
    // Active cards first, then the Trash's, each as the server lists them (the live side of a plan is
    // fingerprinted in this order: a saved plan is checked against a fresh read). A card brought back
    // from the Trash between the two lists is in both: as the later one, the active list, says.
    const inOrder = (trashed: LiveCard[]) => {
      const ids = new Set(active.map((card) => card.id));
      return [...active, ...trashed.filter((card) => !ids.has(card.id))];
    };
    let cards = inOrder(trash);
    let claims = claimsOf(cards);
    // One moved to the Trash between them is in neither, and would be planned as a new card: when a
    // card of the files was found in neither, the Trash is read again, after the active list (one
    // round trip more, for a plan with a card to create). A card someone trashed while a copy of it
    // made in Metabase stays active is not caught so: its key is claimed (by the copy).
    if (databaseId !== undefined && [...ctx.project.cards.keys()].some((key) => !claims.has(key))) {
      const again = await listTrash(ctx.api);
      const seen = new Set(again.map((card) => card.id));
      // The second list's order (what a fresh read would give), and what only the first one had.
      cards = inOrder([...again, ...trash.filter((card) => !seen.has(card.id))]);
      claims = claimsOf(cards);
    }
    if (taken.length > 0) {
      throw new ConfigError([...new Map(taken.map((t) => [t.key, t])).values()].map(({ key, card, owner }) => {
        const origin = ctx.project.cards.get(key)!.origin;
        return { file: origin.file, path: [origin.path, 'entity_id'].filter(Boolean).join('.'), ...(origin.line === undefined ? {} : { line: origin.line }), message: `card.${key}: entity_id ${card.entity_id} is "${card.name}" (id ${card.id}), a card of the mb-sync project "${owner}": a project does not take another's cards; remove entity_id to make a card of its own` };
      }));
    }
    const out: LiveObject<LiveCard>[] = [];
    for (const [key, list] of claims) {
      // The one that stays: the one the files name by entity_id, recorded before unrecorded, active
      // before archived, oldest first.
      list.sort((a, b) => Number(b.pinned) - Number(a.pinned) || Number(b.recorded) - Number(a.recorded) || Number(a.card.archived) - Number(b.card.archived) || a.card.id - b.card.id);
      const [kept, ...extra] = list;
      const columns = ctx.project.cards.get(key)?.card.columns;
      const facts: CardFacts = {
        identity: kept!.recorded ? 'recorded' : 'unrecorded',
        ownMarker: kept!.own,
        ...(columns ? { wantedColumns: Object.fromEntries(Object.entries(columns).map(([name, c]) => [name, Object.keys(c).map((k) => (k === 'visibility' ? 'visibility_type' : k))])) } : {}),
      };
      if (ctx.project.cards.has(key)) ctx.refs.set('card', key, kept!.card.id);
      out.push({ key, id: kept!.card.id, raw: kept!.card, managed: true, archived: kept!.card.archived === true, facts });
      // Two runs at once can both create a card: the later copies carry this project's marker
      // and were made by mb-sync, so they are archived (the plan says so).
      for (const { card } of extra) {
        if (card.archived) continue;
        out.push({ key: `${key}~${card.id}`, id: card.id, raw: card, managed: true, duplicateOf: key, facts });
      }
    }
    await ctx.after('collection');
    return out;
  },
  normalize(live, refs) {
    const card = live.raw;
    const facts = live.facts as CardFacts | undefined;
    const body: CardState = {
      name: card.name,
      description: (card.description as string | null) ?? null,
      type: (card.type as string) ?? 'question',
      display: card.display as string,
      collection: refs.toRef('collection', card.collection_id as number | null),
      visualization_settings: withoutMarker(card.visualization_settings),
      dataset_query: normalizeQuery(card.dataset_query, refs),
      identity: facts?.identity ?? 'unrecorded',
    };
    if (card.type === 'model') body.columns = liveColumns(card, facts?.wantedColumns);
    return body;
  },
  async create(desired, ctx) {
    const project = ctx.project.config.project;
    const wire = wireBody(desired, ctx);
    // A fresh nonce per request: the marker is complete in this one request (src/core/card-marker.ts).
    // Each attempt draws its own, so that if an earlier attempt whose answer was lost lands after a
    // later one, the two cards are both mb-sync's (the later one is archived as a duplicate by the
    // next plan), not a card and a "copy" no plan would ever list.
    const nonces: string[] = [];
    const send = () => {
      const nonce = randomUUID();
      nonces.push(nonce);
      const marker: CardMarker = { project, key: desired.key, nonce };
      const body = { ...wire, visualization_settings: withMarker(wire.visualization_settings, marker) };
      return ctx.api.post<LiveCard>('/api/card', body, { schema: Shapes.card });
    };
    // Looked up by its marker when the answer was lost (any attempt of this very create, by its
    // nonce), and created again only if it is not there.
    const created = await createOnce(
      send,
      // Only an active card can be this create: the Trash is not read.
      async () => (await listActive(ctx.api, ctx.refs.id('database', ctx.project.config.database.key))).filter((c) => !c.archived && nonces.includes(readMarker(c.visualization_settings)?.nonce ?? '')).sort((a, b) => a.id - b.id)[0],
    );
    ctx.refs.set('card', desired.key, created.id);
    // A model gets its column metadata over the columns the server computed for it, once it has.
    const edits = columnEdits(desired);
    if (edits) await settleModelColumns(ctx, desired.key, created, edits);
    return created.id;
  },
  async update(desired, live, ctx) {
    const wire = wireBody(desired, ctx);
    // A marker copied from another card, or another key's (a card adopted by its entity_id), is
    // not kept: its nonce and alerts are that card's. (Another project's card is refused in read.)
    const own = (live.facts as CardFacts | undefined)?.ownMarker !== false;
    const { project: _p, key: _k, ...kept }: Partial<CardMarker> = (own ? readMarker(live.raw.visualization_settings) : undefined) ?? {};
    // The nonce (or the entity_id of an older marker) and the alerts the marker records stay
    // (src/resources/alert.ts); a marker with neither gets its nonce now.
    const marker: CardMarker = { ...kept, project: ctx.project.config.project, key: desired.key, ...(kept.nonce === undefined && kept.entity_id === undefined ? { nonce: randomUUID() } : {}) };
    const answer = await ctx.api.put<Partial<LiveCard> | undefined>(`/api/card/${live.id}`, {
      ...wire,
      visualization_settings: withMarker(wire.visualization_settings, marker),
      ...modelMetadata(desired, live.raw),
      archived: false,
    });
    // A changed query's columns may come later than the answer (or a model had none to edit yet).
    const edits = columnEdits(desired);
    if (edits) await settleModelColumns(ctx, desired.key, { id: live.raw.id, result_metadata: answer?.result_metadata ?? null }, edits);
  },
  async archive(live, ctx) {
    await ctx.api.put(`/api/card/${live.id}`, { archived: true });
  },
};

/*
 * The cards that can be this project's: the active cards of its database (a card always belongs to
 * the database it queries), and every card in the Trash. Two bulk calls, whatever the number of
 * cards; the instance's other databases, often most of its cards, are not read at all.
 */
const listActive = async (api: MetabaseApi, databaseId: number | string | undefined): Promise<LiveCard[]> =>
  // No database yet: none of its cards can exist.
  databaseId === undefined ? [] : api.get<LiveCard[]>('/api/card', { params: { f: 'database', model_id: databaseId }, schema: Shapes.cards });
const listTrash = (api: MetabaseApi): Promise<LiveCard[]> => api.get<LiveCard[]>('/api/card', { params: { f: 'archived' }, schema: Shapes.cards });

function wireBody(desired: DesiredObject<CardState>, ctx: ApplyContext): Resolved<CardWire> {
  return resolveRefs(desired.wire as CardWire, ctx.refs);
}

/** The column edits of a model of the files, if it makes any. */
function columnEdits(desired: DesiredObject<CardState>): Record<string, Record<string, unknown>> | undefined {
  const edits = desired.body.columns;
  return desired.body.type === 'model' && edits !== undefined && Object.keys(edits).length > 0 ? edits : undefined;
}

/** A model's result_metadata: the server's whole columns with the files' edits over them. */
function modelMetadata(desired: DesiredObject<CardState>, live: LiveCard): { result_metadata?: Array<Record<string, unknown>> } {
  const edits = columnEdits(desired);
  if (edits === undefined) return {};
  const columns = live.result_metadata ?? [];
  if (columns.length === 0) return {};
  return { result_metadata: overlayColumns(columns, edits) };
}

/** The column edits a model carries in result_metadata, limited to the attributes mb-sync sets. */
function liveColumns(card: LiveCard, wanted: Record<string, string[]> = {}): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, keys] of Object.entries(wanted)) {
    const column = (card.result_metadata ?? []).find((c) => c.name === name);
    out[name] = Object.fromEntries(keys.map((k) => [k, column?.[k] ?? null]));
  }
  return out;
}
