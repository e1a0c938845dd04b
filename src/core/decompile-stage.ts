import type { ExprArg, JoinT, StructuredQueryT } from '../model/card.ts';
import { argKind, arity, JOIN_STRATEGIES, specByMbql, writtenAsCall, type Family } from './query-vocabulary.ts';
import type { RefIndex } from './refs.ts';

type Clause = [string, Record<string, unknown>, ...unknown[]];

/** Options the server adds that say nothing about the query (normalize-query.ts drops them too). */
const SERVER_OPTIONS = new Set(['lib/uuid', 'base-type', 'effective-type', 'ident']);
const STAGE_KEYS = new Set(['lib/type', 'source-table', 'source-card', 'joins', 'aggregation', 'breakout', 'filters', 'expressions', 'order-by', 'limit', 'fields', 'lib/stage-metadata']);
const JOIN_KEYS = new Set(['lib/type', 'lib/options', 'alias', 'stages', 'conditions', 'strategy', 'fields']);
const ALIAS = /^[A-Za-z_]\w*$/;

const isClause = (v: unknown): v is Clause => Array.isArray(v) && typeof v[0] === 'string' && typeof v[1] === 'object' && v[1] !== null && !Array.isArray(v[1]);

/**
 * One MBQL 5 stage back to the YAML of a query-builder card, through the vocabulary: the inverse of
 * compile-query, so that compiling what this returns gives the same compare form. Throws (with the
 * reason) on anything the YAML has no spelling for.
 */
