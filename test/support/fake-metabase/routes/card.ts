import { invalid, nonBlank, ok, oneOf, pick, type Request } from '../http.ts';
import { normalizeQueryOnWrite, queryForRead, resultMetadata } from '../mbql.ts';
import { notFound, type Route, type ServerContext } from '../router.ts';
import { nanoid, nextId, now, type FakeState, type Row } from '../state.ts';
import { presentInTrash, withArchivedDirectly } from '../trash.ts';

type Columns = Array<Record<string, unknown>>;
/** A query as compared by save-metadata-async! and maybe-async-result-metadata: its value, not its key order. */
const canonical = (value: unknown): string => JSON.stringify(value, (_k, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v));
const isNative = (query: unknown) => ((query as Record<string, unknown>).stages as Array<Record<string, unknown>>)[0]?.['lib/type'] === 'mbql.stage/native';
const present = (columns: unknown): columns is Columns => Array.isArray(columns) && columns.length > 0;
/** What survives of saved columns on fresh ones, by name (combine-metadata, query_processor/util.clj). */
const PRESERVED = ['id', 'description', 'display_name', 'semantic_type', 'fk_target_field_id', 'settings', 'visibility_type'];
const blend = (fresh: Columns | null, saved: Columns): Columns | null =>
  fresh && fresh.map((column) => {
    const old = saved.find((c) => c.name === column.name);
    return old ? { ...column, ...Object.fromEntries(PRESERVED.filter((k) => k in old).map((k) => [k, old[k]])) } : column;
  });

/**
 * The columns computed too slowly to wait for land once their requests have come in (called as each
 * request arrives, before it is handled): save-metadata-async! (queries/models/card/metadata.clj)
 * writes them only if the card's query is still the one they were computed for, and over whatever
 * result_metadata the card has by then (a model's column edits sent meanwhile included).
 */
export function landPendingMetadata(state: FakeState): void {
  for (const pending of [...state.pendingMetadata]) {
    pending.left -= 1;
    if (pending.left > 0) continue;
    state.pendingMetadata.splice(state.pendingMetadata.indexOf(pending), 1);
    const card = state.cards.get(pending.cardId);
    if (!card || canonical(card.dataset_query) !== pending.query) continue;
    card.result_metadata = pending.columns;
    card.updated_at = now();
  }
}

const DISPLAYS = ['table', 'scalar', 'smartscalar', 'line', 'bar', 'area', 'combo', 'row', 'pie', 'pivot', 'progress', 'funnel', 'gauge', 'waterfall', 'scatter', 'map', 'object'];
const WRITABLE = ['name', 'description', 'display', 'type', 'collection_id', 'collection_position', 'visualization_settings', 'parameters', 'parameter_mappings', 'cache_ttl', 'dashboard_id', 'dashboard_tab_id'];

