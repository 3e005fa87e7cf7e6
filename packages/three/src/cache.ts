import { KilnLoadError } from './errors.js';
import { abortedError } from './signal.js';
import { ProgressTracker, type KilnProgressCallback } from './progress.js';

/** What a cache entry holds once loaded. @internal */
export interface Cacheable {
  /** Bytes the parsed value holds in memory, for the budget. */
  readonly bytes: number;
  /** Frees the GPU side; the value stays reusable (three uploads it again). */
  disposeGpu(): void;
  /** Frees everything; the value is never used again. */
  free(): void;
}

/** Creates an entry's value: `signal` fires when no caller wants it any more. @internal */
export type CacheCreator<T extends Cacheable> = (signal: AbortSignal, progress: ProgressTracker) => Promise<T>;

interface Entry<T extends Cacheable> {
  readonly key: string;
  readonly controller: AbortController;
  readonly progress: ProgressTracker;
  promise: Promise<T>;
  value: T | undefined;
  /** Callers waiting for the value. */
  waiters: number;
  /** Handles given out and not released. */
  refs: number;
  /** Last time the entry was released, for the LRU order. */
  lastUsed: number;
}

/** A reference to a cached value; `release()` once. @internal */
export interface CacheHandle<T> {
  readonly value: T;
  release(): void;
}

/** Counts of the cache. */
export interface KilnCacheStats {
  /** Loaded entries (in use or idle). */
  entries: number;
  /** Entries with at least one unreleased handle. */
  inUse: number;
  /** Entries being downloaded or parsed. */
  pending: number;
  /** Bytes of the loaded entries (estimated from their parsed data). */
  bytes: number;
  /** The byte budget idle entries are evicted to. */
  maxBytes: number;
}

/**
 * Parsed assets by stable key, reference-counted. Concurrent requests for one key share one
 * download; each caller's signal only stops its own wait, and the download is aborted when every
 * waiter has gone. The last release frees the GPU side and leaves the parsed value idle; idle
 * entries are evicted least recently used first while the total exceeds `maxBytes`. @internal
 */
export class AssetCache {
  private readonly entries = new Map<string, Entry<Cacheable>>();
  private clock = 0;

  constructor(public maxBytes: number) {}

  async acquire<T extends Cacheable>(
    key: string,
    create: CacheCreator<T>,
    options: { signal?: AbortSignal | undefined; onProgress?: KilnProgressCallback | undefined; label: string },
  ): Promise<CacheHandle<T>> {
    let entry = this.entries.get(key) as Entry<T> | undefined;
    if (entry?.value !== undefined) return this.handle(entry);
    if (entry === undefined) entry = this.start(key, create);
    const current = entry;
    current.waiters += 1;
    const unsubscribe = options.onProgress === undefined ? undefined : current.progress.subscribe(options.onProgress);
    const { signal, label } = options;
    try {
      await new Promise<void>((resolve, reject) => {
        if (signal?.aborted) {
          reject(abortedError(signal, label));
          return;
        }
        const onAbort = () => reject(abortedError(signal, label));
        signal?.addEventListener('abort', onAbort, { once: true });
        current.promise.then(
          () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
          (error: unknown) => {
            signal?.removeEventListener('abort', onAbort);
            reject(error);
          },
        );
      });
    } catch (error) {
      current.waiters -= 1;
      unsubscribe?.();
      if (current.waiters === 0 && current.value === undefined && this.entries.get(key) === current) {
        // Nobody wants it any more: stop the download and forget the entry.
        this.entries.delete(key);
        current.controller.abort(abortedError(signal, label));
      }
      throw error;
    }
    current.waiters -= 1;
    unsubscribe?.();
    return this.handle(current);
  }

  private start<T extends Cacheable>(key: string, create: CacheCreator<T>): Entry<T> {
    const controller = new AbortController();
    const progress = new ProgressTracker();
    const entry: Entry<T> = { key, controller, progress, promise: Promise.resolve() as unknown as Promise<T>, value: undefined, waiters: 0, refs: 0, lastUsed: 0 };
    entry.promise = create(controller.signal, progress).then(
      (value) => {
        if (this.entries.get(key) !== entry) {
          // Every waiter left while it was parsing, or the cache was cleared: drop it.
          value.disposeGpu();
          value.free();
          throw new KilnLoadError('aborted', `${key}: the cache was cleared while it loaded`);
        }
        entry.value = value;
        entry.lastUsed = ++this.clock;
        this.enforceBudget();
        return value;
      },
      (error: unknown) => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
        throw error;
      },
    );
    // Waiters observe the promise; this keeps an unobserved failure from being reported as unhandled.
    entry.promise.catch(() => {});
    this.entries.set(key, entry as unknown as Entry<Cacheable>);
    return entry;
  }

  private handle<T extends Cacheable>(entry: Entry<T>): CacheHandle<T> {
    entry.refs += 1;
    let released = false;
    return {
      value: entry.value as T,
      release: () => {
        if (released) return;
        released = true;
        entry.refs -= 1;
        if (entry.refs > 0) return;
        entry.lastUsed = ++this.clock;
        entry.value?.disposeGpu();
        if (this.entries.get(entry.key) !== entry) entry.value?.free();
        else this.enforceBudget();
      },
    };
  }

  private enforceBudget(): void {
    let total = this.totalBytes();
    if (total <= this.maxBytes) return;
    const idle = [...this.entries.values()]
      .filter((entry) => entry.value !== undefined && entry.refs === 0 && entry.waiters === 0)
      .sort((a, b) => a.lastUsed - b.lastUsed);
    for (const entry of idle) {
      if (total <= this.maxBytes) break;
      this.entries.delete(entry.key);
      total -= entry.value?.bytes ?? 0;
      entry.value?.disposeGpu();
      entry.value?.free();
    }
  }

  private totalBytes(): number {
    let total = 0;
    for (const entry of this.entries.values()) total += entry.value?.bytes ?? 0;
    return total;
  }

  /** Evicts every idle entry (in-use entries stay until released). */
  evictIdle(): void {
    for (const entry of [...this.entries.values()]) {
      if (entry.value !== undefined && entry.refs === 0 && entry.waiters === 0) {
        this.entries.delete(entry.key);
        entry.value.disposeGpu();
        entry.value.free();
      }
    }
  }

  /** True when `key` is loaded (in use or idle). */
  has(key: string): boolean {
    return this.entries.get(key)?.value !== undefined;
  }

  stats(): KilnCacheStats {
    let inUse = 0;
    let pending = 0;
    let entries = 0;
    for (const entry of this.entries.values()) {
      if (entry.value === undefined) pending += 1;
      else {
        entries += 1;
        if (entry.refs > 0) inUse += 1;
      }
    }
    return { entries, inUse, pending, bytes: this.totalBytes(), maxBytes: this.maxBytes };
  }

  /** Aborts pending downloads and frees every entry; handles still out stay valid until released. */
  clear(): void {
    for (const entry of this.entries.values()) {
      if (entry.value === undefined) entry.controller.abort();
      else if (entry.refs === 0) {
        entry.value.disposeGpu();
        entry.value.free();
      }
    }
    this.entries.clear();
  }
}