export function decompileStage(stage: Record<string, unknown>, refs: RefIndex): StructuredQueryT {
  const extra = Object.keys(stage).filter((k) => !STAGE_KEYS.has(k) && stage[k] !== undefined && stage[k] !== null);
  if (extra.length > 0) throw new Error(`uses ${extra.join(', ')}`);
  const source = sourceName(stage, refs);
  const joins = new Map<string, string>();
  const rawJoins = (stage.joins ?? []) as Array<Record<string, unknown>>;
  for (const join of rawJoins) {
    if (typeof join.alias !== 'string' || !ALIAS.test(join.alias)) throw new Error(`join alias ${JSON.stringify(join.alias)} is not a name (letters, digits, _)`);
    const stages = (join.stages ?? []) as Array<Record<string, unknown>>;
    if (stages.length !== 1 || Object.keys(stages[0]!).some((k) => !['lib/type', 'source-table', 'source-card'].includes(k))) throw new Error(`join "${join.alias}" is a query of its own`);
    joins.set(join.alias, sourceName(stages[0]!, refs));
  }

  const checkOptions = (options: Record<string, unknown>, allowed: string[], what: string) => {
    for (const [key, value] of Object.entries(options)) {
      if (value !== null && value !== undefined && !SERVER_OPTIONS.has(key) && !allowed.includes(key)) throw new Error(`${what} with option ${key}`);
    }
  };
  const column = (value: unknown): string => {
    const [op, options, arg] = value as Clause;
    if (op !== 'field' && op !== 'expression') throw new Error(`a ${op} where a column was expected`);
    checkOptions(options, ['temporal-unit', 'join-alias'], `a ${op}`);
    const unit = options['temporal-unit'] ? `:${String(options['temporal-unit'])}` : '';
    if (op === 'expression') return `${String(arg)}${unit}`;
    const alias = options['join-alias'] as string | undefined;
    if (alias !== undefined && !joins.has(alias)) throw new Error(`a column of an unknown join "${alias}"`);
    const base = alias === undefined ? source : joins.get(alias)!;
    let name: string;
    if (typeof arg === 'string') name = arg;
    else {
      const full = refs.name('field', arg as number);
      if (!full) throw new Error(`field ${String(arg)} is not in the project's database`);
      name = full.startsWith(`${base}.`) ? full.slice(base.length + 1) : full;
    }
    if (alias !== undefined && name.includes('.')) throw new Error(`join "${alias}" uses a column of another table`);
    return `${alias === undefined ? '' : `${alias}.`}${name}${unit}`;
  };
  const expression = (value: unknown): ExprArg => {
    if (!isClause(value)) return typeof value === 'string' ? { value } : (value as ExprArg);
    const [op, options, ...args] = value;
    if (op === 'field' || op === 'expression') return column(value);
    checkOptions(options, ['lib/expression-name'], `expression ${op}`);
    return [op, ...args.map(expression)];
  };

  /** A clause of the vocabulary back to its YAML list, argument by argument. */
  const clause = (family: Family, value: unknown): ExprArg[] => {
    if (!isClause(value)) throw new Error(`a ${family} that is not a clause: ${JSON.stringify(value)}`);
    const [op, options, ...args] = value;
    const spec = specByMbql(family, op);
    if (!spec) throw new Error(`${family} ${op}`);
    const { min, max } = arity(spec);
    if (args.length < min || args.length > max) throw new Error(`${family} ${op} with ${args.length} arguments`);
    const yamlOptions: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(options)) {
      if (v === null || v === undefined || SERVER_OPTIONS.has(key)) continue;
      const option = spec.options?.find((o) => o.mbql === key);
      if (!option) throw new Error(`${family} ${op} with option ${key}`);
      yamlOptions[option.yaml] = v;
    }
    const yamlArgs = args.map((arg, i): ExprArg => {
      const kind = argKind(spec, i)!;
      if (kind === 'column') return isClause(arg) && (arg[0] === 'field' || arg[0] === 'expression') ? column(arg) : expression(arg);
      if (kind === 'condition') return clause('filter', arg);
      if (!['string', 'number', 'boolean'].includes(typeof arg)) throw new Error(`${family} ${op} compares with ${JSON.stringify(arg)}`);
      return arg as ExprArg;
    });
    return [spec.yaml, ...yamlArgs, ...(Object.keys(yamlOptions).length > 0 ? [yamlOptions as ExprArg] : [])];
  };
  const aggregation = (value: unknown): string | ExprArg[] => {
    const list = clause('aggregation', value);
    const spec = specByMbql('aggregation', (value as Clause)[0])!;
    const plain = list.slice(1).every((a) => typeof a === 'string' || typeof a === 'number');
    if (!writtenAsCall(spec) || !plain) return list;
    return list.length === 1 ? spec.yaml : `${spec.yaml}(${list.slice(1).join(', ')})`;
  };

  const query: StructuredQueryT = { source };
  if (rawJoins.length > 0) {
    query.join = rawJoins.map((raw) => {
      checkOptions((raw['lib/options'] ?? {}) as Record<string, unknown>, [], 'a join');
      const extraKeys = Object.keys(raw).filter((k) => !JOIN_KEYS.has(k));
      if (extraKeys.length > 0) throw new Error(`a join with ${extraKeys.join(', ')}`);
      const alias = raw.alias as string;
      const join: JoinT = { source: joins.get(alias)!, alias, conditions: ((raw.conditions ?? []) as unknown[]).map((c) => clause('join condition', c) as JoinT['conditions'][number]) };
      if (raw.strategy !== undefined) {
        if (!(JOIN_STRATEGIES as readonly unknown[]).includes(raw.strategy)) throw new Error(`join strategy ${String(raw.strategy)}`);
        join.strategy = raw.strategy as JoinT['strategy'];
      }
      if (raw.fields === 'all' || raw.fields === 'none') join.fields = raw.fields;
      else if (Array.isArray(raw.fields)) join.fields = raw.fields.map((f) => column(f).slice(alias.length + 1));
      return join;
    });
  }
  if (Array.isArray(stage.expressions)) {
    query.expressions = Object.fromEntries((stage.expressions as Clause[]).map((e) => {
      const [op, options, ...args] = e;
      return [String(options['lib/expression-name']), op === 'value' ? expression(args[0]) : expression([op, { ...options, 'lib/expression-name': undefined }, ...args])];
    }));
  }
  if (Array.isArray(stage.filters)) query.filter = (stage.filters as unknown[]).map((f) => clause('filter', f) as [string, ...ExprArg[]]);
  const aggregations = (stage.aggregation ?? []) as Clause[];
  if (aggregations.length > 0) query.aggregate = aggregations.map((a) => aggregation(a) as string | [string, ...ExprArg[]]);
  if (Array.isArray(stage.breakout)) query.breakout = (stage.breakout as unknown[]).map(column);
  if (Array.isArray(stage['order-by'])) {
    query.order_by = (stage['order-by'] as Clause[]).map(([direction, , target]) => {
      const [op, , arg] = target as Clause;
      let name: string;
      if (op === 'aggregation') {
        const item = query.aggregate?.[typeof arg === 'number' ? arg : aggregations.findIndex((a) => a[1]['lib/uuid'] === arg)];
        const named = Array.isArray(item) ? (item[item.length - 1] as Record<string, unknown> | null)?.name : undefined;
        if (item === undefined) throw new Error('an ordering by a missing aggregation');
        if (typeof item !== 'string' && typeof named !== 'string') throw new Error('an ordering by an aggregation without a name');
        name = typeof item === 'string' ? item : (named as string);
      } else {
        name = column(target);
      }
      return `${direction === 'desc' ? '-' : ''}${name}`;
    });
  }
  if (Array.isArray(stage.fields)) query.fields = (stage.fields as unknown[]).map(column);
  if (typeof stage.limit === 'number') query.limit = stage.limit;
  return query;
}

function sourceName(stage: Record<string, unknown>, refs: RefIndex): string {
  if (stage['source-table'] !== undefined) {
    const table = refs.name('table', stage['source-table'] as number);
    if (!table) throw new Error(`source table ${String(stage['source-table'])} is not in the project's database`);
    return table;
  }
  const card = refs.name('card', stage['source-card'] as number);
  if (!card) throw new Error('built on a card outside the pulled set');
  return `card:${card}`;
}
