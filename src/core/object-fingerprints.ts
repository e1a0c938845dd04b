import type { KindState } from './assemble-plan.ts';
import { fingerprint } from './fingerprint.ts';
import type { Address, PlanFingerprints } from './plan.ts';

/**
 * A hash of each object, on each side, by address: what `apply FILE` compares to tell whether the
 * objects a saved plan covers moved since, and to name those that did. `covered` (by `kind:key`)
 * is a partial plan's selection with what it needs; without it, every object read or wanted.
 *
 * The live side is what the object's action is worked out from: its id, whether mb-sync owns it or
 * it is in the Trash, its normalised body, and for a container no longer in the files what it holds
 * (whether it may be archived). `written` holds the desired bodies as the files give them, before a
 * handler completed them from Metabase (a subscription's groups become their members): the files
 * side hashes those, and a completed body has its own hash, so that a change there is said to be
 * Metabase's, and a live object made since the plan is still new.
 */
export function objectFingerprints(kinds: readonly KindState[], written?: ReadonlyMap<string, ReadonlyArray<{ key: string; body: unknown }>>, covered?: ReadonlySet<string>): PlanFingerprints {
  const live: Record<Address, string> = {};
  const files: Record<Address, string> = {};
  const completed: Record<Address, string> = {};
  for (const state of kinds) {
    const covers = (key: string) => covered === undefined || covered.has(`${state.kind}:${key}`);
    const asWritten = new Map((written?.get(state.kind) ?? []).map((o) => [o.key, o.body]));
    // Two live objects under one key are possible (each handler decides its keys): hashed together.
    const byKey = new Map<string, unknown[]>();
    for (const { key, ...object } of state.live) if (covers(key)) byKey.set(key, [...(byKey.get(key) ?? []), object]);
    for (const [key, objects] of byKey) live[`${state.kind}.${key}`] = fingerprint(objects);
    for (const desired of state.desired) {
      if (!covers(desired.key)) continue;
      const address = `${state.kind}.${desired.key}`;
      files[address] = fingerprint(asWritten.get(desired.key) ?? desired.body);
      if (asWritten.has(desired.key) && asWritten.get(desired.key) !== desired.body) {
        const hash = fingerprint(desired.body);
        if (hash !== files[address]) completed[address] = hash;
      }
    }
  }
  return { live, files, completed };
}

/** An object whose fingerprint on one side is not the saved plan's: new, changed, or gone. */
export interface MovedObject {
  address: Address;
  change: 'new' | 'changed' | 'gone';
}

/**
 * What moved since a saved plan, on each side, in the saved plan's order, then what is new. `fresh`
 * must fingerprint every address `saved` does (and may have more: what a selection now keeps).
 */
export function movedObjects(saved: PlanFingerprints, fresh: PlanFingerprints): Record<keyof PlanFingerprints, MovedObject[]> {
  const side = (before: Record<Address, string>, after: Record<Address, string>): MovedObject[] => {
    const moved: MovedObject[] = [];
    for (const [address, hash] of Object.entries(before)) {
      if (!Object.hasOwn(after, address)) moved.push({ address, change: 'gone' });
      else if (after[address] !== hash) moved.push({ address, change: 'changed' });
    }
    for (const address of Object.keys(after)) if (!Object.hasOwn(before, address)) moved.push({ address, change: 'new' });
    return moved;
  };
  return { files: side(saved.files, fresh.files), live: side(saved.live, fresh.live), completed: side(saved.completed, fresh.completed) };
}
