import { MetabaseHttpError } from '../metabase/errors.ts';

/**
 * A create that is never made twice. When its answer is lost (the request may have been carried
 * out), or the server says the object already exists (a create of an earlier run whose answer was
 * lost, or a run at the same time), the object is looked up by its identity before anything else;
 * only when it is not there is the create sent again, once. The server's own error is kept: if the
 * look-up fails too, that error is what the person sees.
 */
export async function createOnce<T>(create: () => Promise<T>, find: () => Promise<T | undefined>, options: { alreadyExists?: RegExp } = {}): Promise<T> {
  try {
    return await create();
  } catch (error) {
    const lost = error instanceof MetabaseHttpError && error.outcomeUnknown;
    const exists = error instanceof MetabaseHttpError && error.status === 400 && options.alreadyExists?.test(error.message) === true;
    if (!lost && !exists) throw error;
    let found: T | undefined;
    try {
      found = await find();
    } catch {
      throw error;
    }
    if (found !== undefined) return found;
    if (exists) throw error;
    return create();
  }
}
