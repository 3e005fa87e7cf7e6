/**
 * Maps `items` through `fn` with at most `limit` calls in flight, keeping order. On the first
 * failure no further item starts, the calls in flight finish, and then it rejects with that
 * failure. Hand-written
 * because p-map and p-limit are ESM-only, and this package also ships CommonJS for Node 20.
 */
export async function mapConcurrent<T, R>(items: Iterable<T>, limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const list = [...items];
  const results = new Array<R>(list.length);
  let next = 0;
  let failed = false;
  async function worker(): Promise<void> {
    while (!failed && next < list.length) {
      const index = next++;
      try {
        results[index] = await fn(list[index] as T, index);
      } catch (error) {
        failed = true; // no new item starts once one has failed
        throw error;
      }
    }
  }
  // Settles only when every call in flight has: a rejection never leaves work running behind it.
  const settled = await Promise.allSettled(Array.from({ length: Math.min(limit, list.length) }, worker));
  const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (rejected) throw rejected.reason;
  return results;
}

/** Collects an async iterable into an array. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
