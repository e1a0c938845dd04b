import { randomUUID } from 'node:crypto';
import { aggregationByMbql, specByMbql } from '../../../src/core/query-vocabulary.ts';
import { badRequest, refusal, type Issue } from './http.ts';
import type { FakeState } from './state.ts';

/**
 * What Metabase 0.57+ does to a query on write and read: legacy MBQL 4 is converted to MBQL 5,
 * every clause gets a `lib/uuid`, field refs by id gain `base-type`/`effective-type`, stages get
 * their `lib/type`. 0.63+ returns native template tags as a list.
 */
export function normalizeQueryOnWrite(query: unknown, state: FakeState): Record<string, unknown> {
  if (typeof query !== 'object' || query === null || Array.isArray(query)) throw badRequest('dataset_query must be a map');
  const q = query as Record<string, unknown>;
  let mbql5: Record<string, unknown>;
  if (q['lib/type'] === 'mbql/query') {
    mbql5 = structuredClone(q);
  } else if (q.type === 'native') {
    const native = (q.native ?? {}) as Record<string, unknown>;
    const tags = (native['template-tags'] ?? {}) as Record<string, Record<string, unknown>>;
    // Legacy field refs put options last; MBQL 5 puts them second.
    for (const tag of Object.values(tags)) {
      const d = tag.dimension as unknown[] | undefined;
      if (Array.isArray(d) && d[0] === 'field' && typeof d[1] === 'number') tag.dimension = ['field', d[2] ?? {}, d[1]];
    }
    mbql5 = { 'lib/type': 'mbql/query', database: q.database, stages: [{ 'lib/type': 'mbql.stage/native', native: native.query, 'template-tags': tags }] };
  } else if (q.type === 'query') {
    const inner = (q.query ?? {}) as Record<string, unknown>;
    mbql5 = { 'lib/type': 'mbql/query', database: q.database, stages: [{ 'lib/type': 'mbql.stage/mbql', ...legacyStage(inner) }] };
  } else {
    throw badRequest('Invalid query: missing :lib/type or :type');
  }
  if (typeof mbql5.database !== 'number' || !state.databases.has(mbql5.database)) throw badRequest(`Invalid query: database ${String(mbql5.database)} does not exist`);
  const stages = mbql5.stages;
  if (!Array.isArray(stages) || stages.length === 0) throw badRequest('Invalid query: a query needs at least one stage');
  for (const stage of stages as Array<Record<string, unknown>>) {
    if (stage['lib/type'] === 'mbql.stage/native') {
      if (typeof stage.native !== 'string' || stage.native.trim() === '') throw badRequest('Invalid query: native query must be a non-blank string');
      stage['template-tags'] = tagsAsMap(stage['template-tags']);
    } else if (stage['lib/type'] !== 'mbql.stage/mbql') {
      throw badRequest(`Invalid query: unknown stage type ${String(stage['lib/type'])}`);
    } else if (stage['source-table'] !== undefined && !state.tables.has(stage['source-table'] as number)) {
      throw badRequest(`Invalid query: table ${String(stage['source-table'])} does not exist`);
    } else {
      checkStageRefs(stage, (stages as unknown[]).indexOf(stage), state);
      // Metabase's join schema wants lib/options; it mints the uuid when a client leaves it out.
      for (const join of (stage.joins ?? []) as Array<Record<string, unknown>>) join['lib/options'] ??= { 'lib/uuid': randomUUID() };
    }
  }
  return addServerFields(mbql5, state) as Record<string, unknown>;
}

/**
 * A stored query as a GET returns it: 0.63+ lists template tags instead of keying them by name. The
 * stored query is shared, not copied: a reply is serialised as soon as its handler returns
 * (index.ts), so nothing can change it in between, and copying each card's query on every read
 * made the fake's answers to bulk reads cost more than the client's handling of them.
 */
export function queryForRead(query: Record<string, unknown>, version: number): Record<string, unknown> {
  if (version < 63) return query;
  const stages = (query.stages ?? []) as Array<Record<string, unknown>>;
  return { ...query, stages: stages.map((stage) => (stage['template-tags'] ? { ...stage, 'template-tags': Object.values(stage['template-tags'] as object) } : stage)) };
}

