import type { ExprArg, JoinT, StructuredQueryT } from '../../src/model/card.ts';
import {
  AGGREGATIONS, BUCKET_UNITS, FILTERS, INTERVAL_UNITS, INTERVAL_WORDS, JOIN_CONDITIONS, JOIN_STRATEGIES,
  argKind, arity, writtenAsCall, type ArgKind, type ClauseSpec,
} from '../../src/core/query-vocabulary.ts';

/**
 * Random query-builder queries in the YAML form `pull` writes (the canonical one), for round-trip
 * property tests. Clauses are drawn from the vocabulary table and their arguments made from its
 * argument kinds, so a new operator is exercised as soon as it is added to the table.
 */

/** A seeded PRNG (mulberry32): the same seed gives the same query on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const MAIN_TABLE = { schema: 'analytics', name: 'vw_energy_spend_events', columns: ['event_date', 'event_at', 'user_id', 'module', 'action', 'cost', 'streak_days', 'lat', 'lon'] };
export const JOINED_TABLE = { schema: 'analytics', name: 'vw_user_energy_health', columns: ['user_id', 'signup_cohort', 'balance', 'low_balance', 'days_inactive'] };
/** A saved question queries can be built on or join to, its columns referred to by name. */
export const SOURCE_CARD = { key: 'base', columns: ['event_date', 'user_id', 'module', 'cost'] };
const DATES = new Set(['event_date', 'event_at', 'signup_cohort']);
const WORDS = ['aube', 'rituals', 'pack', 'Énergie', 'done', 'x y'];

export function generateQuery(rand: () => number): StructuredQueryT {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const chance = (p: number) => rand() < p;
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));

  const onCard = chance(0.15);
  const query: StructuredQueryT = { source: onCard ? `card:${SOURCE_CARD.key}` : `${MAIN_TABLE.schema}.${MAIN_TABLE.name}` };
  const columns = [...(onCard ? SOURCE_CARD.columns : MAIN_TABLE.columns)];
  if (chance(0.4)) {
    const toCard = chance(0.2);
    const join: JoinT = toCard
      ? { source: `card:${SOURCE_CARD.key}`, alias: 'prior', conditions: [['=', 'user_id', 'prior.user_id']] }
      : { source: `${JOINED_TABLE.schema}.${JOINED_TABLE.name}`, alias: 'health', conditions: [['=', 'user_id', 'health.user_id']] };
    const joinedColumns = (toCard ? SOURCE_CARD.columns : JOINED_TABLE.columns).map((c) => `${join.alias}.${c}`);
    if (chance(0.3)) join.conditions.push([pick(JOIN_CONDITIONS).yaml, pick(columns), pick(joinedColumns)]);
    if (chance(0.5)) join.strategy = pick(JOIN_STRATEGIES);
    if (chance(0.6)) join.fields = chance(0.5) ? pick(['all', 'none'] as const) : [pick(joinedColumns).slice(join.alias.length + 1)];
    query.join = [join];
    columns.push(...joinedColumns);
  }
  if (chance(0.3)) {
    query.expressions = chance(0.5) ? { net: ['-', 'cost', int(1, 9)] } : { 'module or unknown': ['coalesce', 'module', { value: 'unknown' }] };
    columns.push(...Object.keys(query.expressions));
  }
  const column = (unit = true): string => {
    const name = pick(columns);
    return unit && DATES.has(name.replace(/^\w+\./, '')) && chance(0.4) ? `${name}:${pick(BUCKET_UNITS)}` : name;
  };

  const usedNames = new Set<string>();
  const arg = (kind: ArgKind, depth: number, call: boolean): ExprArg => {
    switch (kind) {
      case 'column': return !call && chance(0.1) ? ['+', pick(columns.filter((c) => !c.includes(':'))), int(1, 5)] : column();
      case 'value': return pick<ExprArg>([pick(WORDS), int(-5, 500), Math.round(rand() * 1000) / 100, chance(0.5)]);
      case 'text': return pick(WORDS);
      case 'number': return Math.round((rand() * 200 - 100) * 100) / 100;
      case 'fraction': return Math.round(rand() * 100) / 100;
      case 'integer': return int(-30, 30);
      case 'interval': return chance(0.4) ? pick(INTERVAL_WORDS) : int(-30, 30);
      case 'unit': return pick(INTERVAL_UNITS);
      case 'condition': return clause(pick(depth > 1 ? FILTERS.filter((f) => !f.args.includes('condition')) : FILTERS), depth + 1, false);
    }
  };
  const clause = (spec: ClauseSpec, depth: number, call: boolean): ExprArg[] => {
    const { min, max } = arity(spec);
    const count = Math.min(max, min + (spec.rest || min < spec.args.length ? int(0, 2) : 0));
    const args = Array.from({ length: count }, (_, i) => arg(argKind(spec, i)!, depth, call));
    const options: Record<string, boolean | string> = {};
    for (const option of spec.options ?? []) {
      if (!chance(0.4)) continue;
      if (option.type === 'boolean') options[option.yaml] = chance(0.5);
      else {
        const name = `Mesure ${usedNames.size + 1}`;
        usedNames.add(name);
        options[option.yaml] = name;
      }
    }
    return [spec.yaml, ...args, ...(Object.keys(options).length > 0 ? [options] : [])];
  };

  if (chance(0.7)) query.filter = Array.from({ length: int(1, 3) }, () => clause(pick(FILTERS), 0, false) as [string, ...ExprArg[]]);
  if (chance(0.6)) {
    const chosen = [...new Set(Array.from({ length: int(1, 3) }, () => pick(AGGREGATIONS)))];
    query.aggregate = chosen.map((spec) => canonicalAggregation(spec, clause(spec, 0, false)));
    if (new Set(query.aggregate.map((a) => JSON.stringify(a))).size !== query.aggregate.length) query.aggregate = [query.aggregate[0]!];
  }
  if (chance(0.5)) query.breakout = [...new Set(Array.from({ length: int(1, 2) }, () => column()))];
  const handles = (query.aggregate ?? []).flatMap((a) => (typeof a === 'string' ? [a] : typeof (a.at(-1) as Record<string, unknown>)?.name === 'string' ? [(a.at(-1) as Record<string, string>).name!] : []));
  if (chance(0.5)) {
    const orderable = [...handles, ...(query.breakout ?? []), ...(query.aggregate ? [] : [column()])];
    if (orderable.length > 0) query.order_by = [...new Set(Array.from({ length: int(1, 2) }, () => `${chance(0.5) ? '-' : ''}${pick(orderable)}`))];
    const names = (query.order_by ?? []).map((o) => o.replace(/^-/, ''));
    if (new Set(names).size !== names.length) query.order_by = query.order_by!.slice(0, 1);
  }
  if (!query.aggregate && !query.breakout && chance(0.4)) query.fields = [...new Set(Array.from({ length: int(1, 3) }, () => column(false)))];
  if (chance(0.3)) query.limit = int(1, 2000);
  return query;
}

/** `sum(cost)` when the aggregation can be written so (no options, plain arguments), else the list. */
function canonicalAggregation(spec: ClauseSpec, list: ExprArg[]): string | [string, ...ExprArg[]] {
  const args = list.slice(1);
  if (!writtenAsCall(spec) || !args.every((a) => typeof a === 'string' || typeof a === 'number')) return list as [string, ...ExprArg[]];
  return args.length === 0 ? spec.yaml : `${spec.yaml}(${args.join(', ')})`;
}
