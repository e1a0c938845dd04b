import { HttpError, invalid, nonBlank, ok, pick } from '../http.ts';
import { notFound, type Route, type ServerContext } from '../router.ts';
import { nanoid, nextId, now, type FakeState, type Row } from '../state.ts';

const PERMS = ['read', 'write', 'none'];

export function collectionRoutes(state: FakeState, ctx: ServerContext): Route[] {
  const get = (id: string): Row => {
    const c = /^\d+$/.test(id) ? state.collections.get(Number(id)) : [...state.collections.values()].find((x) => x.entity_id === id);
    if (!c) throw notFound(ctx);
    return c;
  };
  /** A collection to read: the Trash is one too (GET /api/collection/:id and its items). */
  const readable = (id: string): Row => (id === String(state.trash.id) || id === state.trash.entity_id ? state.trash : get(id));
  const locationOf = (parentId: number | null): string => {
    if (parentId === null) return '/';
    const parent = state.collections.get(parentId);
    if (!parent) throw invalid({ parent_id: 'parent collection does not exist' });
    return `${parent.location as string}${parentId}/`;
  };
  const withParent = (c: Row) => {
    const ids = (c.location as string).split('/').filter(Boolean);
    return { ...c, parent_id: ids.length ? Number(ids.at(-1)) : null };
  };
  const group = (id: string): Row => {
    const g = state.groups.find((x) => x.id === Number(id));
    if (!g) throw notFound(ctx);
    return g;
  };

  return [
    ['GET', /^\/api\/collection$/, (req) => {
      const archived = req.query.get('archived') === 'true';
      // Sorted by name, as select-collections orders them (not by id: callers must not rely on it).
      // The Trash is listed with the archived collections only, though it is not archived itself
      // (select-collections, collections_rest/api.clj).
      const rows = [...state.collections.values(), ...(archived ? [state.trash] : [])].filter((c) => c === state.trash || Boolean(c.archived) === archived).map(withParent)
        .sort((a, b) => String((a as Row).name).toLowerCase().localeCompare(String((b as Row).name).toLowerCase()));
      return ok(archived ? rows : [{ id: 'root', name: 'Our analytics', can_write: true, effective_location: null, parent_id: null }, ...rows]);
    }],
    ['POST', /^\/api\/collection$/, (req) => {
      const errors: Record<string, string> = {};
      nonBlank(req.body, 'name', errors);
      if (Object.keys(errors).length) throw invalid(errors);
      const row: Row = { id: nextId(), entity_id: nanoid(), ...pick(req.body, ['name', 'description', 'namespace', 'authority_level']), description: req.body.description ?? null, location: locationOf((req.body.parent_id as number | null) ?? null), archived: false, type: null, created_at: now() };
      state.collections.set(row.id, row);
      // Like Metabase (copy-parent-permissions!, permissions/models/collection): a new collection
      // starts with its parent's permissions, All Users' "write" on the root included.
      const parentKey = req.body.parent_id == null ? 'root' : String(req.body.parent_id);
      for (const cells of Object.values(state.graph.groups)) if (cells[parentKey] !== undefined) cells[String(row.id)] = cells[parentKey];
      return ok(withParent(row));
    }],
    ['GET', /^\/api\/collection\/root$/, () => ok({ id: 'root', name: 'Our analytics', can_write: true })],
    // GET /trash (0.50+): the Trash, as GET /:id would give it.
    ['GET', /^\/api\/collection\/trash$/, () => ok(withParent(state.trash))],
    ['GET', /^\/api\/collection\/graph$/, () => ok(structuredClone(state.graph))],
    ['PUT', /^\/api\/collection\/graph$/, (req) => {
      if (req.query.get('force') !== 'true' && req.body.revision !== state.graph.revision) {
        throw new HttpError({ status: 409, text: 'Looks like someone else edited the permissions and your data is out of date. Please fetch new data and try again.' });
      }
      const groups = (req.body.groups ?? {}) as Record<string, Record<string, string>>;
      for (const [gid, perms] of Object.entries(groups)) {
        if (gid === '2') throw new HttpError({ status: 400, json: { message: 'You cannot edit permissions for the Administrators group.' } });
        if (!state.groups.some((g) => String(g.id) === gid)) throw invalid({ groups: `group ${gid} does not exist` });
        for (const [cid, perm] of Object.entries(perms)) {
          if (!PERMS.includes(perm)) throw invalid({ groups: `value must be one of: ${PERMS.join(', ')}.` });
          if (cid !== 'root' && !state.collections.has(Number(cid))) throw invalid({ groups: `collection ${cid} does not exist` });
          const entry = (state.graph.groups[gid] ??= {});
          // Since 0.56.13 "none" is not stored as an entry: a missing entry means no access.
          if (perm === 'none') delete entry[cid];
          else entry[cid] = perm;
        }
      }
      state.graph.revision += 1;
      return ok(req.query.get('skip_graph') === 'true' ? { revision: state.graph.revision } : structuredClone(state.graph));
    }],
    ['GET', /^\/api\/collection\/(\d+|[A-Za-z0-9_-]{21})$/, (req) => ok(withParent(readable(req.params[0]!)))],
    ['PUT', /^\/api\/collection\/(\d+)$/, (req) => {
      const c = get(req.params[0]!);
      if (req.body.name !== undefined) {
        const errors: Record<string, string> = {};
        nonBlank(req.body, 'name', errors);
        if (Object.keys(errors).length) throw invalid(errors);
      }
      // On master `archived` has a default of false: a PUT without it un-archives.
      const archived = req.body.archived === true;
      const parentId = 'parent_id' in req.body ? (req.body.parent_id as number | null) : null;
      if (!archived && c.archived === true && parentId !== null && state.collections.get(parentId)?.archived === true) {
        // unarchive-collection!: a collection cannot come back into a parent that is in the Trash.
        throw new HttpError({ status: 400, json: { message: 'You cannot unarchive a collection into an archived parent.' } });
      }
      Object.assign(c, pick(req.body, ['name', 'description', 'authority_level']));
      if ('parent_id' in req.body) {
        // move-collection!: the collection's descendants move with it (their location is rewritten).
        const before = `${c.location as string}${c.id}/`;
        c.location = locationOf(parentId);
        const after = `${c.location}${c.id}/`;
        for (const d of state.collections.values()) if ((d.location as string).startsWith(before)) d.location = after + (d.location as string).slice(before.length);
      }
      if (archived !== Boolean(c.archived)) cascadeArchive(state, c, archived);
      return ok(withParent(c));
    }],
    ['GET', /^\/api\/collection\/(\d+|root)\/items$/, (req) => {
      const collection = req.params[0] === 'root' ? null : readable(req.params[0]!);
      const id = collection?.id ?? null;
      const inTrash = collection === state.trash;
      const models = req.query.getAll('models');
      // GET /:id/items (collections_rest/api.clj): an archived collection, and the Trash, list their
      // archived items whether `archived=true` is sent or not.
      const archived = req.query.get('archived') === 'true' || collection?.archived === true || inTrash;
      // children_query.clj: the Trash holds what was archived directly, wherever it was; any other
      // collection lists its own cards and dashboards but those (they are in the Trash).
      const placed = (row: Row) => (inTrash ? row.archived_directly === true : (row.collection_id ?? null) === id && row.archived_directly !== true);
      const items: Row[] = [];
      const want = (m: string) => models.length === 0 || models.includes(m);
      for (const d of state.dashboards.values()) if (want('dashboard') && placed(d) && Boolean(d.archived) === archived) items.push({ id: d.id, model: 'dashboard', name: d.name, entity_id: d.entity_id, description: d.description ?? null });
      for (const card of state.cards.values()) {
        const model = card.type === 'model' ? 'dataset' : card.type === 'metric' ? 'metric' : 'card';
        if (want(model) && placed(card) && Boolean(card.archived) === archived && card.dashboard_id == null) items.push({ id: card.id, model, name: card.name, entity_id: card.entity_id, description: card.description ?? null });
      }
      for (const c of state.collections.values()) {
        const child = inTrash ? c.archived_directly === true : withParent(c).parent_id === id && Boolean(c.archived) === archived;
        if (want('collection') && child) items.push({ id: c.id, model: 'collection', name: c.name, entity_id: c.entity_id, description: c.description });
      }
      // post-process-rows: every item is presented as being in the collection asked about.
      const data = items.map((item) => ({ ...item, collection_id: id }));
      return ok({ data, total: data.length, models: models.length ? models : ['card', 'dataset', 'dashboard', 'collection'], limit: null, offset: null });
    }],
    ['GET', /^\/api\/permissions\/group$/, () => ok(state.groups.map((g) => ({ ...g, member_count: state.memberships.filter((m) => m.group_id === g.id).length })))],
    ['POST', /^\/api\/permissions\/group$/, (req) => {
      const errors: Record<string, string> = {};
      nonBlank(req.body, 'name', errors);
      if (Object.keys(errors).length) throw invalid(errors);
      if (state.groups.some((g) => g.name === req.body.name)) throw new HttpError({ status: 400, json: { message: 'A group with that name already exists.' } });
      const row = { id: nextId(), name: req.body.name, magic_group_type: null };
      state.groups.push(row);
      return ok(row);
    }],
    ['GET', /^\/api\/permissions\/group\/(\d+)$/, (req) => {
      const g = group(req.params[0]!);
      const members = state.memberships.filter((m) => m.group_id === g.id).map((m) => {
        const u = state.users.find((x) => x.id === m.user_id)!;
        return { membership_id: m.id, user_id: u.id, email: u.email, first_name: u.first_name, is_superuser: u.is_superuser };
      });
      return ok({ ...g, members });
    }],
    ['POST', /^\/api\/permissions\/membership$/, (req) => {
      group(String(req.body.group_id));
      const row = { id: nextId(), user_id: req.body.user_id as number, group_id: req.body.group_id as number };
      state.memberships.push(row);
      return ok([row]);
    }],
  ];
}

/**
 * Like archive-collection! and unarchive-collection! (collections/models/collection.clj): archiving
 * a collection takes its subcollections, cards and dashboards to the Trash with it
 * (`archived_directly` false), and un-archiving it brings back exactly those, not what was trashed
 * on its own before; the collections' `archived_directly` is cleared, the items' stays false.
 */
function cascadeArchive(state: FakeState, collection: Row, archived: boolean): void {
  const prefix = `${collection.location as string}${collection.id}/`;
  const inside = [...state.collections.values()].filter((x) => (x.location as string).startsWith(prefix));
  const ids = new Set([collection.id, ...inside.map((x) => x.id)]);
  collection.archived = archived;
  collection.archived_directly = archived ? true : null;
  const carried = (row: Row) => (archived ? row.archived !== true : row.archived === true && row.archived_directly === false);
  for (const row of inside) {
    if (!carried(row)) continue;
    row.archived = archived;
    row.archived_directly = archived ? false : null;
  }
  for (const row of [...state.cards.values(), ...state.dashboards.values()].filter((x) => ids.has(x.collection_id as number))) {
    if (!carried(row)) continue;
    row.archived = archived;
    row.archived_directly = false;
  }
}
