import type { Project, ProjectDashboard } from './project.ts';

/**
 * The columns a dashboard's cards map its filters to, each with where it is written
 * (`cards[3].filters.period`): a column that does not exist is reported at that line, whether
 * validate finds it (against the views) or plan does (against Metabase's fields).
 * Cards on a model or another card are left out: their columns are that card's.
 */
export function filterMappings(project: Pick<Project, 'cards'>, entry: ProjectDashboard): Array<{ path: string; line?: number; field: string }> {
  const out: Array<{ path: string; line?: number; field: string }> = [];
  entry.dashboard.cards.forEach((placed, i) => {
    const key = 'key' in placed ? placed.key : 'card' in placed ? placed.card : undefined;
    const card = key === undefined ? undefined : project.cards.get(key)?.card;
    if (!card?.query || !('filters' in placed) || !placed.filters || /^(model|card):/.test(card.query.source)) return;
    for (const [filter, column] of Object.entries(placed.filters)) {
      const path = `cards[${i}].filters.${filter}`;
      const line = entry.origin.lines?.[path];
      out.push({ path, ...(line === undefined ? {} : { line }), field: column.split('.').length === 3 ? column : `${card.query.source}.${column}` });
    }
  });
  return out;
}
