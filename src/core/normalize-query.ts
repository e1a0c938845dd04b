import { isRef, type RefIndex } from './refs.ts';

/** Options the server adds on read that say nothing about what the query means. */
const SERVER_OPTIONS = new Set(['lib/uuid', 'base-type', 'effective-type', 'ident']);
// Tag ids are not compared: nothing mb-sync manages refers to them (mappings use tag names).
const TAG_KEYS = ['name', 'display-name', 'type', 'dimension', 'widget-type', 'default', 'required', 'card-id', 'snippet-name', 'snippet-id'];

/**
 * A query in one canonical form for comparison, both for what the files compile to and for what
 * Metabase returns (0.57+: MBQL 5 with `lib/uuid` everywhere; 0.63+: template tags as a list).
 * With a RefIndex, live ids become refs (`field:analytics.vw_x.col`).
 */
export function normalizeQuery(query: unknown, refs?: RefIndex): unknown {
  if (typeof query !== 'object' || query === null) return query;
  const q = query as Record<string, unknown>;
  const stages = Array.isArray(q.stages) ? q.stages : [];
  return {
    'lib/type': 'mbql/query',
    database: idToRef(q.database, 'database', refs),
    stages: stages.map((stage: Record<string, unknown>) => normalizeStage(stage, refs)),
  };
}

function normalizeStage(stage: Record<string, unknown>, refs?: RefIndex): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // An ordering by an aggregation points at its lib/uuid: compare by position instead, since the
  // uuid is minted by whoever wrote the query.
  const aggregations = Array.isArray(stage.aggregation) ? (stage.aggregation as unknown[][]) : [];
  const position = new Map(aggregations.map((a, i) => [(a[1] as Record<string, unknown> | undefined)?.['lib/uuid'], i]));
  if (Array.isArray(stage['order-by'])) {
    stage = {
      ...stage,
      'order-by': (stage['order-by'] as unknown[][]).map((o) => {
        const target = o[2] as unknown[] | undefined;
        return Array.isArray(target) && target[0] === 'aggregation' && position.has(target[2]) ? [o[0], o[1], ['aggregation', target[1], position.get(target[2])]] : o;
      }),
    };
  }
  for (const key in stage) {
    if (!Object.hasOwn(stage, key)) continue;
    const value = stage[key];
    if (value === undefined || value === null) continue;
    if (key === 'source-table') out[key] = idToRef(value, 'table', refs);
    else if (key === 'source-card') out[key] = idToRef(value, 'card', refs);
    else if (key === 'template-tags') {
      // No tags and no key are the same query: Metabase's normaliser may drop an empty map on save
      // (the legacy one always did), so `{}` sent for SQL without variables can come back absent.
      const tags = normalizeTags(value, refs);
      if (Object.keys(tags).length > 0) out[key] = tags;
    }
    else if (key === 'joins' && Array.isArray(value)) out[key] = value.map((join: Record<string, unknown>) => normalizeJoin(join, refs));
    else if (key === 'lib/stage-metadata') continue;
    // Trailing whitespace of SQL is not a change (YAML block scalars end with a newline).
    else if (key === 'native' && typeof value === 'string') out[key] = value.trimEnd();
    else setKey(out, key, clauses(value, refs));
  }
  return out;
}

/** A join's own stages hold ids like the query's; its `lib/options` is only a uuid nothing refers to. */
function normalizeJoin(join: Record<string, unknown>, refs?: RefIndex): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(join)) {
    if (key === 'lib/options' || value === undefined || value === null) continue;
    setKey(out, key, key === 'stages' && Array.isArray(value) ? value.map((s: Record<string, unknown>) => normalizeStage(s, refs)) : clauses(value, refs));
  }
  return out;
}

function normalizeTags(tags: unknown, refs?: RefIndex): Record<string, unknown> {
  const list = Array.isArray(tags) ? tags : Object.values((tags ?? {}) as object);
  const out: Record<string, unknown> = {};
  for (const tag of list as Array<Record<string, unknown>>) {
    const kept: Record<string, unknown> = {};
    for (const key of TAG_KEYS) {
      const value = tag[key];
      if (value === undefined || value === null || (key === 'required' && value === false)) continue;
      kept[key] = key === 'dimension' ? clauses(value, refs) : key === 'card-id' ? idToRef(value, 'card', refs) : value;
    }
    setKey(out, String(tag.name), kept);
  }
  return out;
}

/**
 * Clauses are `[op, {options}, ...args]`: server options dropped, field ids turned into refs.
 * Written as loops (for…in, not for…of over Object.keys(): no array and iterator per object): it
 * runs over every clause of every card a plan reads, mostly before V8 has optimised it.
 */
function clauses(value: unknown, refs?: RefIndex): unknown {
  if (Array.isArray(value)) {
    const options = value[1];
    const isClause = typeof value[0] === 'string' && typeof options === 'object' && options !== null && !Array.isArray(options) && !isRef(options);
    if (!isClause) {
      const out = new Array<unknown>(value.length);
      for (let i = 0; i < value.length; i++) out[i] = clauses(value[i], refs);
      return out;
    }
    const kept: Record<string, unknown> = {};
    for (const key in options) {
      if (!Object.hasOwn(options, key)) continue;
      const option = (options as Record<string, unknown>)[key];
      if (!SERVER_OPTIONS.has(key) && option !== null && option !== undefined) setKey(kept, key, option);
    }
    const out: unknown[] = [value[0], kept];
    if (value[0] === 'field' && typeof value[2] === 'number') out.push(idToRef(value[2], 'field', refs));
    else for (let i = 2; i < value.length; i++) out.push(clauses(value[i], refs));
    return out;
  }
  if (typeof value === 'object' && value !== null) {
    if (isRef(value)) return value;
    const out: Record<string, unknown> = {};
    for (const key in value) if (Object.hasOwn(value, key)) setKey(out, key, clauses((value as Record<string, unknown>)[key], refs));
    return out;
  }
  return value;
}

/** `out[key] = value`, also for a key named `__proto__` (JSON can hold one; assigning it would set the prototype). */
function setKey(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

function idToRef(value: unknown, kind: 'database' | 'table' | 'card' | 'field', refs?: RefIndex): unknown {
  if (refs === undefined || (typeof value !== 'number' && typeof value !== 'string') || isRef(value)) return value;
  return refs.toRef(kind, value);
}
