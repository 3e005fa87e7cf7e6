import { Worker } from 'node:worker_threads';
import { SILENT_LOGGER, type OptimizeLogger } from './logger.js';
import { runValidator, summarizeValidation, type ValidateGltfOptions, type ValidationSummary, type ValidatorMessages } from './validate.js';
import { workerUrl } from './worker-url.js';

/** Validates on a worker thread; see {@link startValidatorThread}. @internal */
export interface ValidatorThread {
  validate(bytes: Uint8Array, options?: ValidateGltfOptions): Promise<ValidationSummary>;
  /** Stops the worker: pending and later validations reject, and none runs on the calling thread instead. */
  dispose(): Promise<void>;
}

type WorkerReply = { id: number; ok: true; messages: ValidatorMessages } | { id: number; ok: false; message: string };

interface Pending {
  resolve: (messages: ValidatorMessages) => void;
  reject: (error: unknown) => void;
}

/** Raised when the worker itself failed (not the validation): the caller validates in-thread. */
class WorkerGone extends Error {}

/** Raised for validations pending or asked for once the thread is disposed: nothing validates after that. */
class ValidatorDisposed extends Error {
  constructor() {
    super('the validator was disposed');
  }
}

/**
 * @internal Starts one worker thread that runs gltf-validator, so that validation overlaps the
 * rest of an optimize() call instead of blocking its thread. The bytes (and a .gltf's resources)
 * are copied to the worker, never transferred: they belong to the caller. If the worker cannot
 * run (a bundler that left `validate-worker.js` behind, say), validation falls back to the
 * calling thread with a debug line: slower, same result.
 */
export function startValidatorThread(logger: OptimizeLogger = SILENT_LOGGER, script: URL = workerUrl('validate-worker', import.meta.url)): ValidatorThread {
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let worker: Worker | null = null;
  let gone = false;
  let disposed = false;

  const fail = (why: string) => {
    if (gone) return;
    gone = true;
    logger.debug(`validator worker: ${why}; validating on the main thread`);
    for (const task of pending.values()) task.reject(new WorkerGone(why));
    pending.clear();
    void worker?.terminate();
    worker = null;
  };

  const start = (): Worker => {
    const started = new Worker(script);
    started.on('message', (reply: WorkerReply) => {
      const task = pending.get(reply.id);
      if (!task) return;
      pending.delete(reply.id);
      if (reply.ok) task.resolve(reply.messages);
      else task.reject(new Error(reply.message));
      if (pending.size === 0) started.unref();
    });
    started.on('error', (error) => fail(`failed: ${error.message}`));
    started.on('exit', (code) => fail(`exited with code ${code}`));
    return started;
  };

  const inWorker = (bytes: Uint8Array, options: ValidateGltfOptions): Promise<ValidatorMessages> =>
    new Promise<ValidatorMessages>((resolve, reject) => {
      worker ??= start();
      const id = nextId++;
      pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ id, bytes, uri: options.uri ?? 'asset', resources: options.resources ?? {} });
    });

  return {
    async validate(bytes, options = {}) {
      if (disposed) throw new ValidatorDisposed();
      let messages: ValidatorMessages;
      if (gone) messages = await runValidator(bytes, options);
      else {
        try {
          messages = await inWorker(bytes, options);
        } catch (error) {
          if (!(error instanceof WorkerGone)) throw error;
          messages = await runValidator(bytes, options);
        }
      }
      return summarizeValidation(bytes, messages);
    },
    async dispose() {
      const running = worker;
      gone = true;
      disposed = true;
      worker = null;
      // Not WorkerGone: an optimize() that failed or was aborted must not go on validating in-thread.
      for (const task of pending.values()) task.reject(new ValidatorDisposed());
      pending.clear();
      await running?.terminate();
    },
  };
}
