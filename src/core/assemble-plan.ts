import { diffValues } from './diff.ts';
import type { Action, Stage } from './plan.ts';
import { collectRefs, type RefIndex, parseRef } from './refs.ts';

/** One kind, as the engine read it: desired objects and live ones already normalised. */
export interface KindState {
  kind: string;
  desired: Array<{ key: string; body: unknown }>;
  live: Array<{ key: string; id: number | string; managed: boolean; archived?: boolean; duplicateOf?: string; body: unknown }>;
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
 * Pure: desired vs live per kind → stages of create / update / archive / no-op actions, in the
 * order the kinds are given (the registry's apply order).
 */
export function assemblePlan(kinds: KindState[], options: AssembleOptions): { stages: Stage[]; orphans: Action[] } {
  const stages: Stage[] = [];
  const orphans: Action[] = [];
  for (const state of kinds) {
    const actions: Action[] = [];
    const liveByKey = new Map(state.live.map((live) => [live.key, live]));
    for (const desired of state.desired) {
      const address = `${state.kind}.${desired.key}`;
      const live = liveByKey.get(desired.key);
      const changes = live === undefined ? [] : diffValues(live.body, desired.body);
      if (live?.archived) changes.unshift({ path: 'archived', before: true, after: false });
      if (live !== undefined && changes.length === 0) {
        // Nothing to do: the plan (and the file `plan --out` writes) keeps no copy of the body.
        actions.push({ address, kind: state.kind, key: desired.key, id: live.id, op: 'noop', changes });
        continue;
      }
      const pending = pendingRefs(desired.body, options.refs);
      const base = { address, kind: state.kind, key: desired.key, desired: desired.body, ...(pending.length > 0 ? { knownAfterApply: pending } : {}) };
      actions.push(live === undefined ? { ...base, op: 'create', changes } : { ...base, id: live.id, op: 'update', changes });
    }
    const wanted = new Set(state.desired.map((d) => d.key));
    for (const live of state.live) {
      if (!live.managed || live.archived || wanted.has(live.key)) continue;
      const name = nameOf(live.body);
      const action: Action = { address: `${state.kind}.${live.key}`, kind: state.kind, key: live.key, ...(name === undefined ? {} : { name }), id: live.id, op: 'archive', changes: [] };
      if (live.duplicateOf !== undefined) {
        // mb-sync made this second copy itself (two runs at once): it goes, whatever the flag.
        actions.push({ ...action, note: `duplicate of ${state.kind}.${live.duplicateOf}, made by mb-sync (two runs at once)` });
        continue;
      }
      if (options.allowArchive) actions.push(action);
      else orphans.push(action);
    }
    stages.push({ kind: state.kind, actions });
  }
  return { stages, orphans };
}

/** Refs of a body that have no id yet: they get one from an earlier stage (or the sync). */
function pendingRefs(body: unknown, refs: RefIndex): string[] {
  return [...collectRefs(body)].filter((r) => {
    const { kind, name } = parseRef({ $ref: r });
    return !refs.has(kind, name);
  }).sort();
}
