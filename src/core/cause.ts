import { diffValues } from './diff.ts';
import type { Action, Cause } from './plan.ts';

/**
 * Why an object differs, when the plan is made against a baseline (the files of the base branch):
 * - `change`: the files changed it (the live object is as the baseline says);
 * - `drift`: someone changed it in Metabase (the files are as the baseline says);
 * - `both`: the files and Metabase both moved.
 * A pull request's comment shows its own changes apart from drift that `apply` would also undo.
 */
export function causeOf(baseline: unknown, desired: unknown, live: unknown): Cause {
  // Compared as the plan compares (keyed arrays by key, in any order), so that what the plan calls
  // unchanged is never called drift.
  const changedInFiles = diffValues(baseline, desired).length > 0;
  const changedInMetabase = diffValues(baseline, live).length > 0;
  if (changedInFiles && changedInMetabase) return 'both';
  return changedInMetabase ? 'drift' : 'change';
}

/** Annotates the plan's actions: bodies by `kind:key` of the baseline, the files and Metabase. */
export function annotateCauses(actions: Action[], bodies: { baseline: ReadonlyMap<string, unknown>; desired: ReadonlyMap<string, unknown>; live: ReadonlyMap<string, unknown> }): void {
  for (const action of actions) {
    if (action.op === 'noop') continue;
    const id = `${action.kind}:${action.key}`;
    action.cause = causeOf(bodies.baseline.get(id), bodies.desired.get(id), bodies.live.get(id));
  }
}