function tagsAsMap(tags: unknown): Record<string, unknown> {
  if (Array.isArray(tags)) return Object.fromEntries(tags.map((t) => [(t as { name: string }).name, t]));
  const map = (tags ?? {}) as Record<string, Record<string, unknown>>;
  for (const [name, tag] of Object.entries(map)) {
    if (tag.name !== name) throw badRequest(`Invalid query: template tag key "${name}" does not match its name "${String(tag.name)}"`);
    tag.id ??= randomUUID();
  }
  return map;
}

function addServerFields(value: unknown, state: FakeState): unknown {
  if (Array.isArray(value)) {
    const isClause = typeof value[0] === 'string' && typeof value[1] === 'object' && value[1] !== null && !Array.isArray(value[1]);
    const out = value.map((v) => addServerFields(v, state));
    if (isClause) {
      const options = out[1] as Record<string, unknown>;
      options['lib/uuid'] ??= randomUUID();
      if (out[0] === 'field' && typeof out[2] === 'number') {
        const field = state.fields.get(out[2]);
        if (!field) throw badRequest(`Invalid query: field ${out[2]} does not exist`);
        options['base-type'] ??= field.base_type;
        options['effective-type'] ??= field.effective_type ?? field.base_type;
      }
    }
    return out;
  }
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === 'template-tags' ? addTagFields(v, state) : addServerFields(v, state)]));
  }
  return value;
}

function addTagFields(tags: unknown, state: FakeState): unknown {
  const map = tags as Record<string, Record<string, unknown>>;
  return Object.fromEntries(Object.entries(map).map(([name, tag]) => {
    const dimension = tag.dimension as unknown[] | undefined;
    return [name, dimension ? { ...tag, dimension: addServerFields(dimension, state) } : tag];
  }));
}

/**
 * Enough of the MBQL 4 → 5 conversion (lib/convert.cljc) for the clauses mb-sync and its tests use.
 * Legacy clauses carry their options last (`["contains", field, "x", {"case-sensitive": false}]`);
 * which operators take options is read from mb-sync's query vocabulary.
 */
function legacyStage(inner: Record<string, unknown>): Record<string, unknown> {
  const aggregationIds = ((inner.aggregation ?? []) as unknown[]).map(() => randomUUID());
  const plain = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  const clause = (c: unknown): unknown => {
    if (!Array.isArray(c) || typeof c[0] !== 'string') return c;
    const [op, ...args] = c as [string, ...unknown[]];
    if (op === 'field') return ['field', args[1] ?? {}, args[0]];
    if (op === 'expression') return ['expression', args[1] ?? {}, args[0]];
    if (op === 'aggregation') return ['aggregation', args[1] ?? {}, aggregationIds[args[0] as number]];
    if (op === 'aggregation-options') {
      const [wrapped, options] = args as [unknown[], Record<string, unknown>];
      const [innerOp, innerOptions, ...rest] = clause(wrapped) as [string, Record<string, unknown>, ...unknown[]];
      return [innerOp, { ...innerOptions, ...options }, ...rest];
    }
    const takesOptions = (specByMbql('filter', op)?.options?.length ?? 0) > 0;
    const options = takesOptions && plain(args[args.length - 1]) ? (args.pop() as Record<string, unknown>) : {};
    return [op, options, ...args.map(clause)];
  };
  const out: Record<string, unknown> = {};
  if (inner['source-table'] !== undefined) out['source-table'] = inner['source-table'];
  if (inner.joins) {
    out.joins = (inner.joins as Array<Record<string, unknown>>).map((j) => {
      const join: Record<string, unknown> = { 'lib/type': 'mbql/join', alias: j.alias, stages: [{ 'lib/type': 'mbql.stage/mbql', 'source-table': j['source-table'] }], conditions: [clause(j.condition)] };
      if (j.strategy !== undefined) join.strategy = j.strategy;
      if (j.fields !== undefined) join.fields = Array.isArray(j.fields) ? j.fields.map(clause) : j.fields;
      return join;
    });
  }
  if (inner.expressions) {
    out.expressions = Object.entries(inner.expressions as Record<string, unknown>).map(([name, e]) => {
      const [op, options, ...rest] = (Array.isArray(e) ? clause(e) : ['value', { 'effective-type': 'type/*' }, e]) as [string, Record<string, unknown>, ...unknown[]];
      return [op, { ...options, 'lib/expression-name': name }, ...rest];
    });
  }
  if (inner.aggregation) {
    out.aggregation = (inner.aggregation as unknown[]).map((a, i) => {
      const [op, options, ...rest] = clause(a) as [string, Record<string, unknown>, ...unknown[]];
      return [op, { ...options, 'lib/uuid': aggregationIds[i] }, ...rest];
    });
  }
  if (inner.breakout) out.breakout = (inner.breakout as unknown[]).map(clause);
  // A top-level `and` becomes one filter per condition.
  if (inner.filter) out.filters = Array.isArray(inner.filter) && inner.filter[0] === 'and' ? inner.filter.slice(1).map(clause) : [clause(inner.filter)];
  if (inner['order-by']) out['order-by'] = (inner['order-by'] as unknown[]).map(clause);
  if (inner.fields) out.fields = (inner.fields as unknown[]).map(clause);
  if (inner.limit !== undefined) out.limit = inner.limit;
  return out;
}

