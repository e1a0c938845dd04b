import { MbSyncError } from '../core/errors.ts';
import type { Action, Address, Stage } from '../core/plan.ts';
import { collectRefs, UnresolvedRefError } from '../core/refs.ts';
import { redactText } from '../core/secrets.ts';
import type { ApplyContext, DesiredObject, ResourceHandler } from '../resources/types.ts';
import type { ApplyEvent } from '../core/events.ts';
import type { PlanningState } from './make-plan.ts';
import { mapLimit } from '../core/map-limit.ts';
import { locateServerErrors } from '../core/locate-error.ts';
import { MetabaseHttpError, specificErrorLeaves } from '../metabase/errors.ts';

export interface ApplyOptions {
  state: PlanningState;
  handlers: ResourceHandler[];
  context: Omit<ApplyContext, 'refs' | 'live' | 'after' | 'wantedRefs' | 'emit' | 'settled' | 'run'>;
  emit: (event: ApplyEvent) => void;
  /** Writes in flight at once within a stage. */
  concurrency?: number;
  /**
   * Ctrl-C: once aborted, no new object is started; the objects in flight finish (each is one
   * step — a collection with its permissions, a card with its marker), and the rest is not run.
   */
  signal?: AbortSignal;
}

export interface ApplyResult {
  applied: Address[];
  /** `sent`: the refused body, secrets redacted, shown with --debug. */
  failed: Array<{ address: Address; error: string; sent?: string }>;
  notRun: Address[];
  /** True when the signal stopped the apply before its end. */
  interrupted?: boolean;
}

/**
 * Carries out a plan stage by stage. A stage starts once the stages of the kinds it depends on
 * (`dependsOn`) are done, so kinds that need nothing of each other go out together: groups and
 * collections while the database syncs, alerts beside dashboards. A kind's second stage (the
 * archives of containers) waits for every stage before it. Inside a stage, an action waits for the
 * actions whose objects it refers to (a child collection for its parent, a card for the model it
 * is built on). A failed object stops only what depends on it: an action that refers to a failed or
 * skipped object is not run ("depends on card.x, which failed"), everything else is applied. The
 * result says what was applied and what was not; the next apply converges because it plans again
 * from the live state.
 */
