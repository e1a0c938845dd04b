import { MetabaseHttpError } from '../metabase/errors.ts';
import { Shapes } from '../metabase/shapes.ts';
import { ref, type Ref } from '../core/refs.ts';
import { oneAtATime, type ApplyContext, type ResourceHandler } from './types.ts';

/** The cell's group and collection are refs, so the plan (and a failed group) shows what it waits for. */
interface PermissionBody {
  group: Ref;
  collection: Ref;
  access: string;
}
interface Graph {
  revision: number;
  groups: Record<string, Record<string, string>>;
}


/**
 * Collection permissions: only the (group, collection) cells the files declare are read, compared
 * and written; the rest of the graph is left as it is. Since 0.56.13 the graph leaves out "none".
 */
export const collectionPermissionsHandler: ResourceHandler<PermissionBody, { group: number | string; collection: number | string; access: string }> = {
  kind: 'collection-permissions',
  dependsOn: ['group', 'collection'],
  readAfter: ['group', 'collection'],
  desired: (project) => project.config.permissions.map((p) => ({ key: `${p.group}/${p.collection}`, body: { group: ref('group', p.group), collection: ref('collection', p.collection), access: p.access } })),
  async read(ctx) {
    const wanted = ctx.project.config.permissions;
    const cells = wanted.map((p) => ({ p, group: ctx.refs.id('group', p.group), collection: ctx.refs.id('collection', p.collection) }));
    if (!cells.some((c) => c.group !== undefined && c.collection !== undefined)) return [];
    const graph = await ctx.api.get<Graph>('/api/collection/graph', { schema: Shapes.graph });
    return cells.flatMap(({ p, group, collection }) => {
      if (group === undefined || collection === undefined) return [];
      const access = graph.groups[String(group)]?.[String(collection)] ?? 'none';
      return [{ key: `${p.group}/${p.collection}`, id: `${group}/${collection}`, raw: { group, collection, access }, managed: true }];
    });
  },
  normalize: (live, refs) => ({ group: refs.toRef('group', live.raw.group)!, collection: refs.toRef('collection', live.raw.collection)!, access: live.raw.access }),
  async create(desired, ctx) {
    await write(ctx, desired.key, desired.body.access);
    return desired.key;
  },
  async update(desired, _live, ctx) {
    await write(ctx, desired.key, desired.body.access);
  },
};

async function write(ctx: ApplyContext, key: string, access: string): Promise<void> {
  const [groupKey, collectionKey] = key.split('/') as [string, string];
  const group = ctx.refs.id('group', groupKey);
  const collection = ctx.refs.id('collection', collectionKey);
  if (group === undefined || collection === undefined) throw new Error(`group ${groupKey} or collection ${collectionKey} does not exist yet`);
  await writeCells(ctx, { [String(group)]: { [String(collection)]: access } });
}

/**
 * Writes graph cells (group id → collection id → access) in one revision-checked PUT; one writer at
 * a time in an apply (graph writes carry a revision), and a 409 (someone else edited the graph)
 * reads the new revision and tries again.
 */
export async function writeCells(ctx: Pick<ApplyContext, 'api' | 'run'>, groups: Record<string, Record<string, string>>): Promise<void> {
  const { api } = ctx;
  await oneAtATime(ctx, 'collection-graph', async () => {
    for (let attempt = 1; ; attempt++) {
      const { revision } = await api.get<Graph>('/api/collection/graph', { schema: Shapes.graph });
      try {
        await api.put('/api/collection/graph', { revision, groups }, { params: { skip_graph: true } });
        return;
      } catch (error) {
        // Someone else edited the permissions in between: read the new revision once more.
        if (!(error instanceof MetabaseHttpError && error.status === 409) || attempt >= 3) throw error;
      }
    }
  });
}
