/** The second step of one item: run after its first, when a slot is free. */
export type FollowUp = () => Promise<void>;

/** Options of {@link runEncodesFirst}. */
export interface RunEncodesFirstOptions {
  /** Steps running at once. */
  limit: number;
  /**
   * Most items in hand at once: in their first step, waiting for their follow-up, or in it.
   * Each holds what its follow-up needs (a texture's decoded raster), so this bounds the memory
   * used. Raised to `limit` if lower.
   */
  maxHeld: number;
}

/**
 * Runs two steps per item on `limit` slots: `first(item)` (a texture's encode: long and
 * indivisible), then the follow-up it returns, if any (its quality measurement: short, and only
 * needed for the report). A free slot takes the next first step before any waiting follow-up,
 * as long as fewer than `maxHeld` items are in hand.
 *
 * Run straight after their first step in the same slot, the follow-ups of the first items hold
 * back the last item's encode, which then runs alone at the end while the other cores idle.
 * Taken later, they fill those cores instead. (p-limit and p-queue run tasks in order, or by a
 * fixed priority without a bound on what is held, hence these few lines.)
 *
 * After a failure nothing starts, and the call settles (with the first error) only once the
 * steps under way have finished: nothing of it keeps running after it rejects.
 */
export async function runEncodesFirst<T>(items: readonly T[], options: RunEncodesFirstOptions, first: (item: T, index: number) => Promise<FollowUp | null>): Promise<void> {
  const maxHeld = Math.max(options.limit, options.maxHeld);
  const waiting: FollowUp[] = [];
  let next = 0;
  let held = 0;
  let failed = false;

  const runFirst = async (index: number) => {
    held++;
    let followUp: FollowUp | null = null;
    try {
      followUp = await first(items[index] as T, index);
    } finally {
      if (followUp) waiting.push(followUp);
      else held--;
    }
  };
  const runFollowUp = async (followUp: FollowUp) => {
    try {
      await followUp();
    } finally {
      held--;
    }
  };
  const take = (): (() => Promise<void>) | undefined => {
    if (next < items.length && held < maxHeld) {
      const index = next++;
      return () => runFirst(index);
    }
    const followUp = waiting.shift();
    return followUp && (() => runFollowUp(followUp));
  };

  const slot = async () => {
    while (!failed) {
      const step = take();
      if (!step) return;
      try {
        await step();
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: Math.min(options.limit, items.length) }, slot));
  const failure = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) throw failure.reason;
}