/**
 * Rules of Metabase's query schema that a JSON Schema cannot say (lib/schema.cljc, lib/schema/ref.cljc,
 * lib/schema/join.cljc): an aggregation ref names the `lib/uuid` of an aggregation of the same stage,
 * an expression ref an expression of the stage (both outside the joins), a field ref by name carries
 * its `base-type`, a `join-alias` names a join of the stage (not checked on a stage built on a card),
 * join aliases are unique, and joined tables exist.
 */
function checkStageRefs(stage: Record<string, unknown>, index: number, state: FakeState): void {
  const issues: Issue[] = [];
  const at = (...path: Array<string | number>) => ['dataset_query', 'stages', index, ...path];
  const aggregations = new Set(((stage.aggregation ?? []) as unknown[][]).map((a) => (a[1] as Record<string, unknown> | undefined)?.['lib/uuid']));
  const expressions = new Set(((stage.expressions ?? []) as unknown[][]).map((e) => (e[1] as Record<string, unknown> | undefined)?.['lib/expression-name']));
  const joins = (stage.joins ?? []) as Array<Record<string, unknown>>;
  const aliases = joins.map((j) => j.alias);
  if (new Set(aliases).size !== aliases.length) issues.push({ path: at('joins'), message: 'Join aliases must be unique at a given stage of a query' });
  joins.forEach((join, j) => {
    const table = ((join.stages ?? []) as Array<Record<string, unknown>>)[0]?.['source-table'];
    if (table !== undefined && !state.tables.has(table as number)) issues.push({ path: at('joins', j, 'stages', 0, 'source-table'), message: `Invalid query: table ${String(table)} does not exist` });
  });
  const walk = (value: unknown, path: Array<string | number>, inJoin: boolean): void => {
    if (!Array.isArray(value)) {
      if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) walk(v, [...path, k], inJoin);
      return;
    }
    const [op, options, target] = value as [unknown, Record<string, unknown> | undefined, unknown];
    if (!inJoin && op === 'aggregation' && !aggregations.has(target)) issues.push({ path, message: `Invalid :aggregation reference: no aggregation with uuid ${JSON.stringify(target)} in this stage` });
    if (!inJoin && op === 'expression' && !expressions.has(target)) issues.push({ path, message: `Invalid :expression reference: no expression named ${JSON.stringify(target)}` });
    if (op === 'field' && typeof target === 'string' && typeof options?.['base-type'] !== 'string') issues.push({ path, message: 'Invalid :field clause: a field ref by name needs :base-type' });
    const alias = op === 'field' ? options?.['join-alias'] : undefined;
    if (alias !== undefined && stage['source-card'] === undefined && !aliases.includes(alias)) issues.push({ path, message: `Invalid :field reference in stage ${index}: no join named ${JSON.stringify(alias)}` });
    value.forEach((v, i) => walk(v, [...path, i], inJoin));
  };
  for (const key of ['aggregation', 'breakout', 'filters', 'order-by', 'fields', 'expressions']) walk(stage[key], at(key), false);
  walk(joins.map((j) => ({ conditions: j.conditions, fields: j.fields })), at('joins'), true);
  if (issues.length > 0) throw refusal(issues);
}

/**
 * `result_metadata` as Metabase keeps it: what was sent, or else the columns it computes by running
 * the query (here: from the synced fields of the source table, for query-builder cards; for native
 * ones, see nativeColumns).
 */
