import { Worker } from 'node:worker_threads';
import type { SqlRunner } from './runner.ts';
import type { SqlLayout } from './sql-files.ts';
import { MbSyncError, type ErrorCode } from '../core/errors.ts';

type Statement = { op: 'query'; sql: string; params?: unknown[] } | { op: 'exec'; sql: string };
export type SandboxRequest = Statement & { id: number };
export type SandboxReply =
  | { id: number; ok: true; rows?: unknown[] }
  /** `boot`: embedded Postgres did not start (not a problem of the statement); with mb-sync's error code and hint when it had them. */
  | { id: number; ok: false; message: string; boot?: true; code?: ErrorCode; hint?: string };

/**
 * The analytics sandbox (sandbox.ts) in a worker thread. Booting embedded Postgres is seconds of
 * CPU; in a thread of its own it runs next to what the main thread does meanwhile (reading and
 * validating the files, reading Metabase) instead of after it. Returned at once: statements wait
 * for the boot, and a failed boot is the error of the first one. The thread holds the process open
 * only while a statement is waiting.
 */
export function openSandboxThread(options: { timezone?: string; sql: SqlLayout }): SqlRunner & { stopped: Promise<void> } {
  const source = import.meta.url.endsWith('.ts');
  // Run from src/ (tests, development) the worker is TypeScript: a small module registers tsx first.
  const worker = new Worker(new URL(source ? './sandbox-worker-source.mjs' : './sandbox-worker.js', import.meta.url), { workerData: options });
  const waiting = new Map<number, { resolve(reply: SandboxReply): void; reject(error: Error): void }>();
  let next = 1;
  let failure: Error | undefined;
  worker.on('message', (reply: SandboxReply) => {
    waiting.get(reply.id)?.resolve(reply);
    waiting.delete(reply.id);
    if (waiting.size === 0) worker.unref();
  });
  const stop = (error: Error) => {
    failure ??= error;
    for (const w of waiting.values()) w.reject(failure);
    waiting.clear();
  };
  worker.on('error', (error) => stop(new MbSyncError('POSTGRES', `embedded Postgres for the SQL check stopped: ${error.message}`)));
  // Ended without an error (it should not): what waits fails instead of waiting for ever.
  const stopped = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.on('exit', () => stop(new MbSyncError('POSTGRES', 'embedded Postgres for the SQL check ended')));
  // After the listeners: adding a 'message' listener refs the worker's port again.
  worker.unref();
  const ask = (request: Statement): Promise<SandboxReply> => {
    if (failure) return Promise.reject(failure);
    const id = next++;
    worker.ref();
    return new Promise<SandboxReply>((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      worker.postMessage({ ...request, id });
    });
  };
  const answer = async (request: Statement): Promise<unknown[]> => {
    const reply = await ask(request);
    // A boot failure is mb-sync's error (the view file and line, the hint), not the statement's.
    if (!reply.ok && reply.boot) throw new MbSyncError(reply.code ?? 'POSTGRES', reply.message, reply.hint === undefined ? {} : { hint: reply.hint });
    if (!reply.ok) throw new Error(reply.message);
    return reply.rows ?? [];
  };
  return {
    query: async <T>(sql: string, params?: unknown[]) => ({ rows: (await answer({ op: 'query', sql, ...(params === undefined ? {} : { params }) })) as T[] }),
    exec: async (sql: string) => {
      await answer({ op: 'exec', sql });
    },
    close: async () => {
      // Ended, not asked to close: embedded Postgres lives in the thread's memory, and statements
      // still running (compiled ahead and no longer needed) are dropped with it. Not waited for:
      // freeing that memory takes the thread a few tenths of a second, on its own core, while the
      // caller goes on (an apply prints its plan and starts writing). Unreferenced, the thread
      // does not hold the process open either.
      stop(new Error('the SQL check was closed'));
      worker.unref();
      void worker.terminate().catch(() => {});
    },
    stopped,
  };
}
