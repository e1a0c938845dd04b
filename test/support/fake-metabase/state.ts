/** The fake's stored objects: plain maps a test may read, or edit to simulate a change made "in the UI". */
export type Row = Record<string, unknown> & { id: number };

export interface FakeCatalogTable {
  schema: string;
  name: string;
  columns: Array<{ name: string; base_type: string; database_type: string }>;
}
export type FakeCatalog = Record<string, { password?: string; tables: FakeCatalogTable[] }>;

export interface FakeState {
  users: Row[];
  groups: Row[];
  memberships: Row[];
  apiKeys: Row[];
  databases: Map<number, Row>;
  tables: Map<number, Row>;
  fields: Map<number, Row>;
  collections: Map<number, Row>;
  /** The Trash: a collection row in Metabase (type "trash", 0.50+), kept apart here (see trash.ts). */
  trash: Row;
  graph: { revision: number; groups: Record<string, Record<string, string>> };
  cards: Map<number, Row>;
  dashboards: Map<number, Row>;
  dashcards: Map<number, Row>;
  tabs: Map<number, Row>;
  pulses: Map<number, Row>;
  notifications: Map<number, Row>;
  settings: Record<string, unknown>;
  /** Database id → metadata reads left before a pending sync lands. */
  pendingSync: Map<number, number>;
  /** Card columns Metabase is still computing (routes/card.ts): requests left before each lands. */
  pendingMetadata: Array<{ cardId: number; query: string; columns: Array<Record<string, unknown>>; left: number }>;
}

let counter = 0;
/** Ids are unique across kinds, which makes a mixed-up id in the client show up as a 404. */
export function nextId(): number {
  counter += 1;
  return counter;
}

export function createState(admin: { email: string; password: string }, emailConfigured: boolean): FakeState {
  const adminUser = { id: nextId(), email: admin.email, first_name: 'Admin', last_name: 'Bot', common_name: 'Admin Bot', is_superuser: true, password: admin.password };
  const allUsers = { id: 1, name: 'All Users', magic_group_type: 'all-internal-users' };
  const admins = { id: 2, name: 'Administrators', magic_group_type: 'admin' };
  return {
    users: [adminUser],
    groups: [allUsers, admins],
    memberships: [
      { id: nextId(), user_id: adminUser.id, group_id: 1 },
      { id: nextId(), user_id: adminUser.id, group_id: 2 },
    ],
    apiKeys: [],
    databases: new Map(),
    tables: new Map(),
    fields: new Map(),
    collections: new Map(),
    trash: trashCollection(),
    graph: { revision: 1, groups: { '1': { root: 'write' }, '2': { root: 'write' } } },
    cards: new Map(),
    dashboards: new Map(),
    dashcards: new Map(),
    tabs: new Map(),
    pulses: new Map(),
    notifications: new Map(),
    settings: { 'email-configured?': emailConfigured },
    pendingSync: new Map(),
    pendingMetadata: [],
  };
}

/**
 * The Trash, as the migration that made it left it: at the root, never archived itself. Its id is
 * out of the counter's way, so that having one does not renumber every object a test makes (plans
 * rendered with ids are compared with snapshots).
 */
export const TRASH_ID = 2 ** 30;
function trashCollection(): Row {
  return { id: TRASH_ID, entity_id: nanoid(), name: 'Trash', type: 'trash', description: null, location: '/', archived: false, archived_directly: null, namespace: null, personal_owner_id: null, created_at: now() };
}

/** A random-looking NanoID, as Metabase mints for entity_id. */
export function nanoid(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
  return Array.from({ length: 21 }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('');
}

export function now(): string {
  return new Date().toISOString();
}
