import { parseMarker } from './dashboard-body.ts';
import type { Project, ProjectDashboard } from './project.ts';
import type { RefIndex } from './refs.ts';

/**
 * The project's dashboard a live one is, found as `plan` finds it (src/resources/dashboard.ts): by
 * this project's marker in its caveats, else — a dashboard not applied yet, e.g. pulled before —
 * by its name (or a `renamed_from` name) in the same collection. Not by file name: a file renamed
 * with `git mv` still holds the same dashboard.
 */
export function projectDashboardOf(raw: Record<string, unknown>, project: Pick<Project, 'config' | 'dashboards'>, refs: RefIndex): ProjectDashboard | undefined {
  const marker = parseMarker(raw.caveats);
  if (marker?.project === project.config.project) return project.dashboards.find((d) => d.dashboard.key === marker.key);
  if (typeof raw.collection_id !== 'number') return undefined;
  return project.dashboards.find(({ dashboard }) =>
    [dashboard.name, ...(dashboard.renamed_from ?? [])].includes(String(raw.name)) && refs.id('collection', dashboard.collection) === raw.collection_id);
}

/** Hand-made cards the project defines with their entity_id (which adopts them): entity_id → key. */
export function adoptedCardKeys(project: Pick<Project, 'cards'>): Map<string, string> {
  return new Map([...project.cards.values()].filter(({ card }) => card.entity_id !== undefined).map(({ card }) => [card.entity_id!, card.key]));
}
