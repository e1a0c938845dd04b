import type { ExprArg, NativeParamT, StructuredQueryT } from '../config/schema/card.ts';
import type { RefIndex } from './refs.ts';

/**
 * The inverse of compile-query/native-query, for `mb-sync pull`: a live MBQL 5 query back to the
 * YAML form, with names instead of ids. Returns undefined for what the YAML cannot express
 * (several stages, joins, other databases…) so the caller can say which card it skipped and why.
 */
export type Decompiled =
  | { kind: 'query'; query: StructuredQueryT }
  | { kind: 'sql'; sql: string; params: Record<string, NativeParamT> }
  | { kind: 'unsupported'; reason: string };

type Clause = [string, Record<string, unknown>, ...unknown[]];
const AGGREGATIONS = new Set(['count', 'cum-count', 'sum', 'avg', 'min', 'max', 'median', 'distinct', 'cum-sum', 'stddev', 'var']);

export function decompileQuery(query: Record<string, unknown>, refs: RefIndex): Decompiled {
  const stages = (query.stages ?? []) as Array<Record<string, unknown>>;
  if (stages.length !== 1) return { kind: 'unsupported', reason: `${stages.length} stages` };
  const stage = stages[0]!;
  if (stage['lib/type'] === 'mbql.stage/native') return decompileNative(stage, refs);
  try {
    return { kind: 'query', query: decompileStage(stage, refs) };
  } catch (error) {
    return { kind: 'unsupported', reason: (error as Error).message };
  }
}

function decompileNative(stage: Record<string, unknown>, refs: RefIndex): Decompiled {
  const raw = stage['template-tags'] ?? {};
  const tags = (Array.isArray(raw) ? raw : Object.values(raw)) as Array<Record<string, unknown>>;
  const params: Record<string, NativeParamT> = {};
  for (const tag of tags) {
    if (!['text', 'number', 'date', 'boolean', 'dimension', 'temporal-unit'].includes(tag.type as string)) return { kind: 'unsupported', reason: `template tag type ${String(tag.type)}` };
    const param: NativeParamT = { type: tag.type as NativeParamT['type'], name: String(tag['display-name'] ?? tag.name) };
    if (tag.type === 'dimension') {
      // MBQL 5 `["field", {opts}, id]`; legacy `["field", id, opts]` is read too.
      const dimension = (tag.dimension ?? []) as unknown[];
      const id = typeof dimension[2] === 'number' ? dimension[2] : dimension[1];
      const field = typeof id === 'number' ? refs.name('field', id) : undefined;
      if (field === undefined) return { kind: 'unsupported', reason: `field filter {{${String(tag.name)}}} on an unknown field` };
      param.field = field;
      param.widget = String(tag['widget-type'] ?? 'category');
    }
    if (tag.default !== undefined && tag.default !== null) param.default = tag.default;
    if (tag.required === true) param.required = true;
    params[String(tag.name)] = param;
  }
  return { kind: 'sql', sql: String(stage.native), params };
}

function decompileStage(stage: Record<string, unknown>, refs: RefIndex): StructuredQueryT {
  const known = new Set(['lib/type', 'source-table', 'source-card', 'aggregation', 'breakout', 'filters', 'expressions', 'order-by', 'limit', 'fields']);
  const extra = Object.keys(stage).filter((k) => !known.has(k) && stage[k] !== undefined && stage[k] !== null);
  if (extra.length > 0) throw new Error(`uses ${extra.join(', ')}`);
  let source: string;
  if (stage['source-table'] !== undefined) {
    const table = refs.name('table', stage['source-table'] as number);
    if (!table) throw new Error(`source table ${String(stage['source-table'])} is not in the project's database`);
    source = table;
  } else {
    const card = refs.name('card', stage['source-card'] as number);
    if (!card) throw new Error('built on a card outside the pulled set');
    source = `card:${card}`;
  }

  const column = (clause: unknown): string => {
    const [op, options, arg] = clause as Clause;
    if (op === 'expression') return String(arg);
    if (op !== 'field') throw new Error(`a ${op} where a column was expected`);
    const unit = options['temporal-unit'] ? `:${String(options['temporal-unit'])}` : '';
    if (typeof arg === 'string') return `${arg}${unit}`;
    const name = refs.name('field', arg as number);
    if (!name) throw new Error(`field ${String(arg)} is not in the project's database`);
    return `${name.startsWith(`${source}.`) ? name.slice(source.length + 1) : name}${unit}`;
  };
  const expression = (value: unknown): ExprArg => {
    if (!Array.isArray(value) || typeof value[0] !== 'string' || typeof value[1] !== 'object') return typeof value === 'string' ? { value } : (value as ExprArg);
    const [op, , ...args] = value as Clause;
    if (op === 'field' || op === 'expression') return column(value);
    return [op, ...args.map(expression)];
  };
  const filter = (clause: unknown): ExprArg => {
    const [op, , ...args] = clause as Clause;
    if (op === 'and' || op === 'or' || op === 'not') return [op, ...args.map(filter)];
    const [lhs, ...values] = args;
    return [op, column(lhs), ...(values as ExprArg[])];
  };

  const query: StructuredQueryT = { source };
  if (Array.isArray(stage.expressions)) {
    query.expressions = Object.fromEntries((stage.expressions as Clause[]).map((e) => {
      const [op, options, ...args] = e;
      return [String(options['lib/expression-name']), op === 'value' ? (args[0] as ExprArg) : expression([op, {}, ...args])];
    }));
  }
  if (Array.isArray(stage.filters)) query.filter = (stage.filters as unknown[]).map(filter);
  const aggregations = (stage.aggregation ?? []) as Clause[];
  if (aggregations.length > 0) {
    query.aggregate = aggregations.map(([op, , arg]) => {
      if (!AGGREGATIONS.has(op)) throw new Error(`aggregation ${op}`);
      return arg === undefined ? op : `${op}(${column(arg)})`;
    });
  }
  if (Array.isArray(stage.breakout)) query.breakout = (stage.breakout as unknown[]).map(column);
  if (Array.isArray(stage['order-by'])) {
    query.order_by = (stage['order-by'] as Clause[]).map(([direction, , target]) => {
      const [op, , arg] = target as Clause;
      const name = op === 'aggregation'
        ? query.aggregate![typeof arg === 'number' ? arg : aggregations.findIndex((a) => a[1]['lib/uuid'] === arg)]!
        : column(target);
      return `${direction === 'desc' ? '-' : ''}${name}`;
    });
  }
  if (Array.isArray(stage.fields)) query.fields = (stage.fields as unknown[]).map(column);
  if (typeof stage.limit === 'number') query.limit = stage.limit;
  return query;
}
