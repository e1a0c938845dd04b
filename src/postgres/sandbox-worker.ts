import { parentPort, workerData } from 'node:worker_threads';
import { openAnalyticsSandbox } from './sandbox.ts';
import type { SandboxRequest, SandboxReply } from './sandbox-thread.ts';

/**
 * The worker side of openSandboxThread (sandbox-thread.ts): embedded Postgres boots here, on a core
 * of its own, and answers the main thread's statements one message each.
 */
const opening = openAnalyticsSandbox(workerData as Parameters<typeof openAnalyticsSandbox>[0]);
opening.catch(() => {}); // reported to the first request

parentPort!.on('message', (request: SandboxRequest) => {
  void (async (): Promise<SandboxReply> => {
    try {
      const db = await opening;
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
