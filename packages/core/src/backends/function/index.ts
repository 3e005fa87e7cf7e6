import { BackendError, type BackendCapabilities, type BackendErrorKind, type BackendOutput, type GenerationBackend, type RemoteStatus, type SubmitRequest } from '../../backend.js';

/** Options of {@link functionBackend}. */
export interface FunctionBackendOptions {
  /** Backend name. Default `function`. */
  name?: string;
  /** The work: returns the outputs, or throws (a {@link BackendError} to classify the failure). */
  run: (request: SubmitRequest) => Promise<BackendOutput[]> | BackendOutput[];
  /**
   * `sync` (default): `submit()` runs the function and returns its outputs. `async`: `submit()`
   * starts it and returns; Kiln follows it through `status()` and `subscribe()`.
   */
  mode?: 'sync' | 'async';
  /** Maps thrown errors to kinds. Default: a BackendError's kind, else `transient`. */
  classify?: (error: unknown) => BackendErrorKind;
  /** For breaker probes. Default: always healthy. */
  health?: () => Promise<{ ok: boolean; detail?: string }>;
}

/** A {@link GenerationBackend} on a function, with counters for tests. */
export interface FunctionBackend extends GenerationBackend {
  /** Calls of `submit()`, repeats of an attempt id included. */
  readonly submissions: number;
  /** Runs of the function: a repeated attempt id does not run it again. */
  readonly executions: number;
  /** Attempt ids seen, in order. */
  readonly attempts: readonly string[];
}

/**
 * A backend on the host's own function (in-process), for the host's code and for tests.
 * Submissions are idempotent by `attemptId`: a repeat returns the first one's task and outputs.
 *
 * @example
 * ```ts
 * const upscale = functionBackend({
 *   name: 'upscaler',
 *   run: async ({ inputs }) => [{ filename: 'up.png', contentType: 'image/png', data: await upscaleBytes(inputs[0]!.data!) }],
 * });
 * ```
 */
export function functionBackend(options: FunctionBackendOptions): FunctionBackend {
  const name = options.name ?? 'function';
  const mode = options.mode ?? 'sync';
  const tasks = new Map<string, { status: RemoteStatus; outputs?: BackendOutput[]; promise: Promise<BackendOutput[]>; listeners: Set<(s: RemoteStatus) => void> }>();
  const attempts: string[] = [];
  let submissions = 0;
  let executions = 0;
  const classify = options.classify ?? ((error: unknown) => (error instanceof BackendError ? error.kind : 'transient'));
  const capabilities: BackendCapabilities = { idempotentSubmit: true, push: mode === 'async', cancel: false, synchronous: mode === 'sync' };

  const start = (request: SubmitRequest) => {
    executions++;
    attempts.push(request.attemptId);
    const task = {
      status: { state: 'running' } as RemoteStatus,
      listeners: new Set<(s: RemoteStatus) => void>(),
      promise: Promise.resolve().then(() => options.run(request)),
    } as { status: RemoteStatus; outputs?: BackendOutput[]; promise: Promise<BackendOutput[]>; listeners: Set<(s: RemoteStatus) => void> };
    const settle = (status: RemoteStatus) => {
      task.status = status;
      for (const listener of task.listeners) listener(status);
    };
    task.promise.then(
      (outputs) => {
        task.outputs = outputs;
        settle({ state: 'succeeded', progress: 1 });
      },
      (error: unknown) => {
        const kind = classify(error);
        const backendError = error instanceof BackendError ? error : new BackendError(kind, error instanceof Error ? error.message : String(error), { cause: error });
        settle({ state: 'failed', error: backendError });
      },
    );
    tasks.set(request.attemptId, task);
    return task;
  };

  const backend: FunctionBackend = {
    name,
    capabilities,
    get submissions() {
      return submissions;
    },
    get executions() {
      return executions;
    },
    get attempts() {
      return attempts;
    },
    async submit(request) {
      submissions++;
      const task = tasks.get(request.attemptId) ?? start(request);
      if (mode === 'async') return { remoteId: request.attemptId };
      try {
        return { remoteId: request.attemptId, outputs: await task.promise };
      } catch (error) {
        throw error instanceof BackendError ? error : new BackendError(classify(error), error instanceof Error ? error.message : String(error), { cause: error });
      }
    },
    async status(remoteId) {
      return tasks.get(remoteId)?.status ?? { state: 'unknown' };
    },
    subscribe(remoteId, listener) {
      const task = tasks.get(remoteId);
      if (!task) return () => {};
      task.listeners.add(listener);
      return () => task.listeners.delete(listener);
    },
    async outputs(remoteId) {
      const task = tasks.get(remoteId);
      if (!task?.outputs) throw new BackendError('fatal', `${name}: task ${remoteId} has no outputs`);
      return task.outputs;
    },
    async reconcile(list) {
      return new Map(list.map((t) => [t.remoteId, tasks.get(t.remoteId)?.status ?? { state: 'unknown' as const }]));
    },
    health: options.health ?? (async () => ({ ok: true })),
    classify,
  };
  return backend;
}
