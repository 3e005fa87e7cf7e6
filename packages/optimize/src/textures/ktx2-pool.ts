import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { OptimizeError } from '../errors.js';
import { SILENT_LOGGER, type OptimizeLogger } from '../logger.js';
import type { Ktx2EncodeJob, Ktx2Encoder } from './types.js';
import { workerUrl } from '../worker-url.js';

/** Options of {@link createKtx2Pool}. */
export interface Ktx2PoolOptions {
  /** Worker threads, each with its own Basis Universal WASM instance. Default: cores, at most 4. */
  workers?: number;
  /** Receives the encoder's stderr lines at debug level. */
  logger?: OptimizeLogger;
}

/** A pool of KTX2 encoding workers. Idle workers do not keep the process alive. */
export interface Ktx2Pool extends Ktx2Encoder {
  /** Number of worker threads the pool may start. */
  readonly size: number;
  /** Stops the workers. Pending encodes reject. */
  dispose(): Promise<void>;
}

/** Defaults of {@link Ktx2PoolOptions}. */
export const KTX2_POOL_DEFAULTS = Object.freeze({
  /** Resolved when the pool is created: `Math.min(4, os.availableParallelism())`. */
  maxWorkers: 4,
});

interface Task {
  id: number;
  job: Ktx2EncodeJob;
  resolve: (bytes: Uint8Array) => void;
  reject: (error: unknown) => void;
}

interface Slot {
  worker: Worker;
  task: Task | null;
}

type WorkerReply = { id: number; ok: true; bytes: Uint8Array } | { id: number; ok: false; message: string };

/**
 * Starts a pool of worker threads that encode KTX2 with ktx2-encoder (Basis Universal WASM).
 * Workers start lazily, on the first jobs; call `dispose()` when done.
 */
export function createKtx2Pool(options: Ktx2PoolOptions = {}): Ktx2Pool {
  const size = options.workers ?? Math.max(1, Math.min(KTX2_POOL_DEFAULTS.maxWorkers, availableParallelism()));
  if (!Number.isInteger(size) || size < 1) throw new OptimizeError('encoder_failed', `createKtx2Pool: workers must be an integer >= 1, got ${size}`);
  const logger = options.logger ?? SILENT_LOGGER;
  const slots: Slot[] = [];
  const queue: Task[] = [];
  let nextId = 1;
  let disposed = false;

  const spawn = (): Slot => {
    // stdout: true keeps the encoder's progress lines out of the host's stdout; they are drained.
    const worker = new Worker(workerUrl('ktx2-worker', import.meta.url), { stdout: true, stderr: true });
    worker.stdout.resume();
    worker.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line.trim()) logger.debug(`ktx2: ${line.trim()}`);
    });
    const slot: Slot = { worker, task: null };
    worker.on('message', (reply: WorkerReply) => {
      const task = slot.task;
      if (!task || task.id !== reply.id) return;
      slot.task = null;
      if (reply.ok) task.resolve(new Uint8Array(reply.bytes.buffer, reply.bytes.byteOffset, reply.bytes.byteLength));
      else task.reject(new OptimizeError('encoder_failed', `ktx2: ${task.job.label ?? 'texture'}: ${reply.message}`));
      pump();
    });
    const fail = (error: unknown) => {
      const index = slots.indexOf(slot);
      if (index >= 0) slots.splice(index, 1);
      const task = slot.task;
      slot.task = null;
      if (task) task.reject(new OptimizeError('encoder_failed', `ktx2: ${task.job.label ?? 'texture'}: worker failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
      pump();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!disposed) fail(new Error(`worker exited with code ${code}`));
    });
    slots.push(slot);
    return slot;
  };

  const pump = (): void => {
    if (disposed) return;
    while (queue.length > 0) {
      let slot = slots.find((s) => s.task === null);
      if (!slot && slots.length < size) slot = spawn();
      if (!slot) break;
      const task = queue.shift() as Task;
      slot.task = task;
      slot.worker.ref();
      const { rgba, width, height, settings } = task.job;
      // Copy: the caller keeps its pixels (PSNR compares against them); the copy is transferred.
      const copy = rgba.slice();
      slot.worker.postMessage({ id: task.id, rgba: copy, width, height, settings }, [copy.buffer]);
    }
    for (const slot of slots) if (slot.task === null) slot.worker.unref();
  };

  return {
    size,
    encode(job: Ktx2EncodeJob): Promise<Uint8Array> {
      if (disposed) return Promise.reject(new OptimizeError('encoder_failed', 'ktx2: the pool was disposed'));
      if (job.width * job.height * 4 !== job.rgba.byteLength) {
        return Promise.reject(new OptimizeError('encoder_failed', `ktx2: ${job.label ?? 'texture'}: ${job.rgba.byteLength} bytes is not ${job.width}×${job.height} RGBA`));
      }
      return new Promise<Uint8Array>((resolve, reject) => {
        queue.push({ id: nextId++, job, resolve, reject });
        pump();
      });
    },
    async dispose(): Promise<void> {
      if (disposed) return;
      disposed = true;
      const pending = [...queue.splice(0), ...slots.flatMap((s) => (s.task ? [s.task] : []))];
      for (const task of pending) task.reject(new OptimizeError('encoder_failed', 'ktx2: the pool was disposed'));
      await Promise.all(slots.splice(0).map((s) => s.worker.terminate()));
    },
  };
}
