import type { CardT } from '../config/schema/card.ts';
import { compileStructuredQuery } from './compile-query.ts';
import { compileNativeQuery } from './native-query.ts';
import { normalizeQuery } from './normalize-query.ts';
import type { ProjectCard } from './project.ts';
import { ref, type Ref } from './refs.ts';

/** A card as mb-sync compares it: what the files manage, ids as refs. */
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

export function desiredCardBody(project: string, database: string, entry: ProjectCard): CardBody {
  const { card } = entry;
  const where = `${entry.origin.file}${entry.origin.path ? ` ${entry.origin.path}` : ''}`;
  const query = card.sql !== undefined
    ? compileNativeQuery({ project, cardKey: card.key, database, sql: card.sql, params: card.params ?? {} })
    : compileStructuredQuery({ project, cardKey: card.key, database, query: card.query!, where });
  const body: CardBody = {
    name: card.name,
    description: card.description ?? null,
    type: card.type,
    // Metabase forces models to display as a table.
    display: card.type === 'model' ? 'table' : card.display,
    collection: ref('collection', entry.collection),
    visualization_settings: card.visualization ?? {},
    dataset_query: normalizeQuery(query),
  };
  if (card.type === 'model') body.columns = modelColumns(card);
  return body;
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

/** result_metadata entries carrying the model's column edits (Metabase keeps them as overrides). */
export function resultMetadataFor(columns: Record<string, Record<string, unknown>>): Array<Record<string, unknown>> {
  return Object.entries(columns).map(([name, attrs]) => ({ name, ...attrs }));
}
