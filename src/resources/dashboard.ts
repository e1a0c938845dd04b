import { desiredDashboardBody, managedMarker, normalizeDashboard, parseMarker, type DashboardBody } from '../core/dashboard-body.ts';
import { mapLimit } from '../core/map-limit.ts';
import { resolveRefs, type RefIndex } from '../core/refs.ts';
import type { ApplyContext, DesiredObject, LiveObject, ResourceHandler } from './types.ts';
import { Shapes } from '../metabase/shapes.ts';
import { createOnce } from './create-once.ts';
import type { MetabaseApi } from '../metabase/types.ts';

type LiveDashboard = Record<string, unknown> & { id: number; name: string; collection_id: number | null; dashcards: Array<Record<string, unknown>>; tabs: Array<Record<string, unknown>> };

/**
 * The compare form, plus whether the dashboard carries this project's marker for its key: one
 * adopted by name (made by hand and pulled, or whose marker someone deleted) is `unrecorded`, so the
 * plan shows it and the apply writes the marker. Until then a rename, in the files or in Metabase,
 * would lose it to a new dashboard.
 */
type DashboardState = DashboardBody & { identity: 'recorded' | 'unrecorded' };

/**
 * Dashboards: found by the marker mb-sync writes in `caveats` (so a rename is an update), else by
 * name — or a `renamed_from` name — inside the managed collections, and then marked by the next
 * apply (`identity`). One PUT sends parameters,
 * tabs and dashcards together (whole-array replace); dashcards keep their ids, which
 * subscriptions point at.
 */
