import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { StructuredQuery, type StructuredQueryT } from '../../../src/model/card.ts';
import { compileStructuredQuery } from '../../../src/core/compile-query.ts';
import { decompileQuery } from '../../../src/core/decompile-query.ts';
import { normalizeQuery } from '../../../src/core/normalize-query.ts';
import { AGGREGATIONS, FILTERS, JOIN_STRATEGIES, OPTIONS } from '../../../src/core/query-vocabulary.ts';
import { RefIndex, resolveRefs } from '../../../src/core/refs.ts';
import { normalizeQueryOnWrite, queryForRead } from '../../support/fake-metabase/mbql.ts';
import { createState, nextId, type FakeState } from '../../support/fake-metabase/state.ts';
import { mbql5Errors } from '../../support/mbql5-schema.ts';
import { generateQuery, JOINED_TABLE, MAIN_TABLE, seeded, SOURCE_CARD } from '../../support/query-generator.ts';

const RUNS = 400;

/** A fake Metabase's stored catalog (what a sync leaves) and the RefIndex a plan builds from it. */
function catalog(): { state: FakeState; refs: RefIndex } {
  const state = createState({ email: 'a@example.com', password: 'x' }, true);
  const refs = new RefIndex();
  const database = { id: nextId(), name: 'Phoenix' };
  state.databases.set(database.id, database);
  refs.set('database', 'phoenix', database.id);
  const types: Record<string, string> = { event_date: 'type/Date', signup_cohort: 'type/Date', event_at: 'type/DateTime', module: 'type/Text', action: 'type/Text', low_balance: 'type/Boolean', lat: 'type/Float', lon: 'type/Float' };
  for (const table of [MAIN_TABLE, JOINED_TABLE]) {
    const row = { id: nextId(), db_id: database.id, schema: table.schema, name: table.name };
    state.tables.set(row.id, row);
    refs.set('table', `${table.schema}.${table.name}`, row.id);
    table.columns.forEach((name, position) => {
      const field = { id: nextId(), table_id: row.id, name, base_type: types[name] ?? 'type/Integer', position };
      state.fields.set(field.id, field);
      refs.set('field', `${table.schema}.${table.name}.${name}`, field.id);
    });
  }
  refs.set('card', SOURCE_CARD.key, nextId());
  return { state, refs };
}

/** The same query with every lib/uuid replaced by another one (references kept consistent). */
function remint<T>(query: T): T {
  const fresh = new Map<string, string>();
  return JSON.parse(JSON.stringify(query), (_key, value: unknown) => {
    if (typeof value !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(value)) return value;
    if (!fresh.has(value)) fresh.set(value, randomUUID());
    return fresh.get(value);
  }) as T;
}

const compile = (query: StructuredQueryT, seed: number) =>
  compileStructuredQuery({ project: 'phoenix', cardKey: `generated-${seed}`, database: 'phoenix', query, where: `seed ${seed}` });

describe('query-builder round trip, over generated queries', () => {
  const { state, refs } = catalog();
  const queries = Array.from({ length: RUNS }, (_, seed) => ({ seed, query: generateQuery(seeded(seed)) }));

  it('exercises every operator, aggregation, option and join strategy of the vocabulary', () => {
    const text = JSON.stringify(queries.map((q) => q.query));
    for (const spec of [...FILTERS, ...AGGREGATIONS]) expect(text, spec.yaml).toMatch(new RegExp(`"${spec.yaml.replace(/[-/\\^$*+?.()|[\]{}]/g, '\\$&')}[",(]`));
    for (const option of OPTIONS) expect(text, option.yaml).toContain(`"${option.yaml}":`);
    for (const strategy of JOIN_STRATEGIES) expect(text, strategy).toContain(`"${strategy}"`);
  });

  it('the schema accepts every generated query, and the compiler emits valid MBQL 5', () => {
    for (const { seed, query } of queries) {
      const parsed = StructuredQuery.safeParse(query);
      expect(parsed.error?.issues ?? [], `seed ${seed}`).toEqual([]);
      expect(mbql5Errors(resolveRefs(compile(query, seed), refs)), `seed ${seed}: ${JSON.stringify(query)}`).toEqual([]);
    }
  });

  it('decompile(compile(q)) is q, and what the server keeps normalises to the compare form', () => {
    for (const { seed, query } of queries) {
      const wire = compile(query, seed);
      // Written by another client (the UI, an earlier mb-sync): the same query with its own uuids.
      const stored = normalizeQueryOnWrite(seed % 2 === 0 ? resolveRefs(wire, refs) : remint(resolveRefs(wire, refs)), state);
      for (const version of [58, 63]) {
        const read = queryForRead(stored, version);
        expect(normalizeQuery(read, refs), `seed ${seed} on 0.${version}`).toEqual(normalizeQuery(wire));
        expect(decompileQuery(read, refs), `seed ${seed} on 0.${version}`).toEqual({ kind: 'query', query });
      }
      expect(decompileQuery(resolveRefs(wire, refs), refs), `seed ${seed}`).toEqual({ kind: 'query', query });
    }
  });

  it('the compare form needs no uuids: compiled without them, it normalises to what the wire form does', () => {
    // A plan compiles every card's compare form without clause uuids (src/core/card-body.ts) and
    // the wire form only for cards it writes: both must describe the same query.
    for (const { seed, query } of queries) {
      const bare = compileStructuredQuery({ project: 'phoenix', cardKey: `generated-${seed}`, database: 'phoenix', query, where: `seed ${seed}`, uuids: false });
      expect(normalizeQuery(bare), `seed ${seed}`).toEqual(normalizeQuery(compile(query, seed)));
    }
  });

  it('is deterministic: the same query compiles to the same wire form', () => {
    for (const { seed, query } of queries.slice(0, 50)) expect(compile(structuredClone(query), seed)).toEqual(compile(query, seed));
  });
});
