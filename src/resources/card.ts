import { desiredCardBody, resultMetadataFor, type CardBody } from '../core/card-body.ts';
import { entityIdFor, isManagedEntityId } from '../core/entity-id.ts';
import { normalizeQuery } from '../core/normalize-query.ts';
import { resolveRefs } from '../core/refs.ts';
import { MetabaseHttpError } from '../metabase/errors.ts';
import type { ApplyContext, DesiredObject, LiveObject, ResourceHandler } from './types.ts';

/** Which model columns and attributes the files set: the server's result_metadata has all of them. */
const wantedColumns = new WeakMap<object, Record<string, string[]>>();

type LiveCard = Record<string, unknown> & { id: number; entity_id: string; name: string; archived: boolean; result_metadata?: Array<Record<string, unknown>> | null };

/**
 * Saved questions and models. Identity is a deterministic entity_id from (project, key): change a
 * card's name freely; a new key is a new card, and the old one is archived only with --allow-archive.
 */
export const cardHandler: ResourceHandler<CardBody, LiveCard> = {
  kind: 'card',
  readAfter: ['database', 'collection'],
  desired: (project) =>
    [...project.cards.values()].map((entry) => ({
      key: entry.card.key,
      body: desiredCardBody(project.config.project, project.config.database.key, entry),
      origin: entry.origin,
    })),
  async read(ctx) {
    const project = ctx.project.config.project;
    const keyOf = new Map([...ctx.project.cards.values()].map(({ card }) => [identityOf(project, card), card.key]));
    // Two bulk calls, whatever the number of cards: active ones and the Trash.
    const [active, archived] = await Promise.all([
      ctx.api.get<LiveCard[]>('/api/card', { params: { f: 'all' } }),
      ctx.api.get<LiveCard[]>('/api/card', { params: { f: 'archived' } }),
    ]);
    const out: LiveObject<LiveCard>[] = [];
    for (const card of [...active, ...archived]) {
      // Ours: derived from this project's keys, or adopted by `entity_id` in the files (onboarding).
      if (!isManagedEntityId(project, card.entity_id) && !keyOf.has(card.entity_id)) continue;
      const key = keyOf.get(card.entity_id) ?? `removed-${card.entity_id}`;
      if (keyOf.has(card.entity_id)) {
        ctx.refs.set('card', key, card.id);
        const columns = ctx.project.cards.get(key)?.card.columns;
        if (columns) wantedColumns.set(card, Object.fromEntries(Object.entries(columns).map(([name, c]) => [name, Object.keys(c).map((k) => (k === 'visibility' ? 'visibility_type' : k))])));
      }
      out.push({ key, id: card.id, raw: card, managed: true, archived: card.archived === true });
    }
    return out;
  },
  normalize(live, refs) {
    const card = live.raw;
    const body: CardBody = {
      name: card.name,
      description: (card.description as string | null) ?? null,
      type: (card.type as string) ?? 'question',
      display: card.display as string,
      collection: refs.toRef('collection', card.collection_id as number | null),
      visualization_settings: (card.visualization_settings as Record<string, unknown>) ?? {},
      dataset_query: normalizeQuery(card.dataset_query, refs),
    };
    if (card.type === 'model') body.columns = liveColumns(card, wantedColumns.get(card));
    return body;
  },
  async create(desired, ctx) {
    const entityId = identityOf(ctx.project.config.project, ctx.project.cards.get(desired.key)?.card ?? { key: desired.key });
    let id: number;
    try {
      id = (await ctx.api.post<{ id: number }>('/api/card', { ...requestBody(desired, ctx), entity_id: entityId })).id;
    } catch (error) {
      // The response was lost: the card may exist. Look it up by identity before anything else.
      if (!(error instanceof MetabaseHttpError && error.outcomeUnknown)) throw error;
      id = (await ctx.api.get<{ id: number }>(`/api/card/${entityId}`)).id;
    }
    ctx.refs.set('card', desired.key, id);
    return id;
  },
  async update(desired, live, ctx) {
    await ctx.api.put(`/api/card/${live.id}`, { ...requestBody(desired, ctx), archived: false });
  },
  async archive(live, ctx) {
    await ctx.api.put(`/api/card/${live.id}`, { archived: true });
  },
};

function identityOf(project: string, card: { key: string; entity_id?: string }): string {
  return card.entity_id ?? entityIdFor(project, 'card', card.key);
}

function requestBody(desired: DesiredObject<CardBody>, ctx: ApplyContext): Record<string, unknown> {
  const { columns, collection, ...rest } = resolveRefs(desired.body, ctx.refs) as unknown as CardBody & { collection: number | null };
  return {
    ...rest,
    collection_id: collection,
    ...(columns === undefined ? {} : { result_metadata: resultMetadataFor(columns) }),
  };
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
