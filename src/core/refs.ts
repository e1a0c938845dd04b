/**
 * Symbolic references. Desired state and normalised live state are both written with names, not
 * instance ids, so a diff compares like with like and a plan can be made before ids exist.
 * `{ $ref: 'card:spend-by-module' }` stands where Metabase has an integer id; the engine resolves it
 * at apply time through a RefIndex, and de-resolves live ids through the same index when reading.
 */
export type RefKind = 'database' | 'table' | 'field' | 'card' | 'collection' | 'dashboard' | 'dashcard' | 'group' | 'user' | 'tab';

export interface Ref {
  $ref: string;
}

export function ref(kind: RefKind, name: string): Ref {
  return { $ref: `${kind}:${name}` };
}

export function isRef(value: unknown): value is Ref {
  if (typeof value !== 'object' || value === null || typeof (value as Ref).$ref !== 'string') return false;
  // Exactly one own key (counted without making the list: this runs on every node of every body).
  let keys = 0;
  for (const key in value) if (Object.hasOwn(value, key) && ++keys > 1) return false;
  return keys === 1;
}

export function parseRef(value: Ref): { kind: RefKind; name: string } {
  const at = value.$ref.indexOf(':');
  return { kind: value.$ref.slice(0, at) as RefKind, name: value.$ref.slice(at + 1) };
}

/** Two-way map between symbolic names and live ids, per kind. */
export class RefIndex {
  private readonly byName = new Map<string, number | string>();
  private readonly byId = new Map<string, string>();

  set(kind: RefKind, name: string, id: number | string): void {
    this.byName.set(`${kind}:${name}`, id);
    this.byId.set(`${kind}#${id}`, name);
  }

  id(kind: RefKind, name: string): number | string | undefined {
    return this.byName.get(`${kind}:${name}`);
  }

  name(kind: RefKind, id: number | string): string | undefined {
    return this.byId.get(`${kind}#${id}`);
  }

  has(kind: RefKind, name: string): boolean {
    return this.byName.has(`${kind}:${name}`);
  }

  /** Whether a ref (`kind:name`, as collectRefs gives them) has an id: no parsing, it is the key. */
  hasRef(ref: string): boolean {
    return this.byName.has(ref);
  }

  /** Names of one kind, for "did you mean" hints. */
  names(kind: RefKind): string[] {
    const prefix = `${kind}:`;
    return [...this.byName.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
  }

  /** A live id as a ref; an id the index does not know stays visible as `kind#id`. */
  toRef(kind: RefKind, id: number | string | null | undefined): Ref | null {
    if (id === null || id === undefined) return null;
    const name = this.name(kind, id);
    return { $ref: name === undefined ? `${kind}#${id}` : `${kind}:${name}` };
  }
}

export class UnresolvedRefError extends Error {
  constructor(readonly refs: string[]) {
    super(`not known yet: ${refs.join(', ')}`);
  }
}

/** A value with its refs replaced by ids: what `resolveRefs` returns, typed as such. */
export type Resolved<T> = T extends Ref
  ? number | string
  : T extends ReadonlyArray<infer U>
    ? Array<Resolved<U>>
    : T extends object
      ? { [K in keyof T]: Resolved<T[K]> }
      : T;

/** Replaces every Ref in a value by its id. Throws UnresolvedRefError listing all misses. */
export function resolveRefs<T>(value: T, index: RefIndex): Resolved<T> {
  const missing: string[] = [];
  const walk = (v: unknown): unknown => {
    if (isRef(v)) {
      const { kind, name } = parseRef(v);
      const id = index.id(kind, name);
      if (id === undefined) {
        missing.push(v.$ref);
        return v;
      }
      return id;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === 'object' && v !== null) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  const out = walk(value) as Resolved<T>;
  if (missing.length > 0) throw new UnresolvedRefError([...new Set(missing)]);
  return out;
}

/**
 * Every ref a value mentions (to report "(known after sync)" and to order work). A plan asks this of
 * the same desired bodies several times (pending refs, names, the sync's wait, apply's order): what
 * an object holds is remembered for it. Desired bodies are never changed once made (resolveRefs
 * makes new ones), which is what makes this safe.
 */
export function collectRefs(value: unknown, out: Set<string> = new Set()): Set<string> {
  for (const ref of refsIn(value)) out.add(ref);
  return out;
}

const NO_REFS: ReadonlySet<string> = new Set();
const refsOf = new WeakMap<object, ReadonlySet<string>>();

function refsIn(value: unknown): ReadonlySet<string> {
  if (typeof value !== 'object' || value === null) return NO_REFS;
  let found = refsOf.get(value);
  if (found === undefined) {
    const walked = new Set<string>();
    walk(value, walked);
    found = walked.size === 0 ? NO_REFS : walked;
    refsOf.set(value, found);
  }
  return found;
}

function walk(value: unknown, out: Set<string>): void {
  if (typeof value !== 'object' || value === null) return;
  if (isRef(value)) {
    out.add(value.$ref);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) walk(v, out);
    return;
  }
  for (const key in value) if (Object.hasOwn(value, key)) walk((value as Record<string, unknown>)[key], out);
}
