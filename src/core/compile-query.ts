import type { ExprArg, JoinT, StructuredQueryT } from '../model/card.ts';
import { MbSyncError } from './errors.ts';
import { BUCKET_UNITS, argKind, type Family } from './query-vocabulary.ts';
import { isLiteral, readClause, type QueryProblem } from './read-clause.ts';
import { ref } from './refs.ts';
import { stableUuid } from './stable-uuid.ts';

/**
 * Query-builder YAML → the wire form of an MBQL 5 query, with symbolic refs for ids: complete as
 * Metabase stores it (0.57+), so it can be sent as is. Every clause is `[op, {options}, ...args]`
 * with a `lib/uuid` derived from (project, card, position), so a re-apply sends the same query; an
 * ordering by an aggregation points at that aggregation's `lib/uuid` (`lib/schema/ref.cljc`); a
 * column of a saved question is referred to by name with its `base-type`. Comparison never sees
 * this form directly: `normalizeQuery` makes the compare form of both sides.
 *
 * Operators, aggregations and their arguments come from the vocabulary (query-vocabulary.ts).
 * Column names are relative to `source` unless written `alias.column` (a joined view) or
 * `schema.table.column`. In filters, arguments are what the vocabulary says (a column, then values);
 * in expressions every string is a column and `{ value: "…" }` is a literal string.
 */
export interface CompileInput {
  project: string;
  cardKey: string;
  database: string;
  query: StructuredQueryT;
  /** Where the card was written, for error messages. */
  where: string;
  /** False when only the problems matter (the schema's check): no clause uuid is worked out. */
  uuids?: boolean;
}

type Path = Array<string | number>;
const cardSource = (source: string) => (/^(model|card):/.test(source) ? source.slice(source.indexOf(':') + 1) : null);

export function compileStructuredQuery(input: CompileInput): Record<string, unknown> {
  const { query, problems } = buildQuery(input);
  if (problems.length > 0) {
    throw new MbSyncError('CONFIG_INVALID', problems.map((p) => `${input.where}: query${formatPath(p.path)}: ${p.message}`).join('\n'));
  }
  return query;
}

/** Every problem the compiler would refuse `query` for (the zod schema reports them at load time). */
export function checkStructuredQuery(query: StructuredQueryT): QueryProblem[] {
  return buildQuery({ project: '', cardKey: '', database: '', query, where: '', uuids: false }).problems;
}

