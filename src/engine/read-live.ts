import { RefIndex } from '../core/refs.ts';
import { deferred } from '../core/deferred.ts';
import type { LiveObject, ReadContext, ResourceHandler } from '../resources/types.ts';

/**
 * Reads every kind in bulk. A kind starts as soon as the kinds named in its `readAfter` are read
 * (their ids fill the shared RefIndex); kinds that wait on nothing in common are read concurrently,
 * and a handler may start its requests early and wait for another kind only where it needs it
 * (`ctx.after(kind)`).
 */
export async function readLive(
  handlers: ResourceHandler[],
  base: Omit<ReadContext, 'refs' | 'live' | 'after'>,
  /** Called with each kind as soon as it is read (its refs registered), before later kinds finish. */
  onKind?: (handler: ResourceHandler, objects: LiveObject[], refs: RefIndex) => void,
): Promise<{ refs: RefIndex; live: Map<string, LiveObject[]> }> {
  const refs = new RefIndex();
  const live = new Map<string, LiveObject[]>();
  const known = new Set(handlers.map((h) => h.kind));
  const done = new Map(handlers.map((h) => [h.kind, deferred<void>()]));
  const after = (kind: string): Promise<void> => done.get(kind)?.promise ?? Promise.resolve();
  const ctx: ReadContext = { ...base, refs, live, after };
  const waits = (h: ResourceHandler) => (h.readAfter ?? []).filter((kind) => known.has(kind));
  // A kind that waits on itself, directly or not (before its read or during it), would never end:
  // said before anything is read.
  const allWaits = (h: ResourceHandler) => [...waits(h), ...(h.readWaits ?? []).filter((kind) => known.has(kind))];
  const visiting = new Set<string>();
  const settled = new Set<string>();
  const visit = (kind: string) => {
    if (settled.has(kind)) return;
    if (visiting.has(kind)) throw new Error(`resource kinds wait on each other: ${[...visiting].join(', ')}`);
    visiting.add(kind);
    for (const next of allWaits(handlers.find((h) => h.kind === kind)!)) visit(next);
    visiting.delete(kind);
    settled.add(kind);
  };
  for (const h of handlers) visit(h.kind);
  await Promise.all(handlers.map(async (handler) => {
    const finished = done.get(handler.kind)!;
    try {
      await Promise.all(waits(handler).map(after));
      const objects = await handler.read(ctx);
      live.set(handler.kind, objects);
      onKind?.(handler, objects, refs);
      finished.resolve();
    } catch (error) {
      // What waits for this kind stops too, instead of waiting for ever.
      finished.reject(error as Error);
      throw error;
    }
  }));
  return { refs, live };
}
