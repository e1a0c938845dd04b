import { argKind, arity, INTERVAL_UNITS, INTERVAL_WORDS, specByYaml, specs, writtenAsCall, type ArgKind, type ClauseSpec, type Family } from './query-vocabulary.ts';

/** A problem in a card's `query`, at a path below it (`['filter', 0, 2]`). */
export interface QueryProblem {
  path: Array<string | number>;
  message: string;
}

export interface ReadClause {
  spec: ClauseSpec;
  /** The arguments after the operator, options removed. */
  args: unknown[];
  /** MBQL option keys → values, from the trailing `{ … }` of the YAML list. */
  options: Record<string, unknown>;
}

const CALL = /^([a-z-]+)(?:\((.*)\))?$/;
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** `{ value: "aube" }`: a literal, not options. */
export const isLiteral = (v: unknown): v is { value: string | number | boolean } => isPlainObject(v) && Object.keys(v).length === 1 && 'value' in v;

/**
 * Reads one YAML clause against the vocabulary: a list `[op, arg…, { options }]`, or for aggregations
 * also `op` / `op(col, …)`. Checks the operator, the options, the arity and the literal arguments;
 * columns and nested conditions are left to the caller, which knows the query's columns. Problem
 * paths are relative to the clause (a list index, or nothing for the `op(…)` text).
 */
export function readClause(family: Family, raw: unknown): { clause?: ReadClause; problems: QueryProblem[] } {
  const problems: QueryProblem[] = [];
  const problem = (path: Array<string | number>, message: string) => ({ problems: [...problems, { path, message }] });
  let list: unknown[];
  let called = false;
  if (typeof raw === 'string' && family === 'aggregation') {
    const match = CALL.exec(raw.trim());
    const spec = match ? specByYaml(family, match[1]!) : undefined;
    if (!match || !spec) return problem([], `cannot read "${raw}": ${allowed(family)}`);
    if (!writtenAsCall(spec)) return problem([], `write ${spec.yaml} as a list, e.g. ${spec.example}`);
    const inner = match[2]?.trim();
    list = [spec.yaml, ...(inner ? inner.split(',').map((a) => a.trim()).map((a) => (a !== '' && Number.isFinite(Number(a)) ? Number(a) : a)) : [])];
    called = true;
  } else if (Array.isArray(raw) && typeof raw[0] === 'string') {
    list = raw;
  } else {
    const shape = family === 'aggregation' ? 'an aggregation is `op`, `op(column)` or a list [op, …]' : `a ${family} is a list: [op, column, value…], e.g. [">=", streak_days, 3]`;
    return problem([], shape);
  }

  const spec = specByYaml(family, list[0] as string);
  if (!spec) return problem(called ? [] : [0], `unknown ${family} "${String(list[0])}": ${allowed(family)}`);
  let args = list.slice(1);
  const options: Record<string, unknown> = {};
  const last = args[args.length - 1];
  if (isPlainObject(last) && !isLiteral(last)) {
    args = args.slice(0, -1);
    const at = called ? [] : [list.length - 1];
    if (!spec.options?.length) problems.push({ path: at, message: `${spec.yaml} takes no options` });
    for (const [key, value] of Object.entries(last)) {
      const option = spec.options?.find((o) => o.yaml === key);
      if (!option) {
        if (spec.options?.length) problems.push({ path: [...at, key], message: `unknown option of ${spec.yaml}: use ${spec.options.map((o) => o.yaml).join(', ')}` });
      } else if (typeof value !== option.type || (option.type === 'string' && String(value).trim() === '')) {
        problems.push({ path: [...at, key], message: `${key} is a ${option.type}` });
      } else {
        options[option.mbql] = value;
      }
    }
  }
  const { min, max } = arity(spec);
  if (args.length < min || args.length > max) {
    return problem(called ? [] : [0], `${spec.yaml} takes ${describeArgs(spec)}, e.g. ${spec.example}`);
  }
  args.forEach((arg, i) => {
    const message = checkLiteral(argKind(spec, i)!, arg, called);
    if (message) problems.push({ path: called ? [] : [i + 1], message: `${spec.yaml}: ${message}` });
  });
  return { clause: { spec, args, options }, problems };
}

function checkLiteral(kind: ArgKind, arg: unknown, called: boolean): string | undefined {
  const literal = isLiteral(arg) ? arg.value : arg;
  switch (kind) {
    case 'column':
      if (typeof arg === 'string' && arg !== '') return undefined;
      return Array.isArray(arg) && !called ? undefined : `${JSON.stringify(arg)} is not a column`;
    case 'value':
      return ['string', 'number', 'boolean'].includes(typeof literal) ? undefined : `${JSON.stringify(arg)} is not a value (text, number or boolean)`;
    case 'text':
      return typeof literal === 'string' ? undefined : `${JSON.stringify(arg)} is not a text`;
    case 'number':
      return typeof arg === 'number' && Number.isFinite(arg) ? undefined : `${JSON.stringify(arg)} is not a number`;
    case 'fraction':
      return typeof arg === 'number' && arg >= 0 && arg <= 1 ? undefined : `${JSON.stringify(arg)} is not a number between 0 and 1`;
    case 'integer':
      return Number.isInteger(arg) ? undefined : `${JSON.stringify(arg)} is not an integer`;
    case 'interval':
      return Number.isInteger(arg) || (INTERVAL_WORDS as readonly unknown[]).includes(arg) ? undefined : `${JSON.stringify(arg)} is not an integer or one of ${INTERVAL_WORDS.join(', ')}`;
    case 'unit':
      return (INTERVAL_UNITS as readonly unknown[]).includes(arg) ? undefined : `${JSON.stringify(arg)} is not a unit (${INTERVAL_UNITS.join(', ')})`;
    case 'condition':
      return Array.isArray(arg) && !called ? undefined : `${JSON.stringify(arg)} is not a condition (a list like [">", cost, 0])`;
  }
}

const ARTICLE: Record<ArgKind, string> = {
  column: 'a column', value: 'a value', text: 'a text', number: 'a number', fraction: 'a number between 0 and 1', integer: 'an integer',
  interval: 'an interval (integer, current, last or next)', unit: 'a unit', condition: 'a condition',
};

/** "a column, then a value, then more values" */
export function describeArgs(spec: ClauseSpec): string {
  const { min } = arity(spec);
  const parts = spec.args.map((kind, i) => (i >= min ? `optionally ${ARTICLE[kind]}` : ARTICLE[kind]));
  if (spec.rest) parts.push(`more ${spec.rest === 'text' ? 'texts' : `${spec.rest}s`} if you like`);
  return parts.length === 0 ? 'no argument' : parts.join(', ');
}

/** The error message's list of what a family allows, from the table. */
export function allowed(family: Family): string {
  if (family === 'aggregation') return `use ${specs(family).map((s) => (!writtenAsCall(s) ? `[${s.yaml}, …]` : arity(s).min === 0 ? s.yaml : `${s.yaml}(…)`)).join(', ')}`;
  return `use ${specs(family).map((s) => s.yaml).join(', ')}`;
}