export const dashboardHandler: ResourceHandler<DashboardState, LiveDashboard> = {
  kind: 'dashboard',
  dependsOn: ['collection', 'card'],
  // The Trash is asked for at once, the collections' dashboards as soon as the collections are
  // known; the cards only before matching (ctx.after, inside read).
  readAfter: [],
  *desired(project) {
    for (const entry of project.dashboards) yield { key: entry.dashboard.key, body: { ...desiredDashboardBody(project, entry), identity: 'recorded' as const }, origin: entry.origin };
  },
  async read(ctx) {
    const project = ctx.project.config.project;
    // The Trash too: a dashboard archived with --allow-archive whose file comes back is restored
    // (same id, so links and subscriptions to it still work), not made again. Its id does not
    // depend on the collections: asked for while they are read.
    const trashed = dashboardsInTrash(ctx.api);
    trashed.catch(() => undefined); // awaited below; not left unhandled if the collections' read fails first
    await ctx.after('collection');
    const collections = ctx.refs.names('collection').map((key) => ctx.refs.id('collection', key)!);
    // One list per collection, no archived=true: the dashboards archived with a collection (not on
    // their own) are listed under it, and only while it is archived itself (archive-collection! and
    // unarchive-collection! take them along), when its items are its archived ones without asking
    // (GET /api/collection/:id/items, collections_rest/api.clj).
    // At the client's concurrency (--concurrency), not a number of its own.
    const [pages, inTrash] = await Promise.all([
      mapLimit(collections, ctx.api.concurrency, (id) =>
        ctx.api.get<{ data: Array<{ id: number; model: string }> }>(`/api/collection/${id}/items`, { params: { models: ['dashboard'] }, schema: Shapes.items })),
      trashed,
    ]);
    const listed = new Set(pages.flatMap((page) => page.data.filter((i) => i.model === 'dashboard').map((i) => i.id)));
    const get = async (id: number) => slim(await ctx.api.get<LiveDashboard>(`/api/dashboard/${id}`, { schema: Shapes.dashboard }));
    const active = await mapLimit([...listed], ctx.api.concurrency, get);
    // The Trash's dashboards are anyone's, and may be many: only those that can be a dashboard of the
    // files not found above by its marker are read, by name (a plan with nothing to restore reads
    // none). One archived by mb-sync had the name its file gave it.
    const found = new Set(active.map((d) => parseMarker(d.caveats)).filter((m) => m?.project === project).map((m) => m!.key));
    const names = new Set(ctx.project.dashboards.filter(({ dashboard }) => !found.has(dashboard.key)).flatMap(({ dashboard }) => namesOf(dashboard)));
    const managed = new Set<number | string | null>(collections);
    // One moved to the Trash between the two lists is in neither, and would be made again: when a
    // dashboard of the files was not found, the Trash is listed once more, after the collections'
    // lists (a request more, for a plan with a dashboard to create or adopt; a no-op plan sends none).
    const again = names.size > 0 ? await trashItems(ctx.api, inTrash.trash) : [];
    const candidates = new Set([...inTrash.items, ...again].filter((i) => !listed.has(i.id) && names.has(i.name)).map((i) => i.id));
    const restorable = (await mapLimit([...candidates], ctx.api.concurrency, async (id) => fromTrash(await get(id))))
      // Of those, the ones that were in a managed collection, as for the others.
      .filter((d) => managed.has(d.collection_id));
    // Active before archived, so a marker found in both places resolves to the live one.
    const dashboards = [...active, ...restorable].sort((a, b) => Number(a.archived === true) - Number(b.archived === true));
    // The cards: the dashcards are registered under their ids.
    await ctx.after('card');
    const markers = new Map(dashboards.map((d) => [d, parseMarker(d.caveats)]));
    const marked = new Map<string, LiveDashboard>();
    for (const d of dashboards) {
      const marker = markers.get(d);
      if (marker?.project === project && !marked.has(marker.key)) marked.set(marker.key, d);
    }
    const out: LiveObject<LiveDashboard>[] = [];
    const claimed = new Set<number>();
    for (const { dashboard } of ctx.project.dashboards) {
      const names = namesOf(dashboard);
      const found =
        marked.get(dashboard.key) ??
        // Never adopted from the Trash by name: an unmarked dashboard there is someone else's.
        dashboards.find((d) => !claimed.has(d.id) && d.archived !== true && markers.get(d) === undefined && names.includes(d.name) && d.collection_id === ctx.refs.id('collection', dashboard.collection));
      if (!found) continue;
      claimed.add(found.id);
      const identity = markers.get(found)?.project === project && markers.get(found)?.key === dashboard.key ? 'recorded' : 'unrecorded';
      out.push({ key: dashboard.key, id: found.id, raw: found, managed: true, archived: found.archived === true, facts: identity });
    }
    const keys = new Set(out.map((o) => o.key));
    for (const d of dashboards) {
      const marker = markers.get(d);
      if (claimed.has(d.id) || marker?.project !== project || keys.has(marker.key)) continue;
      claimed.add(d.id);
      keys.add(marker.key);
      out.push({ key: marker.key, id: d.id, raw: d, managed: true, archived: d.archived === true, facts: 'recorded' });
    }
    for (const live of out) registerDashcards(live.key, live.raw, ctx.refs);
    return out;
  },
  normalize: (live, refs) => ({ ...normalizeDashboard(live.raw, refs), identity: live.facts === 'recorded' ? 'recorded' : 'unrecorded' }),
  async create(desired, ctx) {
    const body = resolveRefs(desired.body, ctx.refs);
    // The marker comes with the layout PUT (create takes no caveats): a dashboard whose create answer
    // was lost is found by name, still unmarked, in its collection, as read() adopts dashboards.
    const created = await createOnce(
      () => ctx.api.post<LiveDashboard>('/api/dashboard', { name: body.name, description: body.description, collection_id: body.collection }, { schema: Shapes.item }),
      async () => {
        const items = await ctx.api.get<{ data: Array<{ id: number; model: string; name?: string }> }>(`/api/collection/${body.collection ?? 'root'}/items`, { params: { models: ['dashboard'] }, schema: Shapes.items });
        const candidates = items.data.filter((i) => i.model === 'dashboard' && i.name === body.name).sort((a, b) => a.id - b.id);
        for (const candidate of candidates) {
          const dashboard = await ctx.api.get<LiveDashboard>(`/api/dashboard/${candidate.id}`, { schema: Shapes.dashboard });
          if (parseMarker(dashboard.caveats) === undefined) return dashboard;
        }
        return undefined;
      },
      { unmarked: true },
    );
    ctx.refs.set('dashboard', desired.key, created.id);
    await putLayout(desired, created, ctx);
    return created.id;
  },
  async update(desired, live, ctx) {
    await putLayout(desired, live.raw, ctx);
  },
  async archive(live, ctx) {
    await ctx.api.put(`/api/dashboard/${live.id}`, { archived: true });
  },
};

