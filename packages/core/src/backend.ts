import { KilnError, type KilnErrorOptions } from '@kiln/manifest';

/**
 * How a backend failure is handled:
 * - `input_invalid`: the request is wrong (bad workflow, missing model); never retried.
 * - `auth`: credentials refused; never retried, trips nothing.
 * - `rate_requests`: too many requests (a 429 of the request-rate kind); retried after
 *   `retryAfterMs`, and uses up an attempt.
 * - `rate_concurrency`: too many tasks in flight (a 429 of the concurrency kind); the step waits
 *   in Kiln's queue without using up an attempt.
 * - `transient`: network errors, 5xx, timeouts; retried with backoff, uses up an attempt.
 * - `fatal`: the backend ran the task and it failed for good.
 * - `insufficient_credits`: the account is out of credits (HTTP 402). Never retried: the step is
 *   dead-lettered (redrive it after topping up) and the backend's circuit breaker opens at once,
 *   so the steps behind it go to their fallbacks or wait instead of each spending a request.
 */
export type BackendErrorKind = 'input_invalid' | 'auth' | 'rate_requests' | 'rate_concurrency' | 'transient' | 'fatal' | 'insufficient_credits';

/** A failure reported by a {@link GenerationBackend}, classified for the scheduler. */
export class BackendError extends KilnError {
  override name = 'BackendError';
  readonly kind: BackendErrorKind;
  /** From `Retry-After` or the backend's own hint. */
  readonly retryAfterMs: number | undefined;

  constructor(kind: BackendErrorKind, message: string, options: KilnErrorOptions & { retryAfterMs?: number } = {}) {
    super(`backend_${kind}`, message, options);
    this.kind = kind;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** An input artifact handed to a backend: bytes in memory or a URL it can fetch. */
export interface BackendInput {
  /** Role in the step, such as `image` or `mask`. */
  name: string;
  contentType: string;
  sha256: string;
  data?: Uint8Array;
  url?: string;
}

/** One submission of one step attempt. */
export interface SubmitRequest {
  /** Lower-case hex SHA-256 idempotency key of the step (see the key definition). */
  idempotencyKey: string;
  /**
   * Per-attempt id derived from the key (a UUID). Sent as ComfyUI's `prompt_id` on versions that
   * accept it, or as an `Idempotency-Key` header, so a resubmit after a crash is recognised.
   */
  attemptId: string;
  /** Correlation ids, for logs and events. */
  jobId: string;
  stepId: string;
  /** What the step does: `text_to_image`, `upscale`, `image_to_3d`, `retopology`, `rig`, … */
  operation: string;
  /** Model or workflow name, when the backend serves several. */
  model?: string;
  /** Prompt, negative prompt, seed, size, … */
  params: Readonly<Record<string, unknown>>;
  inputs: readonly BackendInput[];
  signal?: AbortSignal;
}

/**
 * Where a remote task stands. Terminal states (`succeeded`, `failed`, `canceled`, `expired`) never
 * change again.
 * - `expired`: the backend dropped the task or its results before Kiln fetched them (Tripo
 *   `expired`); the step gets a new attempt, as for a transient failure.
 * - `unknown`: the backend does not know the task (a restart lost its queue); Kiln resubmits the
 *   same attempt id where submits are idempotent.
 */
export interface RemoteStatus {
  state: 'queued' | 'running' | 'succeeded' | 'failed' | 'canceled' | 'expired' | 'unknown';
  /** 0..1 */
  progress?: number;
  /** The backend's own estimate of the time left. */
  etaMs?: number;
  /**
   * Tasks ahead of this one in the backend's queue (0: next to run), while `queued`: ComfyUI's
   * `/queue`, Tripo's `queuing_num`. Reported on `StepProgress` events.
   */
  queuePosition?: number;
  /** Set with `failed`. */
  error?: BackendError;
}

/** One output of a finished task. */
export interface BackendOutput {
  /** File name suggested by the backend (`ComfyUI_00001_.png`, `model.glb`). */
  filename: string;
  contentType: string;
  /** The bytes, or a function that downloads them (outputs behind expiring URLs are fetched promptly). */
  data: Uint8Array | (() => Promise<Uint8Array>);
  metadata?: Readonly<Record<string, unknown>>;
}

/** What {@link GenerationBackend.cancel} did. */
export type CancelResult = 'canceled' | 'not_running' | 'unsupported';

/** What a backend can do; the scheduler adapts to it. */
export interface BackendCapabilities {
  /** Submitting the same `attemptId` twice never runs the task twice. */
  idempotentSubmit: boolean;
  /** `subscribe()` pushes status changes (WebSocket, SSE, webhook); otherwise Kiln polls. */
  push: boolean;
  cancel: boolean;
  /** `submit()` returns the outputs directly (synchronous HTTP, in-process). */
  synchronous: boolean;
}

/**
 * The GPU backend the host brings. Kiln never generates pixels itself (the procedural backend
 * aside): it submits, watches, downloads and classifies failures. Implementations: ComfyUI, HTTP
 * task APIs (Meshy, Tripo, Rodin), synchronous HTTP (SF3D), an in-process function, and the
 * procedural CPU backend. One contract suite tests them all.
 */
export interface GenerationBackend {
  readonly name: string;
  readonly capabilities: BackendCapabilities;
  /** Starts a task. Synchronous backends return its outputs too. */
  submit(request: SubmitRequest): Promise<{ remoteId: string; outputs?: BackendOutput[] }>;
  status(remoteId: string, options?: { signal?: AbortSignal }): Promise<RemoteStatus>;
  /** Pushes status changes until the returned function is called. Only with `capabilities.push`. */
  subscribe?(remoteId: string, listener: (status: RemoteStatus) => void): () => void;
  /** The outputs of a `succeeded` task. */
  outputs(remoteId: string, options?: { signal?: AbortSignal }): Promise<BackendOutput[]>;
  /**
   * Cancels a task: `canceled` if it was stopped or dequeued, `not_running` if it had already
   * ended, `unsupported` if the backend cannot cancel it. (Resolving with nothing means `canceled`.)
   */
  cancel?(remoteId: string): Promise<CancelResult | void>;
  /**
   * After a restart: the state of tasks Kiln submitted before it went down (a ComfyUI restart
   * forgets its queue; those come back `unknown` and are resubmitted).
   */
  reconcile?(tasks: readonly { remoteId: string; attemptId: string }[]): Promise<Map<string, RemoteStatus>>;
  /** For circuit-breaker half-open probes. */
  health?(): Promise<{ ok: boolean; detail?: string }>;
  /** Maps any error this backend throws to a kind; defaults to `transient` for unknown errors. */
  classify?(error: unknown): BackendErrorKind;
  close?(): Promise<void>;
}