function buildQuery(input: CompileInput): { query: Record<string, unknown>; problems: QueryProblem[] } {
  const { query } = input;
  const problems: QueryProblem[] = [];
  const fail = (path: Path, message: string): null => {
    problems.push({ path, message });
    return null;
  };
  const expressionNames = Object.keys(query.expressions ?? {});
  const sourceTable = cardSource(query.source) === null ? query.source : null;
  const joins = new Map<string, string | null>((query.join ?? []).map((j) => [j.alias, cardSource(j.source) === null ? j.source : null]));

  const field = (table: string | null, name: string, options: Record<string, unknown>): unknown[] =>
    table === null ? ['field', { ...options, 'base-type': 'type/*' }, name] : ['field', options, ref('field', `${table}.${name}`)];

  const column = (text: string, path: Path, extra: Record<string, unknown> = {}): unknown[] | null => {
    const [name, unit, more] = text.split(':') as [string, string | undefined, unknown];
    if (more !== undefined || (unit !== undefined && !(BUCKET_UNITS as readonly string[]).includes(unit))) {
      return fail(path, `"${text}": a column is name or name:unit, with unit one of ${BUCKET_UNITS.join(', ')}`);
    }
    const options = unit === undefined ? extra : { ...extra, 'temporal-unit': unit };
    const parts = name.split('.');
    if (parts.length === 1 && expressionNames.includes(name)) return ['expression', options, name];
    if (parts.length === 1) return field(sourceTable, name, options);
    if (parts.length === 2) {
      const [alias, col] = parts as [string, string];
      if (!joins.has(alias)) return fail(path, `"${text}": no join named "${alias}"${joins.size ? ` (joins: ${[...joins.keys()].join(', ')})` : ''}`);
      return field(joins.get(alias)!, col, { ...options, 'join-alias': alias });
    }
    if (parts.length === 3) return ['field', options, ref('field', name)];
    return fail(path, `"${text}" is not a column: write name, alias.name (a joined view) or schema.table.column`);
  };

  const expression = (arg: ExprArg, path: Path): unknown => {
    if (Array.isArray(arg)) {
      const [op, ...args] = arg;
      if (typeof op !== 'string') return fail(path, 'an expression list starts with its operator, e.g. ["-", a, b]');
      return [op, {}, ...args.map((a, i) => expression(a, [...path, i + 1]))];
    }
    if (typeof arg === 'string') return column(arg, path);
    if (isLiteral(arg)) return arg.value;
    if (arg !== null && typeof arg === 'object') return fail(path, 'options only go at the end of a filter or aggregation');
    return arg;
  };

  /** A clause of the vocabulary, compiled argument by argument according to its kinds. */
  const clause = (family: Family, raw: unknown, path: Path, options: Record<string, unknown> = {}): unknown[] | null => {
    const read = readClause(family, raw);
    read.problems.forEach((p) => fail([...path, ...p.path], p.message));
    if (!read.clause) return null;
    const { spec, args } = read.clause;
    const at = (i: number): Path => (typeof raw === 'string' ? path : [...path, i + 1]);
    const compiled = args.map((arg, i) => {
      const kind = argKind(spec, i)!;
      if (kind === 'column') return typeof arg === 'string' ? column(arg, at(i)) : expression(arg as ExprArg, at(i));
      if (kind === 'condition') return clause('filter', arg, at(i));
      return isLiteral(arg) ? arg.value : arg;
    });
    return [spec.mbql, { ...options, ...read.clause.options }, ...compiled];
  };

  const stage: Record<string, unknown> = { 'lib/type': 'mbql.stage/mbql', ...source(query.source) };

  if (query.join) {
    const seen = new Set<string>();
    stage.joins = query.join.map((join, i) => {
      if (seen.has(join.alias)) fail(['join', i, 'alias'], `another join is also named "${join.alias}"`);
      seen.add(join.alias);
      return compileJoin(join, ['join', i], input, (raw, path) => clause('join condition', raw, path), column);
    });
  }
  if (query.expressions) {
    stage.expressions = Object.entries(query.expressions).map(([name, arg]) => {
      const compiled = expression(arg, ['expressions', name]);
      if (!Array.isArray(compiled)) return ['value', { 'lib/expression-name': name, 'effective-type': 'type/*' }, compiled];
      const [op, options, ...rest] = compiled as [string, Record<string, unknown>, ...unknown[]];
      return [op, { ...options, 'lib/expression-name': name }, ...rest];
    });
  }
  if (query.filter) stage.filters = query.filter.map((f, i) => clause('filter', f, ['filter', i]));

  const aggregationIds: string[] = [];
  const aggregationNames = (query.aggregate ?? []).map((a) => (typeof a === 'string' ? a.trim() : optionsOf(a)?.name));
  if (query.aggregate) {
    stage.aggregation = query.aggregate.map((raw, i) => {
      const uuid = input.uuids === false ? `aggregation-${i}` : stableUuid(input.project, input.cardKey, 'aggregation', String(i));
      aggregationIds.push(uuid);
      return clause('aggregation', raw, ['aggregate', i], { 'lib/uuid': uuid });
    });
  }
  if (query.breakout) stage.breakout = query.breakout.map((text, i) => column(text, ['breakout', i]));
  if (query.order_by) {
    stage['order-by'] = query.order_by.map((text, i) => {
      const direction = text.startsWith('-') ? 'desc' : 'asc';
      const name = text.replace(/^-/, '').trim();
      const aggregate = aggregationNames.indexOf(name);
      if (aggregate >= 0) return [direction, {}, ['aggregation', {}, aggregationIds[aggregate]]];
      if (query.aggregate && readClause('aggregation', name).clause) return fail(['order_by', i], `"${name}" is not one of the aggregations (${aggregationNames.filter(Boolean).join(', ')})`);
      return [direction, {}, column(name, ['order_by', i])];
    });
  }
  if (query.fields) stage.fields = query.fields.map((f, i) => column(f, ['fields', i]));
  if (query.limit !== undefined) stage.limit = query.limit;
  if (input.uuids !== false) addClauseUuids(stage, (path) => stableUuid(input.project, input.cardKey, 'clause', path));
  return { query: { 'lib/type': 'mbql/query', database: ref('database', input.database), stages: [stage] }, problems };
}

