import { RefIndex } from '../core/refs.ts';
import type { LiveObject, ReadContext, ResourceHandler } from '../resources/types.ts';

/**
 * Reads every kind in bulk. Kinds are read in waves: a kind waits only for the kinds named in its
 * `readAfter` (their ids fill the shared RefIndex); kinds of one wave are read concurrently.
 */
export async function readLive(
  handlers: ResourceHandler[],
  base: Omit<ReadContext, 'refs' | 'live'>,
  /** Called with each kind as soon as it is read (its refs registered), before later waves finish. */
  onKind?: (handler: ResourceHandler, objects: LiveObject[], refs: RefIndex) => void,
): Promise<{ refs: RefIndex; live: Map<string, LiveObject[]> }> {
  const refs = new RefIndex();
  const live = new Map<string, LiveObject[]>();
  const ctx: ReadContext = { ...base, refs, live };
  let remaining = [...handlers];
  while (remaining.length > 0) {
    const ready = remaining.filter((h) => (h.readAfter ?? []).every((kind) => live.has(kind) || !handlers.some((x) => x.kind === kind)));
    if (ready.length === 0) {
      throw new Error(`resource kinds wait on each other: ${remaining.map((h) => h.kind).join(', ')}`);
    }
    const results = await Promise.all(ready.map(async (handler) => {
      const objects = await handler.read(ctx);
      onKind?.(handler, objects, refs);
      return [handler.kind, objects] as const;
    }));
    for (const [kind, objects] of results) live.set(kind, objects);
    remaining = remaining.filter((h) => !ready.includes(h));
  }
  return { refs, live };
}
