import { formatPath } from '../core/value-path.ts';

/**
 * The shapes of the responses mb-sync reads, just the fields it relies on. A 200 that does not have
 * its shape — a proxy's page, a truncated body, another service at MB_URL — stops the run before
 * anything is written, instead of reading as "nothing there".
 *
 * They only check: the client hands back the body as it came. So they are plain functions that
 * look at the fields named here and build nothing (a schema library copies what it checks into an
 * output: every card of a bulk list, every dashcard of every dashboard, for nobody to read).
 */

/** What is wrong with a value, at which path (filled on the way out, only when something is). */
export interface ShapeProblem {
  path: Array<string | number>;
  expected: string;
  got: unknown;
}

/** A response shape: the first problem in a value, or undefined when it has the shape. */
export type Shape = (value: unknown) => ShapeProblem | undefined;

/** `cards[3].entity_id: expected a string, got undefined` */
export function describeProblem(problem: ShapeProblem): string {
  const path = formatPath(problem.path);
  const got = problem.got === null ? 'null' : Array.isArray(problem.got) ? 'a list' : typeof problem.got;
  return `${path === '' ? 'the body' : path}: expected ${problem.expected}, got ${got}`;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const wrong = (expected: string, got: unknown): ShapeProblem => ({ path: [], expected, got });
const under = (key: string | number, problem: ShapeProblem | undefined): ShapeProblem | undefined => {
  problem?.path.unshift(key);
  return problem;
};

const int: Shape = (v) => (Number.isInteger(v) ? undefined : wrong('an integer', v));
const number: Shape = (v) => (typeof v === 'number' ? undefined : wrong('a number', v));
const string: Shape = (v) => (typeof v === 'string' ? undefined : wrong('a string', v));
// Any value, as long as the field is there (JSON has no undefined: absent is the only way to get it).
const present: Shape = (v) => (v === undefined ? wrong('a value', v) : undefined);
const nullable = (shape: Shape): Shape => (v) => (v === null ? undefined : shape(v));
const optional = (shape: Shape): Shape => (v) => (v === undefined ? undefined : shape(v));
const either = (a: Shape, b: Shape, expected: string): Shape => (v) => (a(v) === undefined || b(v) === undefined ? undefined : wrong(expected, v));

function object(fields: Record<string, Shape> = {}): Shape {
  const entries = Object.entries(fields);
  return (v) => {
    if (!isObject(v)) return wrong('an object', v);
    for (const [key, shape] of entries) {
      const problem = under(key, shape(v[key]));
      if (problem) return problem;
    }
    return undefined;
  };
}

function list(element: Shape): Shape {
  return (v) => {
    if (!Array.isArray(v)) return wrong('a list', v);
    for (let i = 0; i < v.length; i++) {
      const problem = under(i, element(v[i]));
      if (problem) return problem;
    }
    return undefined;
  };
}

function record(value: Shape): Shape {
  return (v) => {
    if (!isObject(v)) return wrong('an object', v);
    for (const key of Object.keys(v)) {
      const problem = under(key, value(v[key]));
      if (problem) return problem;
    }
    return undefined;
  };
}

const item = object({ id: int });
const page = (element: Shape) => object({ data: list(element) });

export const Shapes = {
  properties: object({ version: optional(nullable(object({ tag: optional(string) }))) }),
  groups: list(object({ id: int, name: string })),
  group: object({ id: int, members: optional(list(object({ user_id: int, email: string }))) }),
  databases: page(object({ id: int, name: string })),
  database: object({ id: int, name: string, details: optional(nullable(object())) }),
  metadata: object({ tables: optional(list(object({ id: int, name: string, schema: nullable(string), fields: list(object({ id: int, name: string })) }))) }),
  collections: list(object({ id: either(int, string, 'an integer or a string'), name: string })),
  items: page(object({ id: int, model: string })),
  graph: object({ revision: number, groups: record(record(string)) }),
  cards: list(object({ id: int, entity_id: string, name: string, dataset_query: present, visualization_settings: optional(nullable(object())) })),
  card: object({ id: int, entity_id: string }),
  dashboard: object({ id: int, name: string, dashcards: list(object({ id: int, row: number, col: number })), tabs: optional(list(item)) }),
  pulses: list(object({ id: int, dashboard_id: optional(nullable(int)), channels: list(object()) })),
  notifications: list(object({ id: int, payload: object(), handlers: list(object()) })),
  item,
} as const;
