import { DATA_PERMISSION_ROWS, oneAtATime, type ResourceHandler } from './types.ts';
import { Shapes } from '../metabase/shapes.ts';
import { createOnce } from './create-once.ts';

interface GroupBody {
  name: string;
}
type LiveGroup = { id: number; name: string };

/** Permission groups from the config, found by name. Groups not in the config are never touched. */
export const groupHandler: ResourceHandler<GroupBody, LiveGroup> = {
  kind: 'group',
  dependsOn: [],
  desired: (project) => project.config.groups.map((g) => ({ key: g.key, body: { name: g.name } })),
  async read(ctx) {
    const groups = await ctx.api.get<LiveGroup[]>('/api/permissions/group', { schema: Shapes.groups });
    return ctx.project.config.groups.flatMap((wanted) => {
      const live = groups.find((g) => g.name === wanted.name);
      if (!live) return [];
      ctx.refs.set('group', wanted.key, live.id);
      return [{ key: wanted.key, id: live.id, raw: live, managed: true }];
    });
  },
  normalize: (live) => ({ name: live.raw.name }),
  async create(desired, ctx) {
    // Not alongside the database's create: see DATA_PERMISSION_ROWS.
    const group = await oneAtATime(ctx, DATA_PERMISSION_ROWS, () => createOnce(
      () => ctx.api.post<LiveGroup>('/api/permissions/group', { name: desired.body.name }, { schema: Shapes.item }),
      async () => (await ctx.api.get<LiveGroup[]>('/api/permissions/group', { schema: Shapes.groups })).find((g) => g.name === desired.body.name),
      { alreadyExists: /already exists/i },
    ));
    ctx.refs.set('group', desired.key, group.id);
    return group.id;
  },
  async update(desired, live, ctx) {
    await ctx.api.put(`/api/permissions/group/${live.id}`, { name: desired.body.name });
  },
};