function source(text: string): Record<string, unknown> {
  const card = cardSource(text);
  return card === null ? { 'source-table': ref('table', text) } : { 'source-card': ref('card', card) };
}

/**
 * A `join:` entry → an MBQL 5 join (lib/schema/join.cljc): its own stage on the joined view, the
 * conditions, the alias every joined column carries as `join-alias`, and `fields` / `strategy`
 * only when written (Metabase's defaults: no fields, left join).
 */
function compileJoin(
  join: JoinT,
  path: Path,
  input: CompileInput,
  condition: (raw: unknown, path: Path) => unknown,
  column: (text: string, path: Path) => unknown,
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    'lib/type': 'mbql/join',
    // Metabase's join schema requires lib/options: a deterministic uuid, like every clause.
    'lib/options': { 'lib/uuid': input.uuids === false ? 'join' : stableUuid(input.project, input.cardKey, 'join', String(path[1])) },
    alias: join.alias,
    stages: [{ 'lib/type': 'mbql.stage/mbql', ...source(join.source) }],
    conditions: join.conditions.map((c, i) => condition(c, [...path, 'conditions', i])),
  };
  if (join.strategy !== undefined) out.strategy = join.strategy;
  if (join.fields !== undefined) {
    out.fields = typeof join.fields === 'string' ? join.fields : join.fields.map((f, i) => column(`${join.alias}.${f}`, [...path, 'fields', i]));
  }
  return out;
}

function optionsOf(list: ExprArg[]): Record<string, unknown> | undefined {
  const last = list[list.length - 1];
  return last !== null && typeof last === 'object' && !Array.isArray(last) && !isLiteral(last) ? (last as Record<string, unknown>) : undefined;
}

function formatPath(path: Path): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
}

/** Where each part of a compiled stage came from in the card's YAML, for server errors. */
export const STAGE_SOURCES: Record<string, string> = {
  'source-table': 'query.source',
  'source-card': 'query.source',
  joins: 'query.join',
  aggregation: 'query.aggregate',
  breakout: 'query.breakout',
  filters: 'query.filter',
  'order-by': 'query.order_by',
  fields: 'query.fields',
  limit: 'query.limit',
  expressions: 'query.expressions',
};

/**
 * Gives every clause without one a `lib/uuid` derived from its position (Metabase mints random ones
 * when they are missing; deterministic ones keep a re-applied query identical).
 */
export function addClauseUuids(value: unknown, uuidFor: (path: string) => string, path = ''): void {
  if (!Array.isArray(value)) {
    if (typeof value === 'object' && value !== null && !('$ref' in value)) {
      for (const [key, child] of Object.entries(value)) addClauseUuids(child, uuidFor, `${path}/${key}`);
    }
    return;
  }
  const options = value[1];
  if (typeof value[0] === 'string' && typeof options === 'object' && options !== null && !Array.isArray(options) && !('$ref' in options)) {
    (options as Record<string, unknown>)['lib/uuid'] ??= uuidFor(path);
  }
  value.forEach((child, i) => addClauseUuids(child, uuidFor, `${path}/${i}`));
}
