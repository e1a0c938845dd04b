import { RefIndex } from '../core/refs.ts';
import { deferred } from '../core/deferred.ts';
import type { LiveObject, ReadContext, ResourceHandler } from '../resources/types.ts';

/**
 * Reads every kind in bulk. A kind starts as soon as the kinds named in its `readAfter` are read
 * (their ids fill the shared RefIndex); kinds that wait on nothing in common are read concurrently,
 * and a handler may start its requests early and wait for another kind only where it needs it
 * (`ctx.after(kind)`). A wait that would close a loop (kinds waiting on each other, before their
 * reads or during them) is refused when it is asked for, so a plan fails instead of hanging; a loop
 * among the `readAfter` ones is refused before anything is read.
 */
export async function readLive(
  handlers: ResourceHandler[],
  base: Omit<ReadContext, 'refs' | 'live' | 'after'>,
  /** Called with each kind as soon as it is read (its refs registered), before later kinds finish. */
  onKind?: (handler: ResourceHandler, objects: LiveObject[], refs: RefIndex) => void,
): Promise<{ refs: RefIndex; live: Map<string, LiveObject[]> }> {
  const refs = new RefIndex();
  const live = new Map<string, LiveObject[]>();
  const done = new Map(handlers.map((h) => [h.kind, deferred<void>()]));
  /** The kinds each kind still being read waits on. */
  const waitsOn = new Map(handlers.map((h) => [h.kind, new Set<string>()]));
  const ended = new Set<string>();
  // A way from `from` to `to` through the waits of kinds still being read, if there is one.
  const pathTo = (from: string, to: string, seen = new Set<string>()): string[] | undefined => {
    if (from === to) return [to];
    if (seen.has(from) || ended.has(from)) return undefined;
    seen.add(from);
    for (const next of waitsOn.get(from) ?? []) {
      const rest = pathTo(next, to, seen);
      if (rest) return [from, ...rest];
    }
    return undefined;
  };
  const waitFor = (from: string, to: string): Promise<void> => {
    const target = done.get(to);
    if (target === undefined) return Promise.resolve();
    if (!ended.has(to)) {
      const loop = pathTo(to, from);
      if (loop) throw new Error(`resource kinds wait on each other: ${[from, ...loop].join(' → ')}`);
      waitsOn.get(from)!.add(to);
    }
    return target.promise;
  };
  const first = new Map(handlers.map((h) => [h.kind, (h.readAfter ?? []).map((kind) => waitFor(h.kind, kind))]));
  await Promise.all(handlers.map(async (handler) => {
    const finished = done.get(handler.kind)!;
    const after = (kind: string): Promise<void> => {
      try {
        return waitFor(handler.kind, kind);
      } catch (error) {
        return Promise.reject(error as Error);
      }
    };
    try {
      await Promise.all(first.get(handler.kind)!);
      const objects = await handler.read({ ...base, refs, live, after });
      live.set(handler.kind, objects);
      onKind?.(handler, objects, refs);
      finished.resolve();
    } catch (error) {
      // What waits for this kind stops too, instead of waiting for ever.
      finished.reject(error as Error);
      throw error;
    } finally {
      ended.add(handler.kind);
    }
  }));
  return { refs, live };
}
