import { afterEach, describe, expect, it } from 'vitest';
import { loadProject } from '../../../src/config/load-project.ts';
import { StructuredQuery, type StructuredQueryT } from '../../../src/model/card.ts';
import { compileStructuredQuery } from '../../../src/core/compile-query.ts';
import { ConfigError } from '../../../src/core/errors.ts';
import { AGGREGATIONS, FILTERS } from '../../../src/core/query-vocabulary.ts';
import { files } from '../../integration/engine/fixture-project.ts';
import { writeProject } from '../../integration/engine/harness.ts';
import { generateQuery, seeded } from '../../support/query-generator.ts';
import { parse } from 'yaml';

const SOURCE = 'analytics.vw_energy_spend_events';
const schemaIssues = (query: unknown) => (StructuredQuery.safeParse(query).error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);
const compileError = (query: unknown): string | undefined => {
  try {
    compileStructuredQuery({ project: 'p', cardKey: 'k', database: 'd', query: query as StructuredQueryT, where: 'f.yaml' });
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
};

describe('the query schema and the compiler read the same vocabulary', () => {
  it('accept every example of the table, in a filter or an aggregation', () => {
    for (const spec of FILTERS) {
      const query = { source: SOURCE, expressions: { x: 1 }, filter: [parse(spec.example)] };
      expect(schemaIssues(query), spec.yaml).toEqual([]);
      expect(compileError(query), spec.yaml).toBeUndefined();
    }
    for (const spec of AGGREGATIONS) {
      const query = { source: SOURCE, aggregate: [parse(`[${spec.example}]`)[0]] };
      expect(schemaIssues(query), spec.yaml).toEqual([]);
      expect(compileError(query), spec.yaml).toBeUndefined();
    }
  });

  it('refuses the same things, with one message that says what is allowed', () => {
    const cases: Array<[Partial<StructuredQueryT> | Record<string, unknown>, string]> = [
      [{ aggregate: ['count-where'] }, 'aggregate.0: write count-where as a list, e.g. [count-where, [">=", streak_days, 3], { name: Séries ≥ 3 }]'],
      [{ aggregate: ['share(cost)'] }, 'aggregate.0: write share as a list'],
      [{ aggregate: ['percentile(cost, 0.9)'] }, 'aggregate.0: write percentile as a list, e.g. [percentile, cost, 0.9]'],
      [{ aggregate: ['total(cost)'] }, 'aggregate.0: write an aggregation as count, sum(…), avg(…)'],
      [{ aggregate: [['sum-where', 'cost']] }, 'aggregate.0.0: sum-where takes a column, a condition, e.g. [sum-where, cost, ["=", module, aube]]'],
      [{ aggregate: [['percentile', 'cost', 2]] }, 'aggregate.0.2: percentile: 2 is not a number between 0 and 1'],
      [{ aggregate: [['count-where', ['like', 'module', 'a']]] }, 'aggregate.0.1.0: unknown filter "like": use =, !=, <, >, <=, >=, between, contains'],
      [{ filter: [['between', 'event_date', '2025-01-01']] }, 'filter.0.0: between takes a column, a value, a value'],
      [{ filter: [['contains', 'action', 'aube', { case_sensitiv: false }]] }, 'filter.0.3.case_sensitiv: unknown option of contains: use case_sensitive'],
      [{ filter: [['is-null', 'label', { case_sensitive: false }]] }, 'filter.0.2: is-null takes no options'],
      [{ filter: [['time-interval', 'event_date', -30, 'fortnight']] }, 'filter.0.3: time-interval: "fortnight" is not a unit'],
      [{ filter: [['time-interval', 'event_date', 'previous', 'day']] }, 'filter.0.2: time-interval: "previous" is not an integer or one of current, last, next'],
      [{ breakout: ['health.balance'] }, 'breakout.0: "health.balance": no join named "health"'],
      [{ aggregate: ['sum(cost)'], order_by: ['-sum(balance)'] }, 'order_by.0: "sum(balance)" is not one of the aggregations (sum(cost))'],
      [{ join: [{ source: 'analytics.vw_user_energy_health', alias: 'h', conditions: [['=', 'user_id', 'h.user_id']] }, { source: 'analytics.vw_user_energy_health', alias: 'h', conditions: [['=', 'user_id', 'h.user_id']] }] }, 'join.1.alias: another join is also named "h"'],
      [{ join: [{ source: 'analytics.vw_user_energy_health', alias: 'h', conditions: [['between', 'user_id', 'h.user_id', 3]] }] }, 'join.0.conditions.0.0: unknown join condition'],
    ];
    for (const [part, message] of cases) {
      const query = { source: SOURCE, ...part };
      const issues = schemaIssues(query);
      expect(issues.some((i) => i.startsWith(message)), `${JSON.stringify(part)}: ${issues.join(' | ')}`).toBe(true);
      expect(compileError(query), JSON.stringify(part)).toBeDefined();
    }
  });

  it('agree on generated queries with one thing broken in them', () => {
    const mutations: Array<(q: StructuredQueryT) => void> = [
      (q) => void (q.filter = [['like', 'module', 'a']]),
      (q) => void (q.filter = [...(q.filter ?? []), ['<', 'cost']]),
      (q) => void (q.filter = [['is-empty', 'label', 'extra']]),
      (q) => void (q.filter = [['=', 'module', { bogus: true }]]),
      (q) => void (q.aggregate = ['count-where']),
      (q) => void (q.aggregate = [['sum', 'cost', { name: '' }]]),
      (q) => void (q.breakout = ['nobody.cost']),
      (q) => void (q.breakout = ['event_date:fortnight']),
      (q) => void (q.order_by = ['-median(cost)']),
      (q) => void (q.filter = [['inside', 'lat', 'lon', 1, 2, 3, 'four']]),
      (q) => void (q.expressions = { net: ['-', 'cost', { case_sensitive: true }] }),
      (q) => void (q.filter = [['not', ['and', ['=', 'module', 'a']]]]),
      () => undefined,
    ];
    let refused = 0;
    for (let seed = 0; seed < 300; seed += 1) {
      const query = generateQuery(seeded(10_000 + seed));
      mutations[seed % mutations.length]!(query);
      const schemaOk = StructuredQuery.safeParse(query).success;
      const compileOk = compileError(query) === undefined;
      expect(schemaOk, `seed ${seed}: ${JSON.stringify(query)}`).toBe(compileOk);
      if (!compileOk) refused += 1;
    }
    expect(refused).toBeGreaterThan(200);
  });
});

describe('loading a project', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it('reports a query the compiler would refuse at its file, line and path, before anything is sent', async () => {
    const dashboard = files['dashboards/energie.yaml']!.replace('aggregate: [sum(total_spent)]', 'aggregate: [sum(total_spent), count-where]');
    const p = await writeProject({ ...files, 'dashboards/energie.yaml': dashboard });
    cleanups.push(p.cleanup);
    const error = await loadProject({ configPath: `${p.root}/metabase.config.yaml`, env: { PHOENIX_RO_PASSWORD: 'x' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const [issue] = (error as ConfigError).issues;
    expect(issue).toMatchObject({ file: expect.stringMatching(/energie\.yaml$/), path: 'cards[1].query.aggregate[1]', message: expect.stringContaining('write count-where as a list') });
    expect(issue!.line).toBeGreaterThan(0);
  });
});
