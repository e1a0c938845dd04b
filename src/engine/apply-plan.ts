import { MbSyncError } from '../core/errors.ts';
import type { Action, Address } from '../core/plan.ts';
import { collectRefs, UnresolvedRefError } from '../core/refs.ts';
import { redactText } from '../core/secrets.ts';
import type { ApplyContext, DesiredObject, ResourceHandler } from '../resources/types.ts';
import type { ApplyEvent } from './events.ts';
import type { PlanningState } from './make-plan.ts';
import { mapLimit } from '../core/map-limit.ts';
import { locateServerErrors } from '../core/locate-error.ts';
import { MetabaseHttpError, specificErrorLeaves } from '../metabase/errors.ts';

export interface ApplyOptions {
  state: PlanningState;
  handlers: ResourceHandler[];
  context: Omit<ApplyContext, 'refs' | 'live' | 'wantedRefs' | 'emit'>;
  emit: (event: ApplyEvent) => void;
  /** Writes in flight at once within a stage. */
  concurrency?: number;
}

export interface ApplyResult {
  applied: Address[];
  /** `sent`: the refused body, secrets redacted, shown with --debug. */
  failed: Array<{ address: Address; error: string; sent?: string }>;
  notRun: Address[];
}

/**
 * Carries out a plan stage by stage, in registry order. Inside a stage, an action waits for the
 * actions whose objects it refers to (a child collection for its parent, a card for the model it
 * is built on). A failure stops the run after the current stage: later stages depend on earlier
 * ones. The result says what was applied and what was not; the next apply converges because it
 * plans again from the live state.
 */
export async function applyPlan(options: ApplyOptions): Promise<ApplyResult> {
  const { state, handlers, emit } = options;
  const byKind = new Map(handlers.map((h) => [h.kind, h]));
  const wantedRefs = new Set<string>();
  for (const objects of state.desired.values()) for (const object of objects) collectRefs(object.body, wantedRefs);
  const ctx: ApplyContext = { ...options.context, refs: state.refs, live: state.live, wantedRefs, emit };
  const result: ApplyResult = { applied: [], failed: [], notRun: [] };

  for (const [index, stage] of state.plan.stages.entries()) {
    const handler = byKind.get(stage.kind);
    if (handler === undefined) throw new Error(`no handler for kind ${stage.kind}`);
    const pending = stage.actions.filter((a) => a.op !== 'noop');
    for (const wave of waves(pending)) {
      await mapLimit(wave, options.concurrency ?? 4, async (action) => {
        const started = Date.now();
        emit({ type: 'start', address: action.address, op: action.op });
        try {
          const id = await runAction(handler, action, ctx, state);
          result.applied.push(action.address);
          emit({ type: 'done', address: action.address, op: action.op, ...(id === undefined ? {} : { id }), ms: Date.now() - started });
        } catch (error) {
          const message = describe(error, state.desired.get(action.kind)?.find((d) => d.key === action.key));
          const sent = error instanceof MetabaseHttpError ? error.sentBody : undefined;
          result.failed.push({ address: action.address, error: message, ...(sent === undefined ? {} : { sent }) });
          emit({ type: 'failed', address: action.address, op: action.op, error: message });
        }
      });
    }
    if (result.failed.length === 0 && handler.afterStage) {
      try {
        await handler.afterStage(ctx);
      } catch (error) {
        result.failed.push({ address: `${stage.kind}.*`, error: describe(error) });
        emit({ type: 'failed', address: `${stage.kind}.*`, op: 'update', error: describe(error) });
      }
    }
    if (result.failed.length > 0) {
      const failedSet = new Set(result.failed.map((f) => f.address));
      const applied = new Set(result.applied);
      for (const later of state.plan.stages.slice(index)) {
        for (const action of later.actions) {
          if (action.op !== 'noop' && !applied.has(action.address) && !failedSet.has(action.address)) {
            result.notRun.push(action.address);
            emit({ type: 'skipped', address: action.address, op: action.op, reason: 'an earlier change failed' });
          }
        }
      }
      break;
    }
  }
  return result;
}

async function runAction(handler: ResourceHandler, action: Action, ctx: ApplyContext, state: PlanningState): Promise<number | string | undefined> {
  const desired = state.desired.get(action.kind)?.find((d) => d.key === action.key);
  const live = state.live.get(action.kind)?.find((l) => l.key === action.key);
  switch (action.op) {
    case 'create':
      if (!desired) throw new Error(`${action.address}: nothing desired`);
      return handler.create(desired, ctx);
    case 'update':
      if (!desired || !live) throw new Error(`${action.address}: object vanished since the plan`);
      await handler.update(desired, live, ctx);
      return live.id;
    case 'archive':
      if (!live) throw new Error(`${action.address}: object vanished since the plan`);
      if (!handler.archive) throw new Error(`${action.kind} objects cannot be archived`);
      await handler.archive(live, ctx);
      return live.id;
    default:
      return undefined;
  }
}

/** Orders actions so that one runs after the actions of the same stage it refers to. */
export function waves(actions: Action[]): Action[][] {
  const refOf = (a: Action): string => `${a.kind}:${a.key}`;
  const inStage = new Set(actions.map(refOf));
  const needs = new Map(actions.map((a) => [a, [...collectRefs(a.desired)].filter((r) => r !== refOf(a) && inStage.has(r))]));
  const done = new Set<string>();
  const out: Action[][] = [];
  let left = [...actions];
  while (left.length > 0) {
    const ready = left.filter((a) => (needs.get(a) ?? []).every((r) => done.has(r)));
    // A cycle cannot be ordered: run the rest together and let the server say what is wrong.
    const wave = ready.length > 0 ? ready : left;
    out.push(wave);
    for (const a of wave) done.add(refOf(a));
    left = left.filter((a) => !wave.includes(a));
  }
  return out;
}

function describe(error: unknown, desired?: DesiredObject): string {
  if (error instanceof MetabaseHttpError && error.specificErrors !== undefined && desired !== undefined) {
    const located = locateServerErrors(specificErrorLeaves(error.specificErrors), desired);
    if (located.length > 0) return redactText([error.message, ...located.map((l) => `    ${l}`)].join('\n'));
  }
  if (error instanceof UnresolvedRefError) return `${error.message} (did the sync finish? is the name right?)`;
  if (error instanceof MbSyncError) return redactText(error.message);
  return redactText(error instanceof Error ? error.message : String(error));
}
