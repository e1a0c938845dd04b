import { alertHandler } from './alert.ts';
import { cardHandler } from './card.ts';
import { collectionPermissionsHandler } from './collection-permissions.ts';
import { collectionHandler } from './collection.ts';
import { dashboardHandler } from './dashboard.ts';
import { databaseHandler } from './database.ts';
import { groupHandler } from './group.ts';
import { subscriptionHandler } from './subscription.ts';
import { tableMetadataHandler } from './table-metadata.ts';
import type { ResourceHandler } from './types.ts';

/**
 * Every resource kind, in apply order (metabase-api.md §10): groups, the database and its sync,
 * metadata, collections and their permissions, cards, dashboards, then what points at dashcards
 * and cards. Adding a kind = one handler file + one line here.
 */
export const handlers: ResourceHandler[] = [
  groupHandler,
  databaseHandler,
  tableMetadataHandler,
  collectionHandler,
  collectionPermissionsHandler,
  cardHandler,
  dashboardHandler,
  subscriptionHandler,
  alertHandler,
] as ResourceHandler[];