async function putLayout(desired: DesiredObject<DashboardState>, live: LiveDashboard, ctx: ApplyContext): Promise<void> {
  const body = resolveRefs(desired.body, ctx.refs);
  const liveTabs = [...(live.tabs ?? [])].sort((a, b) => (a.position as number) - (b.position as number));
  const tabs = body.tabs.map((t, i) => ({ id: (liveTabs[i]?.id as number | undefined) ?? -(i + 1), name: t.name }));
  const unused = [...(live.dashcards ?? [])];
  let next = -1;
  const dashcards = body.dashcards.map((dc) => {
    const tabId = dc.tab === null ? null : tabs[dc.tab as number]!.id;
    const text = (dc.visualization_settings as { text?: string }).text;
    // Keep ids: the same card on the same tab, or a text/heading with the same content.
    const index = unused.findIndex((u) => (u.dashboard_tab_id ?? null) === tabId && (dc.card === null
      ? u.card_id == null && (u.visualization_settings as { text?: string } | undefined)?.text === text
      : u.card_id === dc.card));
    const id = index >= 0 ? (unused.splice(index, 1)[0]!.id as number) : next--;
    return {
      id,
      card_id: dc.card,
      dashboard_tab_id: tabId,
      row: dc.row,
      col: dc.col,
      size_x: dc.size_x,
      size_y: dc.size_y,
      visualization_settings: dc.visualization_settings,
      parameter_mappings: (dc.parameter_mappings as Array<{ parameter_id: string; card: number | null; target: unknown }>).map((m) => ({
        parameter_id: m.parameter_id,
        ...(m.card === null ? {} : { card_id: m.card }),
        target: m.target,
      })),
    };
  });
  const saved = await ctx.api.put<LiveDashboard>(`/api/dashboard/${live.id}`, {
    name: body.name,
    description: body.description,
    collection_id: body.collection,
    caveats: managedMarker(ctx.project.config.project, desired.key),
    width: body.width,
    auto_apply_filters: body.auto_apply_filters,
    parameters: body.parameters,
    archived: false,
    // Always together: a PUT with dashcards but no tabs deletes every tab (and its cards).
    tabs,
    dashcards,
  }, { schema: Shapes.dashboard });
  registerDashcards(desired.key, saved, ctx.refs);
}

/**
 * A dashboard as read, without the copy of each card its dashcards carry (query, result metadata:
 * most of the answer, and the card list has them) nor its filters' field metadata. Dropped as each
 * answer comes in, they are never kept: the garbage collector copies every object that lives on.
 */
function slim(dashboard: LiveDashboard): LiveDashboard {
  for (const dashcard of dashboard.dashcards) {
    delete dashcard.card;
    delete dashcard.series;
  }
  delete dashboard.param_fields;
  return dashboard;
}

/**
 * The dashboards in the Trash, by id and name. A dashboard archived on its own (PUT {archived: true}, as
 * mb-sync archives) is `archived_directly`: the items API lists it among the Trash's items only,
 * never under its collection (collections_rest/children_query.clj; the Trash lists its archived
 * items without archived=true). Two requests, the second needing the first's answer: the Trash is a
 * collection whose id differs from one Metabase to another, and GET /api/collection leaves it out.
 */
async function dashboardsInTrash(api: MetabaseApi): Promise<{ trash: number; items: Array<{ id: number; name: string }> }> {
  const trash = await api.get<{ id: number }>('/api/collection/trash', { schema: Shapes.item });
  return { trash: trash.id, items: await trashItems(api, trash.id) };
}

/** The dashboards the Trash lists, by id and name. */
async function trashItems(api: MetabaseApi, trash: number): Promise<Array<{ id: number; name: string }>> {
  const page = await api.get<{ data: Array<{ id: number; model: string; name?: string }> }>(`/api/collection/${trash}/items`, { params: { models: ['dashboard'] }, schema: Shapes.items });
  return page.data.filter((i) => i.model === 'dashboard').map((i) => ({ id: i.id, name: String(i.name ?? '') }));
}

/**
 * A dashboard archived on its own reads as being in the Trash (`collection_id` is the Trash's:
 * present-in-trash-if-archived-directly, api/common.clj); its hydrated `collection` is still the one
 * it was in, and the one a restore puts it back in, so it is compared as being there.
 */
function fromTrash(dashboard: LiveDashboard): LiveDashboard {
  const collection = dashboard.collection as { id?: unknown } | undefined;
  delete dashboard.collection;
  if (dashboard.archived_directly !== true || collection === undefined) return dashboard;
  dashboard.collection_id = typeof collection.id === 'number' ? collection.id : null;
  return dashboard;
}

/** The names a dashboard of the files may have in Metabase: its own, and those it was renamed from. */
const namesOf = (dashboard: { name: string; renamed_from?: string[] }): string[] => [dashboard.name, ...(dashboard.renamed_from ?? [])];

/** `dashcard:<dashboard>/<card>` → dashcard id (`#2`, `#3` for a card placed again). */
function registerDashcards(dashboardKey: string, raw: LiveDashboard, refs: RefIndex): void {
  refs.set('dashboard', dashboardKey, raw.id);
  const seen = new Map<string, number>();
  const ordered = [...(raw.dashcards ?? [])].sort((a, b) => (a.row as number) - (b.row as number) || (a.col as number) - (b.col as number));
  for (const dc of ordered) {
    if (dc.card_id == null) continue;
    const cardKey = refs.name('card', dc.card_id as number);
    if (cardKey === undefined) continue;
    const count = (seen.get(cardKey) ?? 0) + 1;
    seen.set(cardKey, count);
    refs.set('dashcard', `${dashboardKey}/${cardKey}${count > 1 ? `#${count}` : ''}`, dc.id as number);
  }
}
