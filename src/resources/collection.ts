import { flatten } from '../core/collections.ts';
import { ref, resolveRefs, type Ref } from '../core/refs.ts';
import type { LiveObject, ReadContext, ResourceHandler } from './types.ts';
import { readCollectionMarker, withCollectionMarker } from '../core/collection-marker.ts';
import { mapLimit } from '../core/map-limit.ts';
import { Shapes } from '../metabase/shapes.ts';
import { createOnce } from './create-once.ts';
import { writeCells } from './collection-permissions.ts';
import type { ApplyContext } from './types.ts';

interface CollectionBody {
  name: string;
  description: string | null;
  parent: Ref | null;
}
type LiveCollection = { id: number | string; name: string; description: string | null; location?: string; archived?: boolean; personal_owner_id?: number | null };

/** The items API's `model` → the handler kind that manages it; anything else is never mb-sync's. */
const ITEM_KINDS: Record<string, string> = { card: 'card', dataset: 'card', metric: 'card', dashboard: 'dashboard', collection: 'collection' };

/**
 * Collections from the config. Each one mb-sync writes carries its marker as the last line of its
 * description (src/core/collection-marker.ts): found by it first, so a rename or a move made in
 * Metabase is drift, not a new collection. A declared collection without a marker (made by an
 * earlier version, or by a person) is adopted by name under its parent and marked on the next apply.
 *
 * A marked collection no longer in the files is listed; with --allow-archive it goes to the Trash
 * after every other stage, and only when all it holds is mb-sync's and goes too: anything else
 * inside (a person's question, a subfolder that stays) keeps it, and the plan says what.
 */
