import { diffValues } from './diff.ts';
import type { Action, FieldChange, Stage } from './plan.ts';
import { collectRefs, type RefIndex } from './refs.ts';

/** One kind, as the engine read it: desired objects and live ones already normalised. */
export interface KindState {
  kind: string;
  desired: Array<{ key: string; body: unknown }>;
  live: Array<{ key: string; id: number | string; managed: boolean; archived?: boolean; duplicateOf?: string; contains?: Array<{ kind: string; id: number | string; name: string }>; body: unknown }>;
  /** Its archive actions run after every other stage (a container: what moves out of it moves first). */
  archiveLast?: boolean;
  /** `diffValues(live, desired)` by key, when worked out already (the plan does it while it reads). */
  changes?: ReadonlyMap<string, FieldChange[]>;
}

/** The name people see in Metabase, when the normalised body has one: orphans are listed by key and name. */
function nameOf(body: unknown): string | undefined {
  const name = (body as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : undefined;
}

export interface AssembleOptions {
  allowArchive: boolean;
  /** The ids known at plan time, to tell which refs are "(known after apply)". */
  refs: RefIndex;
}

/**
 * A create whose name is that of a managed object the files no longer have: most likely its key was
 * renamed, which makes a new object (the key is the identity). Said on the create, so the person can
 * give the old key back instead.
 */
function keyRenamedFrom(state: KindState, desired: { key: string; body: unknown }): string | undefined {
  const name = nameOf(desired.body);
  if (name === undefined) return undefined;
  const wanted = new Set(state.desired.map((d) => d.key));
  const old = state.live.find((live) => live.managed && !live.archived && live.duplicateOf === undefined && !wanted.has(live.key) && nameOf(live.body) === name);
  if (old === undefined) return undefined;
  return `${state.kind}.${old.key} (id ${String(old.id)}), no longer in the files, has the same name: if its key was renamed, this makes a new one; to keep that one (its id, links, subscriptions), give the key back and change only the name`;
}

/**
 * Pure: desired vs live per kind → stages of create / update / archive / no-op actions, in the
 * order the kinds are given (the registry's apply order).
 */
export function assemblePlan(kinds: KindState[], options: AssembleOptions): { stages: Stage[]; orphans: Action[] } {
  const stages: Stage[] = [];
  const orphans: Action[] = [];
  const last: Stage[] = [];
  const kept = keptContainers(kinds);
  for (const state of kinds) {
    const archives: Action[] = [];
    const actions: Action[] = [];
    const liveByKey = new Map(state.live.map((live) => [live.key, live]));
    for (const desired of state.desired) {
      const address = `${state.kind}.${desired.key}`;
      const live = liveByKey.get(desired.key);
      const changes = live === undefined ? [] : [...(state.changes?.get(desired.key) ?? diffValues(live.body, desired.body))];
      if (live?.archived) changes.unshift({ path: 'archived', before: true, after: false });
      if (live !== undefined && changes.length === 0) {
        // Nothing to do: the plan (and the file `plan --out` writes) keeps no copy of the body.
        actions.push({ address, kind: state.kind, key: desired.key, id: live.id, op: 'noop', changes });
        continue;
      }
      const pending = pendingRefs(desired.body, options.refs);
      const base = { address, kind: state.kind, key: desired.key, desired: desired.body, ...(pending.length > 0 ? { knownAfterApply: pending } : {}) };
      const renamed = live === undefined ? keyRenamedFrom(state, desired) : undefined;
      actions.push(live === undefined ? { ...base, op: 'create', changes, ...(renamed ? { note: renamed } : {}) } : { ...base, id: live.id, op: 'update', changes });
    }
    const wanted = new Set(state.desired.map((d) => d.key));
    for (const live of state.live) {
      if (!live.managed || live.archived || wanted.has(live.key)) continue;
      const name = nameOf(live.body);
      const action: Action = { address: `${state.kind}.${live.key}`, kind: state.kind, key: live.key, ...(name === undefined ? {} : { name }), id: live.id, op: 'archive', changes: [] };
      const holding = kept.get(`${state.kind}:${live.id}`);
      if (holding !== undefined) orphans.push({ ...action, note: holding });
      // mb-sync made this second copy itself (two runs at once, or a create sent again whose first
      // request landed after all): it goes, whatever the flag.
      else if (live.duplicateOf !== undefined) archives.push({ ...action, note: `duplicate of ${state.kind}.${live.duplicateOf}, made by mb-sync (two runs at once, or a create sent again after a lost answer)` });
      else if (options.allowArchive) archives.push(action);
      else orphans.push(action);
    }
    if (state.archiveLast && archives.length > 0) last.push({ kind: state.kind, actions: outermost(state, archives) });
    else actions.push(...archives);
    stages.push({ kind: state.kind, actions });
  }
  return { stages: [...stages, ...last], orphans };
}

/**
 * Of containers archived together, only the outermost are sent: one inside another goes to the
 * Trash with it (and comes back with it when it is restored), which two separate archives would
 * not give. The outer one's note names what goes along.
 */
function outermost(state: KindState, archives: Action[]): Action[] {
  const archived = new Set(archives.map((a) => a.id));
  const inside = new Map<number | string, Action[]>();
  for (const outer of state.live) {
    if (!archived.has(outer.id)) continue;
    const children = archives.filter((a) => outer.contains?.some((item) => item.kind === state.kind && item.id === a.id));
    if (children.length > 0) inside.set(outer.id, children);
  }
  const nested = new Set([...inside.values()].flat().map((a) => a.id));
  return archives.filter((a) => !nested.has(a.id)).map((a) => {
    const children = inside.get(a.id!);
    if (children === undefined) return a;
    const along = `with ${children.map((c) => c.address).join(', ')} inside`;
    return { ...a, note: a.note === undefined ? along : `${a.note}; ${along}` };
  });
}

/**
 * Containers no longer in the files that stay even with --allow-archive, by `kind:id` → why: one
 * holding anything that would not go to the Trash with it (an item mb-sync does not manage, or a
 * container that itself stays). Items the files still declare move out before containers are
 * archived, and managed items removed from the files go with it, so neither holds one back.
 */
function keptContainers(kinds: KindState[]): Map<string, string> {
  const ours = new Set<string>();
  for (const state of kinds) for (const live of state.live) if (live.managed && !live.archived) ours.add(`${state.kind}:${live.id}`);
  const containers = kinds.flatMap((state) => state.live.filter((l) => l.contains !== undefined && l.managed && !l.archived).map((l) => ({ id: `${state.kind}:${l.id}`, contains: l.contains! })));
  const kept = new Map<string, string>();
  // A container that stays keeps the one it is in: repeat until nothing changes.
  for (let changed = true; changed;) {
    changed = false;
    for (const container of containers) {
      if (kept.has(container.id)) continue;
      const staying = container.contains.filter((item) => !ours.has(`${item.kind}:${item.id}`) || kept.has(`${item.kind}:${item.id}`));
      if (staying.length === 0) continue;
      const names = staying.slice(0, 3).map((item) => `"${item.name}" (${item.kind})`).join(', ');
      kept.set(container.id, `kept even with --allow-archive: it holds ${staying.length === 1 ? 'an item' : `${staying.length} items`} mb-sync must not archive: ${names}${staying.length > 3 ? ', …' : ''}`);
      changed = true;
    }
  }
  return kept;
}

/** Refs of a body that have no id yet: they get one from an earlier stage (or the sync). */
function pendingRefs(body: unknown, refs: RefIndex): string[] {
  return [...collectRefs(body)].filter((r) => !refs.hasRef(r)).sort();
}