export function resultMetadata(sent: unknown, query: Record<string, unknown>, state: FakeState): Array<Record<string, unknown>> | null {
  if (Array.isArray(sent) && sent.length > 0) return sent as Array<Record<string, unknown>>;
  const stage = ((query.stages ?? []) as Array<Record<string, unknown>>)[0];
  if (stage?.['lib/type'] === 'mbql.stage/native') return nativeColumns(String(stage.native), query.database, state);
  if (!stage || stage['lib/type'] !== 'mbql.stage/mbql' || typeof stage['source-table'] !== 'number') return null;
  const fieldColumn = (field: Record<string, unknown>) => ({ name: field.name, display_name: field.display_name, base_type: field.base_type, effective_type: field.base_type, semantic_type: field.semantic_type ?? null, id: field.id, field_ref: ['field', field.id, null] });
  const aggregation = (stage.aggregation ?? []) as unknown[][];
  const breakout = (stage.breakout ?? []) as unknown[][];
  if (aggregation.length === 0 && breakout.length === 0) {
    const fields = [...state.fields.values()].filter((f) => f.table_id === stage['source-table']).sort((a, b) => (a.position as number) - (b.position as number));
    const expressions = ((stage.expressions ?? []) as unknown[][]).map((e) => {
      const name = String((e[1] as Record<string, unknown>)['lib/expression-name']);
      return { name, display_name: name, base_type: 'type/Text', field_ref: ['expression', name] };
    });
    const joined = ((stage.joins ?? []) as Array<Record<string, unknown>>).flatMap((join) => {
      if (join.fields === 'all') {
        const table = ((join.stages ?? []) as Array<Record<string, unknown>>)[0]?.['source-table'];
        return [...state.fields.values()].filter((f) => f.table_id === table).sort((a, b) => (a.position as number) - (b.position as number));
      }
      return Array.isArray(join.fields) ? join.fields.flatMap((f) => state.fields.get((f as unknown[])[2] as number) ?? []) : [];
    });
    const names = new Set(fields.map((f) => f.name));
    // A joined column whose name is taken gets a suffix, as Metabase dedupes result columns.
    const joinedColumns = joined.map((f) => {
      const column = fieldColumn(f);
      return names.has(f.name) ? { ...column, name: `${String(f.name)}_2` } : column;
    });
    return [...fields.map(fieldColumn), ...joinedColumns, ...expressions];
  }
  // Column names as Metabase gives them (the vocabulary's `column`), repeated names suffixed _2, _3…
  const names = new Map<string, number>();
  const unique = (name: string) => {
    const seen = (names.get(name) ?? 0) + 1;
    names.set(name, seen);
    return seen === 1 ? name : `${name}_${seen}`;
  };
  const columns = breakout.map((b) => fieldColumn(state.fields.get(b[2] as number) ?? { name: String(b[2]), display_name: String(b[2]), base_type: 'type/*' }));
  columns.forEach((c) => unique(String(c.name)));
  return [
    ...columns,
    ...aggregation.map((a) => {
      const op = String(a[0]);
      const arg = a[2] as unknown[] | undefined;
      const field = Array.isArray(arg) && arg[0] === 'field' ? state.fields.get(arg[2] as number) : undefined;
      const spec = aggregationByMbql(op);
      const name = unique((spec?.column ?? op).replace('{0}', String(field?.name ?? (Array.isArray(arg) ? arg[2] : 'expression'))));
      const displayName = (a[1] as Record<string, unknown>)['display-name'];
      return { name, display_name: typeof displayName === 'string' ? displayName : name, base_type: spec?.type ?? field?.base_type ?? 'type/Float' };
    }),
  ];
}

/**
 * A native query's columns. Metabase asks the driver to describe the query (sql-jdbc: the prepared
 * statement's metadata, without running it; query_processor/metadata.clj): the fake understands only
 * `SELECT * FROM schema.table`, described as that table's synced fields; any other SQL gets none.
 * Columns of a native query have no field id, and a field ref by name (ensure-legacy, same file).
 */
function nativeColumns(sql: string, database: unknown, state: FakeState): Array<Record<string, unknown>> | null {
  const from = /^\s*select\s+\*\s+from\s+"?(\w+)"?\."?(\w+)"?\s*;?\s*$/i.exec(sql);
  const table = from && [...state.tables.values()].find((t) => t.db_id === database && t.active !== false && t.schema === from[1] && t.name === from[2]);
  if (!table) return null;
  return [...state.fields.values()].filter((f) => f.table_id === table.id).sort((a, b) => (a.position as number) - (b.position as number))
    .map((f) => ({ name: f.name, display_name: f.name, base_type: f.base_type, effective_type: f.base_type, semantic_type: null, field_ref: ['field', f.name, { 'base-type': f.base_type }] }));
}