export async function applyPlan(options: ApplyOptions): Promise<ApplyResult> {
  const { state, handlers, emit } = options;
  const byKind = new Map(handlers.map((h) => [h.kind, h]));
  // What the planned objects refer to (all of them, or a --select's): the sync waits for these tables and fields.
  const wantedRefs = new Set<string>();
  const planned = new Set(state.plan.stages.flatMap((s) => s.actions.map((a) => `${a.kind}:${a.key}`)));
  for (const [kind, objects] of state.desired) for (const object of objects) if (planned.has(`${kind}:${object.key}`)) collectRefs(object.body, wantedRefs);
  // Everything is read by now: a handler waiting for a kind goes on at once.
  const ctx: ApplyContext = { ...options.context, refs: state.refs, live: state.live, after: () => Promise.resolve(), wantedRefs, emit, settled: new Set(), run: new Map() };
  const result: ApplyResult = { applied: [], failed: [], notRun: [] };
  /** `kind:key` of every object that failed or was not run → why, for what depends on it. */
  const blocked = new Map<string, string>();
  /** Closing steps nothing waits for (afterStageInBackground): the apply ends once they have. */
  const background: Array<Promise<void>> = [];
  const stageFailed = (kind: string, error: unknown) => {
    result.failed.push({ address: `${kind}.*`, error: describe(error) });
    blocked.set(`${kind}:*`, 'failed');
    emit({ type: 'failed', address: `${kind}.*`, op: 'update', error: describe(error) });
  };

  const runStage = async (stage: Stage, handler: ResourceHandler): Promise<void> => {
    const pending = stage.actions.filter((a) => a.op !== 'noop');
    for (const wave of waves(pending)) {
      await mapLimit(wave, options.concurrency ?? 4, async (action) => {
        if (options.signal?.aborted) {
          result.interrupted = true;
          result.notRun.push(action.address);
          emit({ type: 'skipped', address: action.address, op: action.op, reason: 'interrupted' });
          return;
        }
        if (ctx.settled.has(`${action.kind}:${action.key}`)) {
          // An earlier step already did it (a collection sets its own permissions as it is created).
          result.applied.push(action.address);
          emit({ type: 'done', address: action.address, op: action.op, ms: 0 });
          return;
        }
        const blocker = dependencyOf(action, blocked);
        if (blocker !== undefined) {
          blocked.set(`${action.kind}:${action.key}`, `depends on ${blocker}`);
          result.notRun.push(action.address);
          emit({ type: 'skipped', address: action.address, op: action.op, reason: `depends on ${blocker}` });
          return;
        }
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
          blocked.set(`${action.kind}:${action.key}`, 'failed');
          emit({ type: 'failed', address: action.address, op: action.op, error: message });
        }
      });
    }
    const closing = handler.afterStage ?? handler.afterStageInBackground;
    // Interrupted: a kind's closing step is not run either, and the result says so.
    if (closing && options.signal?.aborted) {
      result.interrupted = true;
      result.notRun.push(`${stage.kind}.*`);
      return;
    }
    // A kind's closing step (the database waits for its sync) runs unless one of its own objects failed.
    if (!closing || result.failed.some((f) => f.address.startsWith(`${stage.kind}.`))) return;
    if (handler.afterStage) {
      try {
        await handler.afterStage(ctx);
      } catch (error) {
        stageFailed(stage.kind, error);
      }
    } else {
      background.push(handler.afterStageInBackground!(ctx).catch((error: unknown) => stageFailed(stage.kind, error)));
    }
  };

  // Checked before any stage starts: a kind whose dependency has no stage before it would run unordered.
  const seen = new Set<string>();
  const stageHandlers = state.plan.stages.map((stage) => {
    const handler = byKind.get(stage.kind);
    if (handler === undefined) throw new Error(`no handler for kind ${stage.kind}`);
    const missing = handler.dependsOn.find((kind) => !seen.has(kind));
    if (missing !== undefined) throw new Error(`${stage.kind} depends on ${missing}, which has no stage before it in the plan`);
    if (handler.afterStage && handler.afterStageInBackground) throw new Error(`${stage.kind} has both afterStage and afterStageInBackground: one closing step per kind`);
    seen.add(stage.kind);
    return handler;
  });
  /** Each kind's stages so far, and every stage, as they finish. */
  const doneByKind = new Map<string, Promise<unknown>>();
  const running: Array<Promise<void>> = [];
  state.plan.stages.forEach((stage, i) => {
    const handler = stageHandlers[i]!;
    const before = doneByKind.has(stage.kind) ? [...running] : handler.dependsOn.map((kind) => doneByKind.get(kind)!);
    // A stage that failed unexpectedly (not an object: those are in the result) stops what waits on it.
    const run = Promise.all(before).then(() => runStage(stage, handler));
    const done = Promise.all([doneByKind.get(stage.kind), run]);
    // Awaited by the stages that depend on it, if any; its failure is reported through `running`.
    done.catch(() => {});
    doneByKind.set(stage.kind, done);
    running.push(run);
  });
  // Every stage has ended, one way or the other, before the apply returns or throws: nothing is
  // still writing behind the caller's back.
  const ended = await Promise.allSettled(running);
  await Promise.all(background);
  const broken = ended.find((e): e is PromiseRejectedResult => e.status === 'rejected');
  if (broken) throw broken.reason;
  return result;
}

/**
 * The first failed (or not run) object an action depends on, as `card.x, which failed`. Refs name
 * what a body points at; some point through another object: a field or table exists only once the
 * database (and its sync) went through, a dashcard belongs to its dashboard.
 */
function dependencyOf(action: Action, blocked: ReadonlyMap<string, string>): string | undefined {
  if (blocked.size === 0) return undefined;
  for (const ref of collectRefs(action.desired)) {
    const at = ref.indexOf(':');
    const kind = ref.slice(0, at);
    const name = ref.slice(at + 1);
    const owners = kind === 'field' || kind === 'table'
      ? [...blocked.keys()].filter((k) => k.startsWith('database:'))
      : kind === 'dashcard'
        ? [`dashboard:${name.split('/')[0]}`, `card:${(name.split('/')[1] ?? '').split('#')[0]}`]
        : [ref];
    for (const owner of owners) {
      const why = blocked.get(owner);
      if (why !== undefined) return `${owner.replace(':', '.')}, which ${why === 'failed' ? 'failed' : `was not run (${why})`}`;
    }
  }
  return undefined;
}

async function runAction(handler: ResourceHandler, action: Action, ctx: ApplyContext, state: PlanningState): Promise<number | string | undefined> {
  const desired = state.desired.get(action.kind)?.find((d) => d.key === action.key);
  // By id when the plan has one: two live objects may share a key (a duplicate made by two runs at once).
  const live = state.live.get(action.kind)?.find((l) => (action.id !== undefined ? l.id === action.id : l.key === action.key));
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
