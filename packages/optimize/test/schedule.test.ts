import { describe, expect, it } from 'vitest';
import { runEncodesFirst, type FollowUp } from '../src/textures/schedule.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Runs `count` items whose first step and follow-up each take one tick; returns the order. */
async function order(count: number, limit: number, maxHeld: number): Promise<string[]> {
  const log: string[] = [];
  await runEncodesFirst(Array.from({ length: count }, (_, i) => i), { limit, maxHeld }, async (item): Promise<FollowUp> => {
    log.push(`encode ${item}`);
    await tick();
    return async () => {
      log.push(`measure ${item}`);
      await tick();
    };
  });
  return log;
}

describe('runEncodesFirst', () => {
  it('takes the next encode before a waiting measurement while fewer than maxHeld are in hand', async () => {
    // One slot, two in hand: encode 1 starts before measure 0, so a last encode never waits
    // behind the measurements of the ones before it.
    expect(await order(3, 1, 2)).toEqual(['encode 0', 'encode 1', 'measure 0', 'encode 2', 'measure 1', 'measure 2']);
  });

  it('with maxHeld equal to limit, measures each item before the next encode', async () => {
    expect(await order(3, 1, 1)).toEqual(['encode 0', 'measure 0', 'encode 1', 'measure 1', 'encode 2', 'measure 2']);
  });

  it('never holds more than maxHeld items and runs every step once, whatever the timings', async () => {
    for (const [limit, maxHeld] of [
      [1, 1],
      [2, 3],
      [3, 4],
      [4, 8],
    ] as const) {
      let held = 0;
      let maxSeen = 0;
      let running = 0;
      let maxRunning = 0;
      const measured: number[] = [];
      const items = Array.from({ length: 25 }, (_, i) => i);
      const wait = (i: number) => new Promise<void>((resolve) => setTimeout(resolve, (i * 7) % 5));
      await runEncodesFirst(items, { limit, maxHeld }, async (item) => {
        held++;
        running++;
        maxSeen = Math.max(maxSeen, held);
        maxRunning = Math.max(maxRunning, running);
        await wait(item);
        running--;
        // Every third item has nothing to measure (a kept texture): it is out of hand at once.
        if (item % 3 === 0) {
          held--;
          return null;
        }
        return async () => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          await wait(item + 1);
          measured.push(item);
          running--;
          held--;
        };
      });
      expect(maxSeen).toBeLessThanOrEqual(maxHeld);
      expect(maxRunning).toBeLessThanOrEqual(limit);
      expect(held).toBe(0);
      expect(measured.sort((a, b) => a - b)).toEqual(items.filter((i) => i % 3 !== 0));
    }
  });

  it('after a failure starts nothing and rejects only once the steps under way have finished', async () => {
    const log: string[] = [];
    const run = runEncodesFirst([0, 1, 2, 3, 4], { limit: 2, maxHeld: 3 }, async (item) => {
      log.push(`encode ${item}`);
      if (item === 1) throw new Error('encode 1 failed');
      await new Promise((resolve) => setTimeout(resolve, 30));
      log.push(`encoded ${item}`);
      return async () => {
        log.push(`measure ${item}`);
      };
    });
    await expect(run).rejects.toThrow('encode 1 failed');
    // Encode 0 was under way: it finished before the call rejected, and its measurement, like
    // every later item, never started.
    expect(log).toEqual(['encode 0', 'encode 1', 'encoded 0']);
  });

  it('rejects with a failing measurement and starts nothing after it', async () => {
    const log: string[] = [];
    const run = runEncodesFirst([0, 1, 2, 3], { limit: 1, maxHeld: 1 }, async (item) => {
      log.push(`encode ${item}`);
      return async () => {
        log.push(`measure ${item}`);
        if (item === 1) throw new Error('measure 1 failed');
      };
    });
    await expect(run).rejects.toThrow('measure 1 failed');
    expect(log).toEqual(['encode 0', 'measure 0', 'encode 1', 'measure 1']);
  });

  it('does nothing for no items', async () => {
    let called = false;
    await runEncodesFirst([], { limit: 4, maxHeld: 5 }, async () => ((called = true), null));
    expect(called).toBe(false);
  });
});
