import { describe, expect, it } from 'vitest';
import { mapLimit } from '../../../src/core/map-limit.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('mapLimit', () => {
  it('keeps at most `limit` in flight and returns the results in order', async () => {
    let inFlight = 0;
    let peak = 0;
    const results = await mapLimit([5, 1, 4, 2, 3], 2, async (ms) => {
      peak = Math.max(peak, ++inFlight);
      await sleep(ms);
      inFlight -= 1;
      return ms * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
  });

  it('starts nothing after a failure and rejects only once what was in flight has ended', async () => {
    const log: string[] = [];
    const run = mapLimit([1, 2, 3, 4, 5], 2, async (item) => {
      log.push(`start ${item}`);
      await sleep(item === 2 ? 5 : 30);
      log.push(`end ${item}`);
      if (item === 2) throw new Error('item 2 failed');
      return item;
    });
    await expect(run).rejects.toThrow('item 2 failed');
    // Item 1 was in flight when item 2 failed: it ended before the rejection; 3, 4 and 5 never started.
    expect(log).toEqual(['start 1', 'start 2', 'end 2', 'end 1']);
    await sleep(50);
    expect(log).toHaveLength(4);
  });
});
