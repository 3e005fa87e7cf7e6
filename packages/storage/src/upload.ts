import { randomUUID } from 'node:crypto';
import type { ArtifactRecord } from './artifact.js';
import { abortError, StorageError } from './errors.js';
import { TypedEvents } from './events.js';

/** Where an upload stands. `done` and `failed` are final. */
export type UploadState = 'queued' | 'hashing' | 'uploading' | 'done' | 'failed';

/** A snapshot of an upload, as observed or awaited by id. */
export interface UploadStatus {
  id: string;
  key: string;
  state: UploadState;
  /** Bytes hashed or sent so far in the current phase. */
  bytesDone: number;
  /** Body size, once known. */
  bytesTotal?: number;
  /** Set when `state` is `done`. */
  result?: ArtifactRecord;
  /** Set when `state` is `failed`. */
  error?: StorageError;
}

/** Events of an {@link UploadHandle}. */
export interface UploadEvents {
  progress: UploadStatus;
  status: UploadStatus;
}

/**
 * A running upload: observe it with `on('progress' | 'status', …)`, await it with `done()`, stop it
 * with `abort()` (or the `signal` given to `upload()`). A failed or aborted upload leaves no name,
 * no multipart parts and no spool file. Its content-addressed blob stays if it was already
 * stored (another upload may be using it by then); `tenant.gc()` reclaims it once unreferenced.
 */
export class UploadHandle extends TypedEvents<UploadEvents> {
  readonly id: string = randomUUID();
  readonly key: string;
  readonly #controller = new AbortController();
  readonly #done: Promise<ArtifactRecord>;
  #status: UploadStatus;

  /** @internal Use `tenant.upload()`. */
  constructor(key: string, run: (handle: UploadHandle, signal: AbortSignal) => Promise<ArtifactRecord>, signal?: AbortSignal) {
    super();
    this.key = key;
    this.#status = { id: this.id, key, state: 'queued', bytesDone: 0 };
    if (signal) {
      if (signal.aborted) this.#controller.abort(signal.reason);
      else signal.addEventListener('abort', () => this.#controller.abort(signal.reason), { once: true });
    }
    // Starts on the next microtask, so listeners attached right after `upload()` see every event.
    this.#done = Promise.resolve().then(async () => {
      try {
        if (this.#controller.signal.aborted) throw abortError(`storage.upload ${key}`, this.#controller.signal);
        const result = await run(this, this.#controller.signal);
        this.update({ state: 'done', result, bytesDone: result.bytes, bytesTotal: result.bytes });
        return result;
      } catch (caught) {
        const error =
          caught instanceof StorageError
            ? caught
            : new StorageError('upload_failed', `storage.upload ${key}: ${(caught as Error).message}`, { cause: caught });
        this.update({ state: 'failed', error });
        throw error;
      }
    });
    // Rejections are delivered through done(); keep an unobserved failure from crashing the process.
    this.#done.catch(() => undefined);
  }

  /** The current status (a copy). */
  get status(): UploadStatus {
    return { ...this.#status };
  }

  /** Resolves with the artifact record, or rejects with a `StorageError`. Can be called any number of times. */
  done(): Promise<ArtifactRecord> {
    return this.#done;
  }

  /** Aborts the upload; `done()` rejects with code `aborted`. No effect once finished. */
  abort(reason?: unknown): void {
    this.#controller.abort(reason);
  }

  /** @internal */
  update(change: Partial<Omit<UploadStatus, 'id' | 'key'>>): void {
    const stateChanged = change.state !== undefined && change.state !== this.#status.state;
    this.#status = { ...this.#status, ...change };
    this.emit('progress', this.status);
    if (stateChanged) this.emit('status', this.status);
  }
}

/**
 * Uploads of one store, by id: a workflow step can look one up or wait for it (seed story US7).
 * Finished uploads are kept for `retainFinished` entries so late observers still see the result.
 */
export class UploadRegistry {
  readonly #uploads = new Map<string, UploadHandle>();
  readonly #retain: number;

  constructor(retainFinished: number) {
    this.#retain = retainFinished;
  }

  /** @internal */
  add(handle: UploadHandle): void {
    this.#uploads.set(handle.id, handle);
    const prune = () => {
      const finished = [...this.#uploads.values()].filter((h) => h.status.state === 'done' || h.status.state === 'failed');
      for (const old of finished.slice(0, Math.max(0, finished.length - this.#retain))) this.#uploads.delete(old.id);
    };
    handle.done().then(prune, prune);
  }

  /** The status of an upload, or `undefined` for an unknown id. */
  get(id: string): UploadStatus | undefined {
    return this.#uploads.get(id)?.status;
  }

  /** Every known upload's status, oldest first. */
  list(): UploadStatus[] {
    return [...this.#uploads.values()].map((h) => h.status);
  }

  /**
   * Waits for an upload to finish and returns its final status (`done` or `failed`; it does not
   * throw for a failed upload). Throws `not_found` for an unknown id, `aborted` if `signal` fires.
   */
  async wait(id: string, options: { signal?: AbortSignal } = {}): Promise<UploadStatus> {
    const handle = this.#uploads.get(id);
    if (!handle) throw new StorageError('not_found', `storage.uploads.wait: no upload ${id}`, { details: { id } });
    const settled = handle.done().then(
      () => handle.status,
      () => handle.status,
    );
    const { signal } = options;
    if (!signal) return settled;
    if (signal.aborted) throw abortError('storage.uploads.wait', signal);
    return new Promise<UploadStatus>((resolve, reject) => {
      const onAbort = () => reject(abortError('storage.uploads.wait', signal));
      signal.addEventListener('abort', onAbort, { once: true });
      settled.then((status) => {
        signal.removeEventListener('abort', onAbort);
        resolve(status);
      });
    });
  }
}
