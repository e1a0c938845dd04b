import { parentPort, workerData } from 'node:worker_threads';
import { MbSyncError } from '../core/errors.ts';
import { openAnalyticsSandbox } from './sandbox.ts';
import type { SandboxRequest, SandboxReply } from './sandbox-thread.ts';

/**
 * The worker side of openSandboxThread (sandbox-thread.ts): embedded Postgres boots here, on a core
 * of its own, and answers the main thread's statements one message each. A boot that fails (a view
 * file that does not run, no views) is answered as such, with mb-sync's own error, to every request.
 */
const opening = openAnalyticsSandbox(workerData as Parameters<typeof openAnalyticsSandbox>[0]);
opening.catch(() => {}); // reported to each request

parentPort!.on('message', (request: SandboxRequest) => {
  void (async (): Promise<SandboxReply> => {
    let db: Awaited<typeof opening>;
    try {
      db = await opening;
    } catch (error) {
      const e = error as Error;
      return { id: request.id, ok: false, boot: true, message: e.message, ...(e instanceof MbSyncError ? { code: e.code, ...(e.hint === undefined ? {} : { hint: e.hint }) } : {}) };
    }
    try {
      if (request.op === 'exec') {
        await db.exec(request.sql);
        return { id: request.id, ok: true };
      }
      return { id: request.id, ok: true, rows: (await db.query(request.sql, request.params)).rows };
    } catch (error) {
      return { id: request.id, ok: false, message: (error as Error).message };
    }
  })().then((reply) => parentPort!.postMessage(reply));
});
