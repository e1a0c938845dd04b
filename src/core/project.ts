import type { CardT } from '../model/card.ts';
import type { DashboardT } from '../model/dashboard.ts';
import type { ProjectConfigT } from '../model/project.ts';

/** Where a thing was written, for error messages: `dashboards/energie-live.yaml` and `cards[2]`. */
export interface Origin {
  file: string;
  path: string;
  line?: number;
  /** Lines of the paths inside the object (`query.order_by[0]` → 42), to point server errors at them. */
  lines?: Record<string, number>;
}

/** A card with where it was defined and the collection it lands in. */
export interface ProjectCard {
  card: CardT;
  collection: string;
  origin: Origin;
}

export interface ProjectDashboard {
  dashboard: DashboardT;
  /** `lines` holds the line of every path in the file (`cards[3].filters.period`). */
  origin: Origin;
}

/**
 * Everything the files say, validated and normalised (src/config/load-project.ts builds it).
 * Plain data: no I/O handles, so src/core can work on it.
 */
export interface Project {
  root: string;
  config: ProjectConfigT;
  /** The config file, relative to root. */
  configFile: string;
  /** Every card by key: from models/, the config's `cards`, and inline dashboard cards. */
  cards: Map<string, ProjectCard>;
  dashboards: ProjectDashboard[];
  /** Lines of the config's paths (`postgres.timezone` → 22), for checks made after loading. */
  configLines?: Record<string, number>;
}
