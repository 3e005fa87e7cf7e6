/**
 * Maps `items` through `fn` with at most `limit` calls in flight, keeping order. Hand-written
 * because p-map and p-limit are ESM-only, and this package also ships CommonJS for Node 20.
 */
export async function mapConcurrent<T, R>(items: Iterable<T>, limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const list = [...items];
  const results = new Array<R>(list.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < list.length) {
      const index = next++;
      results[index] = await fn(list[index] as T, index);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, list.length) }, worker));
  return results;
}

/** Collects an async iterable into an array. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
