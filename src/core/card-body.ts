import type { CardT } from '../model/card.ts';
import { compileStructuredQuery, STAGE_SOURCES } from './compile-query.ts';
import { compileNativeQuery } from './native-query.ts';
import { deepEqual } from './diff.ts';
import { normalizeQuery } from './normalize-query.ts';
import type { ProjectCard } from './project.ts';
import { ref, type Ref } from './refs.ts';

/** A card as mb-sync compares it: what the files manage, ids as refs, server-chosen details dropped. */
export interface CardBody {
  name: string;
  description: string | null;
  type: string;
  display: string;
  collection: Ref | null;
  visualization_settings: Record<string, unknown>;
  dataset_query: unknown;
  /** Models only: column metadata the files set, by column name. */
  columns?: Record<string, Record<string, unknown>>;
}

/**
 * What is sent: the card as `POST/PUT /api/card` documents it, with refs where ids go. The query is
 * complete MBQL 5 (uuids, template-tag ids); `result_metadata` is completed at apply time from
 * what the server computed, since Metabase wants whole columns (`analyze/query_results.clj`).
 */
export interface CardWire {
  name: string;
  description: string | null;
  type: string;
  display: string;
  collection_id: Ref | null;
  visualization_settings: Record<string, unknown>;
  dataset_query: Record<string, unknown>;
}

export interface CompiledCard {
  compare: CardBody;
  /** Worked out on first use: only a card that is written needs it. */
  readonly wire: CardWire;
  /** Request-body path prefix (`dataset_query.stages.0.order-by.1`) → YAML path inside the card; on first use. */
  readonly sources: Record<string, string>;
}

/**
 * A card's compare form, and its wire form when asked for. The compare form is compiled without
 * clause uuids (normalisation drops them, and deriving one per clause is most of a compile), so a
 * plan over thousands of unchanged cards never works them out; the wire form compiles them in.
 */
export function compileCard(project: string, database: string, entry: ProjectCard): CompiledCard {
  const { card } = entry;
  const where = `${entry.origin.file}${entry.origin.path ? ` ${entry.origin.path}` : ''}`;
  const query = (uuids: boolean) => card.sql !== undefined
    ? compileNativeQuery({ project, cardKey: card.key, database, sql: card.sql, params: card.params ?? {}, uuids })
    : compileStructuredQuery({ project, cardKey: card.key, database, query: card.query!, where, uuids });
  // Metabase forces models to display as a table.
  const display = card.type === 'model' ? 'table' : card.display;
  const compare: CardBody = {
    name: card.name,
    description: card.description ?? null,
    type: card.type,
    display,
    collection: ref('collection', entry.collection),
    visualization_settings: card.visualization ?? {},
    dataset_query: normalizeQuery(query(false)),
  };
  if (card.type === 'model') compare.columns = modelColumns(card);
  let wire: CardWire | undefined;
  let sources: Record<string, string> | undefined;
  return {
    compare,
    get wire() {
      return (wire ??= {
        name: compare.name,
        description: compare.description,
        type: compare.type,
        display,
        collection_id: compare.collection,
        visualization_settings: compare.visualization_settings,
        dataset_query: query(true),
      });
    },
    get sources() {
      return (sources ??= sourcesOf(card));
    },
  };
}

function sourcesOf(card: CardT): Record<string, string> {
  const sources: Record<string, string> = {
    name: 'name',
    description: 'description',
    display: 'display',
    type: 'type',
    collection_id: 'collection',
    visualization_settings: 'visualization',
    result_metadata: 'columns',
  };
  if (card.sql !== undefined) {
    sources['dataset_query.stages.0.native'] = 'sql';
    for (const name of Object.keys(card.params ?? {})) sources[`dataset_query.stages.0.template-tags.${name}`] = `params.${name}`;
    sources['dataset_query.stages.0.template-tags'] = 'sql';
  } else {
    for (const [key, yaml] of Object.entries(STAGE_SOURCES)) sources[`dataset_query.stages.0.${key}`] = yaml;
    Object.keys(card.query?.expressions ?? {}).forEach((name, i) => (sources[`dataset_query.stages.0.expressions.${i}`] = `query.expressions.${name}`));
  }
  sources.dataset_query = card.sql !== undefined ? 'sql' : 'query';
  return sources;
}

function modelColumns(card: CardT): Record<string, Record<string, unknown>> {
  return Object.fromEntries(Object.entries(card.columns ?? {}).map(([name, c]) => {
    const attrs: Record<string, unknown> = {};
    if (c.display_name !== undefined) attrs.display_name = c.display_name;
    if (c.description !== undefined) attrs.description = c.description;
    if (c.semantic_type !== undefined) attrs.semantic_type = c.semantic_type;
    if (c.visibility !== undefined) attrs.visibility_type = c.visibility;
    return [name, attrs];
  }));
}

/**
 * A model's `result_metadata` to send: every column the server computed (Metabase validates whole
 * columns: name, display_name, base_type…), with the edits the files make laid over them.
 */
export function overlayColumns(live: ReadonlyArray<Record<string, unknown>>, edits: Record<string, Record<string, unknown>>): Array<Record<string, unknown>> {
  return live.map((column) => {
    const edit = edits[String(column.name)];
    return edit === undefined ? column : { ...column, ...edit };
  });
}

/**
 * Whether a model's columns carry the edits of the files: every edited column they have, with the
 * edited values (a column they lack is not there to edit: validate and plan name it). No columns at
 * all: not yet.
 */
export function columnEditsLanded(columns: ReadonlyArray<Record<string, unknown>> | null | undefined, edits: Record<string, Record<string, unknown>>): boolean {
  if (!columns || columns.length === 0) return false;
  return Object.entries(edits).every(([name, edit]) => {
    const column = columns.find((c) => c.name === name);
    return column === undefined || Object.entries(edit).every(([key, value]) => deepEqual(column[key] ?? null, value ?? null));
  });
}
