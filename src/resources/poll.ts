import type { ApplyContext } from './types.ts';

/**
 * Asks `check` until it gives a value: soon at first (`firstWaitMs`), then twice as long each time,
 * up to every `ctx.pollIntervalMs` (2 s). `waiting` is told how long it has been before each wait;
 * past `timeoutMs`, what `timedOut` makes is thrown. With `waitFirst`, it waits before the first
 * check (the answer just read said not yet).
 */
export async function pollUntil<T>(ctx: Pick<ApplyContext, 'pollIntervalMs'>, options: {
  firstWaitMs: number;
  timeoutMs: number;
  waitFirst?: boolean;
  check: () => Promise<T | undefined>;
  waiting?: (elapsedMs: number) => void;
  timedOut: () => Error;
}): Promise<T> {
  const interval = ctx.pollIntervalMs ?? 2000;
  const started = Date.now();
  let wait = Math.min(options.firstWaitMs, interval);
  const sleep = async () => {
    options.waiting?.(Date.now() - started);
    await new Promise((resolve) => setTimeout(resolve, wait));
    wait = Math.min(wait * 2, interval);
  };
  if (options.waitFirst) await sleep();
  for (;;) {
    const value = await options.check();
    if (value !== undefined) return value;
    if (Date.now() - started >= options.timeoutMs) throw options.timedOut();
    await sleep();
  }
}