export const collectionHandler: ResourceHandler<CollectionBody, LiveCollection> = {
  kind: 'collection',
  // A new collection's declared permissions are written with it (they name groups).
  dependsOn: ['group'],
  archiveLast: true,
  desired: (project) =>
    flatten(project.config.collections).map((c) => ({
      key: c.key,
      body: { name: c.name, description: withCollectionMarker(c.description, { project: project.config.project, key: c.key }), parent: c.parent === null ? null : ref('collection', c.parent) },
    })),
  async read(ctx) {
    const project = ctx.project.config.project;
    const ours = (c: LiveCollection) => ownKey(c, project);
    const active = (await listCollections(ctx, false));
    const wanted = flatten(ctx.project.config.collections);
    const out: LiveObject<LiveCollection>[] = [];
    const claimed = new Set<number | string>();
    const claim = (key: string, live: LiveCollection) => {
      claimed.add(live.id);
      ctx.refs.set('collection', key, live.id);
      out.push({ key, id: live.id, raw: live, managed: true, archived: live.archived === true });
    };
    let trash: LiveCollection[] | undefined;
    // Parents come first in `wanted`: a child is looked for by name under the parent found for it.
    for (const c of wanted) {
      const marked = active.find((l) => ours(l) === c.key);
      if (marked) {
        claim(c.key, marked);
        continue;
      }
      // Archived with --allow-archive and back in the files: restored, not made again (the Trash
      // is read only when a collection has no marked match: a no-op plan does not pay for it).
      trash ??= await listCollections(ctx, true);
      const archived = trash.find((l) => ours(l) === c.key);
      if (archived) {
        claim(c.key, { ...archived, archived: true });
        continue;
      }
      const parent = c.parent === null ? null : ctx.refs.id('collection', c.parent);
      const named = parent === undefined ? undefined : active.find((l) => !claimed.has(l.id) && readCollectionMarker(l.description) === undefined && l.name === c.name && parentOf(l) === parent);
      if (named) claim(c.key, named);
    }
    // Marked collections that are not the one claimed for their key: removed from the files, or a
    // second copy made by two runs at once (archived as a duplicate, unless something holds it).
    const gone = active.filter((l) => !claimed.has(l.id) && ours(l) !== undefined);
    for (const live of gone) if (!out.some((o) => o.key === ours(live))) ctx.refs.set('collection', ours(live)!, live.id);
    const held = await mapLimit(gone, ctx.api.concurrency, (live) => itemsOf(ctx, live.id));
    gone.forEach((live, i) => {
      const key = ours(live)!;
      const first = !out.some((o) => o.key === key);
      out.push({
        key: first ? key : `${key}~${live.id}`, id: live.id, raw: live, managed: true,
        ...(first ? {} : { duplicateOf: key }),
        contains: held[i]!.map((item) => ({ kind: ITEM_KINDS[item.model] ?? item.model, id: item.id, name: item.name ?? `#${item.id}` })),
      });
    });
    return out;
  },
  normalize(live, refs) {
    const parentId = parentOf(live.raw);
    return { name: live.raw.name, description: live.raw.description ?? null, parent: parentId === null ? null : refs.toRef('collection', parentId) };
  },
  async create(desired, ctx) {
    const body = resolveRefs(desired.body, ctx.refs);
    const project = ctx.project.config.project;
    // A create whose answer was lost is found again by the marker it carried.
    const created = await createOnce(
      () => ctx.api.post<{ id: number }>('/api/collection', { name: body.name, description: body.description, parent_id: body.parent }, { schema: Shapes.item }),
      async () => (await listCollections(ctx, false)).find((c) => ownKey(c, project) === desired.key) as { id: number } | undefined,
    );
    ctx.refs.set('collection', desired.key, created.id);
    await guard(desired.key, created.id, ctx);
    return created.id;
  },
  async update(desired, live, ctx) {
    const body = resolveRefs(desired.body, ctx.refs);
    // `archived` defaults to false on master: always say what is meant (false also restores one from the Trash).
    await ctx.api.put(`/api/collection/${live.id}`, { name: body.name, description: body.description, parent_id: body.parent, archived: false });
  },
  async archive(live, ctx) {
    // Looked at again just before: archiving takes everything inside to the Trash, so anything
    // there now that is not a subcollection mb-sync is removing (a move out that failed, an item
    // added since the plan) keeps the collection where it is.
    // The marked collections read() found no longer in the files are the ones it listed the content of.
    const removing = new Set((ctx.live.get('collection') ?? []).filter((l) => l.contains !== undefined).map((l) => l.id));
    const staying: string[] = [];
    const look = async (id: number | string): Promise<void> => {
      for (const item of await itemsOf(ctx, id)) {
        if (item.model === 'collection' && removing.has(item.id)) await look(item.id);
        else staying.push(`"${item.name ?? `#${item.id}`}" (${ITEM_KINDS[item.model] ?? item.model})`);
      }
    };
    await look(live.id);
    if (staying.length > 0) throw new Error(`kept: it still holds ${staying.slice(0, 3).join(', ')}${staying.length > 3 ? ', …' : ''}, which archiving it would take to the Trash`);
    await ctx.api.put(`/api/collection/${live.id}`, { archived: true });
  },
};

/** What a collection holds now (active items only: the Trash keeps its own). */
async function itemsOf(ctx: Pick<ReadContext, 'api'>, id: number | string): Promise<Array<{ id: number; model: string; name?: string }>> {
  return (await ctx.api.get<{ data: Array<{ id: number; model: string; name?: string }> }>(`/api/collection/${id}/items`, { schema: Shapes.items })).data;
}

/** Collections people share (personal ones left out), active or in the Trash. */
async function listCollections(ctx: Pick<ReadContext, 'api'>, archived: boolean): Promise<LiveCollection[]> {
  const rows = await ctx.api.get<LiveCollection[]>('/api/collection', { schema: Shapes.collections, ...(archived ? { params: { archived: true } } : {}) });
  return rows.filter((c) => typeof c.id === 'number' && Boolean(c.archived) === archived && !c.personal_owner_id);
}

/** The key a collection's marker gives it in this project, if it carries this project's marker. */
function ownKey(c: LiveCollection, project: string): string | undefined {
  const marker = readCollectionMarker(c.description);
  return marker?.project === project ? marker.key : undefined;
}

/** The parent's id from `location` ("/3/12/"), null at the root. */
function parentOf(c: LiveCollection): number | null {
  const last = (c.location ?? '/').split('/').filter(Boolean).at(-1);
  return last === undefined ? null : Number(last);
}

/**
 * A new collection inherits its parent's permissions (often "All Users: curate"): the permissions
 * the files declare for it are written in the same step as its create, so no interruption (Ctrl-C,
 * a failure) can leave it open in between. Cells whose group does not exist yet are left to the
 * permissions stage.
 */
async function guard(key: string, id: number, ctx: ApplyContext): Promise<void> {
  const cells = ctx.project.config.permissions.filter((p) => p.collection === key).flatMap((p) => {
    const group = ctx.refs.id('group', p.group);
    return group === undefined ? [] : [{ p, group }];
  });
  if (cells.length === 0) return;
  const groups: Record<string, Record<string, string>> = {};
  for (const { p, group } of cells) groups[String(group)] = { ...groups[String(group)], [String(id)]: p.access };
  await writeCells(ctx, groups);
  for (const { p } of cells) ctx.settled.add(`collection-permissions:${p.group}/${p.collection}`);
}
