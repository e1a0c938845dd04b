import { pollUntil } from './poll.ts';
import { columnEditsLanded, overlayColumns } from '../core/card-body.ts';
import { MbSyncError } from '../core/errors.ts';
import { Shapes } from '../metabase/shapes.ts';
import { runState, type ApplyContext } from './types.ts';

type Columns = Array<Record<string, unknown>>;
/** A card as a create, an update or a read answers it: only its id and columns are read here. */
export interface AnsweredCard {
  id: number;
  result_metadata?: Columns | null;
}

/**
 * How long a model's columns are waited for. Metabase itself waits 1.5 s for them
 * (metadata-sync-wait-ms, queries/models/card/metadata.clj), then saves the card without them and
 * goes on computing them for up to 15 minutes (metadata-async-timeout-ms, same file). The PostgreSQL
 * driver describes a native query without running it (sql-jdbc, query_processor/metadata.clj), so
 * minutes mean the warehouse is not answering: after two, the model fails and the next apply
 * finishes it, rather than every model of a broken warehouse holding the apply for a quarter of an hour.
 */
export const MODEL_COLUMNS_WAIT_MS = 120_000;

/**
 * Makes sure the column edits of the files are in a model's result_metadata once its create or
 * update has been answered, or fails saying they are not.
 *
 * Metabase computes a card's columns off-thread and waits 1.5 s for them; past that, the card is
 * saved without them and save-metadata-async! writes them later (create-card!,
 * queries/models/card.clj; update-card!, queries_rest/api/card.clj). So: columns there without the
 * edits (a create, which sends none; an update of a model that had none) get them laid over; no
 * columns yet (a native model: the insert hook infers only query-builder columns) are waited for
 * first. Columns computed late for a changed query carry the edits sent with it (combine-metadata
 * blends them in by name), and then nothing more is sent.
 *
 * Not covered, and said in the README: a query-builder model answered with the columns the insert
 * hook inferred while Metabase's own computation is still running. Its late save replaces the edits
 * laid over them, and nothing in the API tells that one is coming; the next plan shows the columns
 * as changed, and the next apply, sending the same query with its columns, is saved at once.
 */
export async function settleModelColumns(ctx: ApplyContext, key: string, answer: AnsweredCard, edits: Record<string, Record<string, unknown>>): Promise<void> {
  if (Object.keys(edits).length === 0 || columnEditsLanded(answer.result_metadata, edits)) return;
  const card = answer.result_metadata?.length ? answer : await waitForColumns(ctx, key, answer.id, edits);
  if (columnEditsLanded(card.result_metadata, edits)) return;
  await ctx.api.put(`/api/card/${card.id}`, { result_metadata: overlayColumns(card.result_metadata ?? [], edits) });
}

/** Polls the card until Metabase has saved its columns, soon at first, then every 2 s at most. */
async function waitForColumns(ctx: ApplyContext, key: string, id: number, edits: Record<string, Record<string, unknown>>): Promise<AnsweredCard> {
  const bound = ctx.metadataWaitMs ?? MODEL_COLUMNS_WAIT_MS;
  const waiting = runState(ctx, 'card.waiting-for-columns', () => new Map<string, number>());
  waiting.set(key, Date.now());
  try {
    return await pollUntil(ctx, {
      firstWaitMs: 250,
      timeoutMs: bound,
      waitFirst: true,
      check: async () => {
        const card = await ctx.api.get<AnsweredCard>(`/api/card/${id}`, { schema: Shapes.card });
        return card.result_metadata?.length ? card : undefined;
      },
      waiting: () => showWaits(ctx, waiting),
      timedOut: () => new MbSyncError('SYNC_TIMEOUT', `Metabase had not computed the columns of model card.${key} (id ${id}) ${duration(bound)} after saving it: its column metadata from the files (${Object.keys(edits).join(', ')}) is not applied yet; the next apply will apply it (a model whose query Metabase cannot run never gets columns: open it in Metabase to see why)`),
    });
  } finally {
    waiting.delete(key);
    showWaits(ctx, waiting);
  }
}

/** Models being waited for, on the status line (several at once: their number and the longest wait). */
function showWaits(ctx: ApplyContext, waiting: Map<string, number>): void {
  if (waiting.size === 0) return ctx.progress(undefined);
  const [first, since] = waiting.entries().next().value!;
  const what = waiting.size === 1 ? `card.${first}` : `${waiting.size} models`;
  ctx.progress(`waiting for Metabase to compute the columns of ${what} (${Math.round((Date.now() - since) / 1000)} s)`);
}

const duration = (ms: number) => (ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`);
