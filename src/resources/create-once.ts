import { MetabaseHttpError } from '../metabase/errors.ts';

/** How long a create that timed out is looked for (every SETTLE_POLL_MS) before it is given up on. */
export const SETTLE_MS = 3000;
const SETTLE_POLL_MS = 500;

/**
 * A create that is never made twice. When its answer is lost (the request may have been carried
 * out), or the server says the object already exists (a create of an earlier run whose answer was
 * lost, or a run at the same time), the object is looked up by its identity before anything else;
 * only when it is not there is the create sent again (up to `attempts` in all). The server's own
 * error is kept: if the look-up fails too, that error is what the person sees.
 *
 * A create that got no answer in time (the client's timeout, a gateway's 504) is different: the server
 * may still be writing it, so a look-up that finds nothing proves nothing. It is looked for during
 * `settleMs` and, if it has not appeared, never sent again (a second request could land beside the
 * first, and a dashboard, which a create cannot mark, would be a duplicate no plan ever sees): the
 * object fails with an error saying so, and the next plan finds it if it landed, or creates it if
 * it never did. Only a kind whose server refuses a second one (`alreadyExists`) is sent again.
 */
export async function createOnce<T>(create: () => Promise<T>, find: () => Promise<T | undefined>, options: {
  alreadyExists?: RegExp;
  settleMs?: number;
  attempts?: number;
  /**
   * The create cannot carry mb-sync's marker (a dashboard's comes with its layout, an alert's with
   * its card): were a lost create sent again and both land, the later one would be nobody's, a
   * duplicate no plan lists. So any unknown outcome is handled as a timeout: looked for, never sent again.
   */
  unmarked?: boolean;
} = {}): Promise<T> {
  const attempts = options.attempts ?? 3;
  const settleMs = options.settleMs ?? SETTLE_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await create();
    } catch (error) {
      const lost = error instanceof MetabaseHttpError && error.outcomeUnknown;
      const exists = error instanceof MetabaseHttpError && error.status === 400 && options.alreadyExists?.test(error.message) === true;
      if (!lost && !exists) throw error;
      const pending = error instanceof MetabaseHttpError && (error.timedOut || (lost && options.unmarked === true));
      let found: T | undefined;
      try {
        found = await find();
        for (let waited = 0; found === undefined && pending && waited < settleMs; waited += SETTLE_POLL_MS) {
          await new Promise((resolve) => setTimeout(resolve, Math.min(SETTLE_POLL_MS, settleMs - waited)));
          found = await find();
        }
      } catch {
        throw error;
      }
      if (found !== undefined) return found;
      if (pending && options.alreadyExists === undefined) throw stillPending(error as MetabaseHttpError, settleMs);
      if (exists || attempt >= attempts) throw error;
    }
  }
}

function stillPending(error: MetabaseHttpError, settleMs: number): MetabaseHttpError {
  return new MetabaseHttpError({
    ...(error.status === undefined ? {} : { status: error.status }),
    method: error.method,
    path: error.path,
    outcomeUnknown: true,
    timedOut: true,
    code: error.code === 'METABASE_UNREACHABLE' ? 'METABASE_UNREACHABLE' : 'METABASE_HTTP',
    message: `${error.message}, and the object was still not there ${settleMs / 1000} s later: outcome unknown, not sent again (Metabase may still be writing it); the next plan finds it if it lands, or creates it if it never does`,
    hint: 'run plan (or apply) again in a moment',
  });
}
