import type { ProjectConfigT } from '../model/project.ts';
import { ref, type Ref } from '../core/refs.ts';
import { mapLimit } from '../core/map-limit.ts';
import type { LiveDatabase, LiveTable } from './database.ts';
import { runState, type ApplyContext, type DesiredObject, type ResourceHandler } from './types.ts';

type Attributes = Record<string, unknown>;
interface TableBody {
  /** Which table: on a fresh database it is "known after sync" in the plan. */
  ref: Ref;
  table: Attributes;
  columns: Record<string, Attributes>;
}

/**
 * Only the attributes the files set are managed: anything else stays as Metabase has it. The compare
 * form writes `auto-list` as `list`, which is how Metabase reads it back (infer-has-field-values);
 * the wire form sends what the files say.
 */
function desiredFor(tables: ProjectConfigT['database']['tables']): Array<{ key: string; body: TableBody; wire: TableBody }> {
  return Object.entries(tables).map(([key, t]) => {
    const table: Attributes = {};
    if (t.display_name !== undefined) table.display_name = t.display_name;
    if (t.description !== undefined) table.description = t.description;
    if (t.visibility !== undefined) table.visibility_type = t.visibility === 'visible' ? null : t.visibility;
    const columns = Object.fromEntries(Object.entries(t.columns).map(([name, c]) => {
      const attrs: Attributes = {};
      if (c.display_name !== undefined) attrs.display_name = c.display_name;
      if (c.description !== undefined) attrs.description = c.description;
      if (c.semantic_type !== undefined) attrs.semantic_type = c.semantic_type;
      if (c.visibility !== undefined) attrs.visibility_type = c.visibility;
      if (c.values !== undefined) attrs.has_field_values = c.values;
      return [name, attrs];
    }));
    const wire = { ref: ref('table', key), table, columns };
    const compare = Object.fromEntries(Object.entries(columns).map(([name, attrs]) => [name, attrs.has_field_values === 'auto-list' ? { ...attrs, has_field_values: 'list' } : attrs]));
    return { key, body: { ...wire, columns: compare }, wire };
  });
}

const pick = (source: Record<string, unknown>, keys: string[]) => Object.fromEntries(keys.map((k) => [k, source[k] ?? null]));
/** Whether a field's values list was asked for during this apply: field values are rescanned after. */
const rescan = (ctx: ApplyContext) => runState(ctx, 'table-metadata.rescan', () => ({ value: false }));

/** Table and column metadata (display names, descriptions, semantic types, visibility, filter values). */
export const tableMetadataHandler: ResourceHandler<TableBody, { table: LiveTable; wanted: TableBody }> = {
  kind: 'table-metadata',
  dependsOn: ['database'],
  readAfter: ['database'],
  desired: (project) => desiredFor(project.config.database.tables),
  async read(ctx) {
    // No request of its own: the database handler already read the whole metadata in one call.
    const db = ctx.live.get('database')?.[0]?.raw as LiveDatabase | undefined;
    if (!db) return [];
    return desiredFor(ctx.project.config.database.tables).flatMap(({ key, body }) => {
      const table = db.tables.find((t) => `${t.schema}.${t.name}` === key);
      return table ? [{ key, id: table.id, raw: { table, wanted: body }, managed: true }] : [];
    });
  },
  normalize(live, refs) {
    const { table, wanted } = live.raw;
    return {
      ref: refs.toRef('table', table.id)!,
      table: pick(table as unknown as Record<string, unknown>, Object.keys(wanted.table)),
      columns: Object.fromEntries(Object.entries(wanted.columns).map(([name, attrs]) => {
        const field = table.fields.find((f) => f.name === name);
        return [name, field ? pick(field, Object.keys(attrs)) : { missing: true }];
      })),
    };
  },
  async create(desired, ctx) {
    // The table appeared with the sync during this apply: set everything the files say.
    const id = ctx.refs.id('table', desired.key) as number | undefined;
    if (id === undefined) throw new Error(`table ${desired.key} is not in Metabase after the sync (is it in the synced schemas?)`);
    await write(desired.key, id, desired, undefined, ctx);
    return id;
  },
  async update(desired, live, ctx) {
    await write(desired.key, live.id as number, desired, this.normalize(live, ctx.refs), ctx);
  },
  // Cards need the columns' metadata (their result metadata is taken from it when they are saved),
  // not the filter values: the rescan, which only starts a job on the server, holds nothing up.
  async afterStageInBackground(ctx) {
    if (!rescan(ctx).value) return;
    const id = ctx.refs.id('database', ctx.project.config.database.key);
    // Filter dropdowns read cached field values: refresh them for the columns now set to list.
    if (id !== undefined) await ctx.api.post(`/api/database/${id}/rescan_values`, {}, { idempotent: true });
  },
};

async function write(key: string, tableId: number, object: DesiredObject<TableBody>, current: TableBody | undefined, ctx: ApplyContext): Promise<void> {
  const differs = (a: Attributes, b: Attributes | undefined) => b === undefined || Object.keys(a).some((k) => (a[k] ?? null) !== (b[k] ?? null));
  const desired = object.body;
  const wire = (object.wire ?? object.body) as TableBody;
  const writes: Array<() => Promise<unknown>> = [];
  if (Object.keys(desired.table).length > 0 && differs(desired.table, current?.table)) {
    writes.push(() => ctx.api.put(`/api/table/${tableId}`, wire.table));
  }
  for (const [name, compared] of Object.entries(desired.columns)) {
    if (Object.keys(compared).length === 0 || !differs(compared, current?.columns[name])) continue;
    const attrs = wire.columns[name]!;
    const fieldId = ctx.refs.id('field', `${key}.${name}`);
    if (fieldId === undefined) throw new Error(`column ${key}.${name} is not in Metabase (check the view and the sync)`);
    if (compared.has_field_values === 'list') rescan(ctx).value = true;
    writes.push(() => ctx.api.put(`/api/field/${fieldId}`, attrs));
  }
  // At the client's concurrency (each field is its own object).
  await mapLimit(writes, ctx.api.concurrency, (w) => w());
}
