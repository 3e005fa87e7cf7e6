// mapConcurrent runs sync, gc, usage and manifest writes: a failure must stop new work and must
// not leave calls running behind the rejection.
import { describe, expect, it } from 'vitest';
import { mapConcurrent } from '../src/concurrency.js';

describe('mapConcurrent', () => {
  it('keeps order and never runs more than the limit at once', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapConcurrent([5, 1, 4, 2, 3], 2, async (n) => {
      peak = Math.max(peak, ++running);
      await new Promise((resolve) => setTimeout(resolve, n * 3));
      running--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
  });

  it('starts nothing after a failure, and rejects only once the calls in flight have finished', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const error = await mapConcurrent([0, 1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      started.push(n);
      if (n === 1) throw new Error('item 1 failed');
      await new Promise((resolve) => setTimeout(resolve, 30));
      finished.push(n);
    }).catch((e: unknown) => e);
    expect((error as Error).message).toBe('item 1 failed');
    expect(started).toEqual([0, 1, 2]);
    expect(finished.sort()).toEqual([0, 2]);
  });
});