export function cardRoutes(state: FakeState, ctx: ServerContext): Route[] {
  const find = (id: string): Row => {
    const card = /^\d+$/.test(id) ? state.cards.get(Number(id)) : [...state.cards.values()].find((c) => c.entity_id === id);
    if (!card) throw notFound(ctx);
    return card;
  };
  const validate = (body: Record<string, unknown>, creating: boolean) => {
    const errors: Record<string, string> = {};
    if (creating || body.name !== undefined) nonBlank(body, 'name', errors);
    if (creating && (typeof body.dataset_query !== 'object' || body.dataset_query === null || Object.keys(body.dataset_query).length === 0)) errors.dataset_query = 'value must be a map with a query.';
    if (creating || body.display !== undefined) oneOf(body, 'display', DISPLAYS, errors, !creating);
    if (creating && (typeof body.visualization_settings !== 'object' || body.visualization_settings === null)) errors.visualization_settings = 'value must be a map.';
    oneOf(body, 'type', ['question', 'model', 'metric'], errors);
    if (body.description !== undefined && body.description !== null && (typeof body.description !== 'string' || body.description.trim() === '')) errors.description = 'value must be a non-blank string.';
    if (body.collection_id !== undefined && body.collection_id !== null && !state.collections.has(body.collection_id as number)) errors.collection_id = 'collection does not exist.';
    // Results metadata: every column needs name, display_name and base_type (analyze/query_results.clj).
    if (Array.isArray(body.result_metadata)) {
      body.result_metadata.forEach((column: Record<string, unknown>, i) => {
        for (const key of ['name', 'display_name', 'base_type']) if (typeof column?.[key] !== 'string' || column[key] === '') errors[`result_metadata.${i}.${key}`] = 'value must be a non-blank string.';
      });
    }
    if (Object.keys(errors).length) throw invalid(errors);
  };
  const derived = (card: Row) => {
    const query = card.dataset_query as Record<string, unknown>;
    const stage = (query.stages as Array<Record<string, unknown>>)[0]!;
    const native = stage['lib/type'] === 'mbql.stage/native';
    const tags = Object.values((stage['template-tags'] ?? {}) as Record<string, Record<string, unknown>>);
    card.query_type = native ? 'native' : 'query';
    card.database_id = query.database;
    card.table_id = native ? null : (stage['source-table'] ?? null);
    // Card parameters come from the template tags (metabase-api.md §5.3).
    card.parameters = tags.filter((t) => t.type !== 'snippet' && t.type !== 'card').map((t) => ({
      id: t.id, type: t.type === 'dimension' ? t['widget-type'] : t.type === 'number' ? 'number/=' : t.type === 'date' ? 'date/single' : 'category',
      target: [t.type === 'dimension' ? 'dimension' : 'variable', ['template-tag', t.name]], name: t['display-name'], slug: t.name, ...(t.default === undefined ? {} : { default: t.default }),
    }));
  };
  /**
   * Metabase computes a card's columns in a future and waits 1.5 s for them (metadata-sync-wait-ms,
   * queries/models/card/metadata.clj). Past that, create-card! (queries/models/card.clj) and the PUT
   * (update-card!, queries_rest/api/card.clj) save the card without them, and save-metadata-async!
   * writes them later (landPendingMetadata). Meanwhile the card keeps what the before-insert/update
   * hook infers without running anything (populate-result-metadata, same file): a query-builder
   * query's columns, none for native SQL (query->expected-cols "only works for pure MBQL queries",
   * query_processor/preprocess.clj). With `metadataLag: n` every computation is that slow: its columns
   * land once n more requests have come in; with 0, in time, as this fake otherwise answers.
   */
  const computeLate = (card: Row, columns: Columns | null, queryChanged: boolean) => {
    if (queryChanged) card.result_metadata = isNative(card.dataset_query) ? null : columns;
    // save-metadata-async! does not write an empty result ("no metadata").
    if (present(columns)) state.pendingMetadata.push({ cardId: card.id, query: canonical(card.dataset_query), columns, left: ctx.metadataLag });
  };
  const read = (card: Row, req: Request) => {
    // Shallow: the reply is serialised at once (see queryForRead).
    const copy: Row = { ...card, dataset_query: queryForRead(card.dataset_query as Record<string, unknown>, ctx.major) };
    if (req.query.get('legacy-mbql') === 'true') copy.dataset_query = { type: card.query_type, database: card.database_id };
    return copy;
  };

  return [
    ['GET', /^\/api\/card$/, (req) => {
      const f = req.query.get('f') ?? 'all';
      // cards-for-filter-option* (queries/api/card.clj): `database` needs model_id and keeps the
      // active cards of that database; `archived` is every archived card.
      const modelId = Number(req.query.get('model_id'));
      if (f === 'database' && !(modelId > 0)) throw invalid({ model_id: 'value must be an integer greater than zero.' });
      const cards = [...state.cards.values()].filter((c) => (f === 'archived' ? c.archived === true : c.archived !== true) && (f !== 'database' || c.database_id === modelId));
      return ok(cards.map((c) => read(c, req)));
    }],
    ['POST', /^\/api\/card$/, (req) => {
      validate(req.body, true);
      // `entity_id` is accepted by the schema but ignored: create-card! keeps only its data keys
      // and mints a NanoID (queries/models/card.clj).
      const query = normalizeQueryOnWrite(req.body.dataset_query, state);
      const card: Row = {
        id: nextId(), entity_id: nanoid(), ...pick(req.body, WRITABLE),
        type: req.body.type ?? 'question', description: req.body.description ?? null, collection_id: req.body.collection_id ?? null,
        dataset_query: query, result_metadata: null,
        archived: false, archived_directly: false, creator_id: req.userId, created_at: now(), updated_at: now(), can_write: true, cache_ttl: req.body.cache_ttl ?? null,
      };
      if (card.type === 'model') card.display = 'table';
      derived(card);
      // Valid columns sent are kept as they are, at once (maybe-async-result-metadata: a copy).
      if (ctx.metadataLag > 0 && !present(req.body.result_metadata)) computeLate(card, resultMetadata(undefined, query, state), true);
      else card.result_metadata = resultMetadata(req.body.result_metadata, query, state);
      state.cards.set(card.id, card);
      return ok(read(card, req));
    }],
    // get-card (queries_rest/api/card.clj): one archived on its own reads as being in the Trash; the
    // list above gives the collection it was in.
    ['GET', /^\/api\/card\/(\d+|[A-Za-z0-9_-]{21})$/, (req) => ok(presentInTrash(read(find(req.params[0]!), req), state.trash))],
    ['PUT', /^\/api\/card\/(\d+)$/, (req) => {
      const card = find(req.params[0]!);
      validate(req.body, false);
      const before = { query: canonical(card.dataset_query), columns: card.result_metadata };
      // entity_id is not accepted on PUT: dropped like any undeclared key.
      Object.assign(card, pick(withArchivedDirectly(card, req.body), [...WRITABLE, 'archived', 'archived_directly', 'enable_embedding', 'embedding_params', 'collection_preview']));
      if (req.body.dataset_query !== undefined) card.dataset_query = normalizeQueryOnWrite(req.body.dataset_query, state);
      const queryChanged = canonical(card.dataset_query) !== before.query;
      if (ctx.metadataLag > 0 && req.body.dataset_query !== undefined && (queryChanged || !present(req.body.result_metadata))) {
        // maybe-async-result-metadata: the query's columns are computed again, a model's saved
        // columns (those sent, else its own) blended over them.
        const saved = present(req.body.result_metadata) ? req.body.result_metadata : before.columns;
        const fresh = resultMetadata(undefined, card.dataset_query as Record<string, unknown>, state);
        computeLate(card, card.type === 'model' && present(saved) ? blend(fresh, saved) : fresh, queryChanged);
      }
      // Sent metadata is kept as sent (a model's column edits); a changed query without it is recomputed.
      else if (req.body.result_metadata != null) card.result_metadata = resultMetadata(req.body.result_metadata, card.dataset_query as Record<string, unknown>, state);
      else if (req.body.dataset_query !== undefined) card.result_metadata = resultMetadata(undefined, card.dataset_query as Record<string, unknown>, state);
      if (card.type === 'model') card.display = 'table';
      card.updated_at = now();
      derived(card);
      return ok(read(card, req));
    }],
  ];
}
