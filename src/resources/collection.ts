import { flatten } from '../core/collections.ts';
import { ref, resolveRefs, type Ref } from '../core/refs.ts';
import type { ResourceHandler } from './types.ts';
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

/**
 * Collections from the config, found by their name path from the root (collections take no
 * client-chosen entity_id). One removed from the config is left alone: it may hold content that
 * is not mb-sync's, so archiving it is a person's decision.
 */
export const collectionHandler: ResourceHandler<CollectionBody, LiveCollection> = {
  kind: 'collection',
  // A new collection's declared permissions are written with it (they name groups).
  dependsOn: ['group'],
  desired: (project) =>
    flatten(project.config.collections).map((c) => ({ key: c.key, body: { name: c.name, description: c.description ?? null, parent: c.parent === null ? null : ref('collection', c.parent) } })),
  async read(ctx) {
    const all = (await ctx.api.get<LiveCollection[]>('/api/collection', { schema: Shapes.collections })).filter((c) => typeof c.id === 'number' && !c.archived && !c.personal_owner_id);
    const byId = new Map(all.map((c) => [c.id, c]));
    const pathOf = (c: LiveCollection): string =>
      [...(c.location ?? '/').split('/').filter(Boolean).map((id) => byId.get(Number(id))?.name ?? `#${id}`), c.name].join(' / ');
    const livePaths = new Map(all.map((c) => [pathOf(c), c]));
    const wanted = flatten(ctx.project.config.collections);
    const names = new Map(wanted.map((c) => [c.key, c]));
    const wantedPath = (key: string): string => {
      const c = names.get(key)!;
      return c.parent === null ? c.name : `${wantedPath(c.parent)} / ${c.name}`;
    };
    return wanted.flatMap((c) => {
      const live = livePaths.get(wantedPath(c.key));
      if (!live) return [];
      ctx.refs.set('collection', c.key, live.id);
      return [{ key: c.key, id: live.id, raw: live, managed: true }];
    });
  },
  normalize(live, refs) {
    const parentId = (live.raw.location ?? '/').split('/').filter(Boolean).at(-1);
    return { name: live.raw.name, description: live.raw.description ?? null, parent: parentId === undefined ? null : refs.toRef('collection', Number(parentId)) };
  },
  async create(desired, ctx) {
    const body = resolveRefs(desired.body, ctx.refs);
    // Found again by name under the same parent, as read() finds collections.
    const created = await createOnce(
      () => ctx.api.post<{ id: number }>('/api/collection', { name: body.name, description: body.description, parent_id: body.parent }, { schema: Shapes.item }),
      async () => (await ctx.api.get<LiveCollection[]>('/api/collection', { schema: Shapes.collections })).find((c) =>
        typeof c.id === 'number' && !c.archived && c.name === body.name && ((c.location ?? '/').split('/').filter(Boolean).at(-1) ?? null) === (body.parent === null ? null : String(body.parent))) as { id: number } | undefined,
    );
    ctx.refs.set('collection', desired.key, created.id);
    await guard(desired.key, created.id, ctx);
    return created.id;
  },
  async update(desired, live, ctx) {
    const body = resolveRefs(desired.body, ctx.refs);
    // `archived` defaults to false on master: always say what is meant.
    await ctx.api.put(`/api/collection/${live.id}`, { name: body.name, description: body.description, parent_id: body.parent, archived: false });
  },
};

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
