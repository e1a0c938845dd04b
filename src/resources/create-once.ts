import { MetabaseHttpError } from '../metabase/errors.ts';

/**
 * A create that is never made twice. When its answer is lost (the request may have been carried
 * out), or the server says the object already exists (a create of an earlier run whose answer was
 * lost, or a run at the same time), the object is looked up by its identity before anything else;
 * only when it is not there is the create sent again (up to `attempts` in all). The server's own
 * error is kept: if the look-up fails too, that error is what the person sees.
 */
/** How long a create that timed out is given to land before it is looked for again. */
export const SETTLE_MS = 3000;

export async function createOnce<T>(create: () => Promise<T>, find: () => Promise<T | undefined>, options: { alreadyExists?: RegExp; settleMs?: number; attempts?: number } = {}): Promise<T> {
  const attempts = options.attempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    try {
      return await create();
    } catch (error) {
      const lost = error instanceof MetabaseHttpError && error.outcomeUnknown;
      const exists = error instanceof MetabaseHttpError && error.status === 400 && options.alreadyExists?.test(error.message) === true;
      if (!lost && !exists) throw error;
      let found: T | undefined;
      try {
        found = await find();
        // No answer in time: the server may still be writing. Give it a moment and look once more.
        if (found === undefined && error instanceof MetabaseHttpError && error.timedOut) {
          await new Promise((resolve) => setTimeout(resolve, options.settleMs ?? SETTLE_MS));
          found = await find();
        }
      } catch {
        throw error;
      }
      if (found !== undefined) return found;
      if (exists || attempt >= attempts) throw error;
    }
  }
}
