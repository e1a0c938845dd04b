import type { CardT } from '../model/card.ts';

/**
 * The `columns:` of a model that its query does not have, with where they are written. Only for
 * what can be known without running the query: a query-builder model on a table, without
 * aggregation (its columns are the table's and its expressions). `columnsOf` gives a table's
 * columns (`schema.table` → names), or undefined when the table is not known yet.
 */
export function unknownModelColumns(card: CardT, columnsOf: (table: string) => string[] | undefined): Array<{ column: string; candidates: string[] }> {
  if (card.type !== 'model' || !card.columns || !card.query) return [];
  const { query } = card;
  if (/^(model|card):/.test(query.source) || (query.aggregate?.length ?? 0) > 0 || (query.breakout?.length ?? 0) > 0 || (query.join?.length ?? 0) > 0) return [];
  const tableColumns = columnsOf(query.source);
  if (tableColumns === undefined) return [];
  const available = [...(query.fields ?? tableColumns), ...Object.keys(query.expressions ?? {})];
  return Object.keys(card.columns).filter((c) => !available.includes(c)).map((column) => ({ column, candidates: available }));
}
