import type { Project, ProjectDashboard } from './project.ts';
import type { RefIndex } from './refs.ts';

/**
 * The project's dashboard a live one is: the one plan's read took it for (src/resources/dashboard.ts,
 * by this project's marker, else by its name in its collection when no marked one claims that key),
 * as `refs` holds them. Never a namesake: a copy made by hand next to a managed dashboard, or another
 * project's. Not by file name: a file renamed with `git mv` still holds the same dashboard.
 */
export function projectDashboardOf(raw: Record<string, unknown>, project: Pick<Project, 'dashboards'>, refs: RefIndex): ProjectDashboard | undefined {
  return project.dashboards.find(({ dashboard }) => refs.id('dashboard', dashboard.key) === raw.id);
}

/** Hand-made cards the project defines with their entity_id (which adopts them): entity_id → key. */
export function adoptedCardKeys(project: Pick<Project, 'cards'>): Map<string, string> {
  return new Map([...project.cards.values()].filter(({ card }) => card.entity_id !== undefined).map(({ card }) => [card.entity_id!, card.key]));
}
