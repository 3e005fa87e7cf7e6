import type { AssetRequest } from '../request.js';
import type { BackendErrorKind } from '../backend.js';
import type { RunState, StepState } from '../states.js';
import type { StepFallback } from '../pipeline.js';

/** A stored file a step produced or took: by content hash, with its storage key and URL. */
export interface ArtifactRef {
  /** Role: `image`, `model`, `frame-3`, … */
  name: string;
  filename: string;
  contentType: string;
  sha256: string;
  bytes: number;
  /** Logical storage key (`{tenant}/{run}/{type}/{file}`), when stored through @kiln/storage. */
  key?: string;
  /** Delivery URL (CDN or presigned), when known. */
  url?: string;
  /** Width and height of images; triangles of models; rating; tags. */
  metadata?: Record<string, unknown>;
}

/** The last failure of a step, classified and with secrets redacted. */
export interface StepErrorInfo {
  kind: BackendErrorKind | 'timeout' | 'internal';
  message: string;
  at: number;
  /** Backend and model that failed. */
  backend?: string;
  model?: string;
}

/** A review decision as applied to a step. */
export interface ReviewDecision {
  /** Dedupes repeats: the caller's id, or a hash of the decision. */
  id: string;
  kind: 'approve' | 'reject' | 'request_changes';
  by?: string;
  note?: string;
  at: number;
  rewindTo?: string;
  patch?: Record<string, unknown>;
  /** Outputs the reviewer replaced (painted-over image, mesh fixed in Blender). */
  replaced?: ArtifactRef[];
  /** The step revision the decision was applied to. */
  revision: number;
}

/** Quality verdict of a step's outputs. */
export interface QualityInfo {
  rating: 'AAA' | 'AA' | 'A' | 'Poor';
  reasons: string[];
  /** Regenerations used for Poor ratings. */
  regenerations: number;
  styleScore?: number;
}

/** Where a step runs now: its own backend, or a fallback (a new key, recorded as `fallbackOf`). */
export interface StepRoute {
  backend: string;
  model?: string;
  modelVersion?: string;
  /** Index in the step's `fallbacks`, or -1 for the step's own backend. */
  fallback: number;
}

/** One step of a run, as stored. */
export interface StepRecord {
  /** `{runId}/{name}`. */
  id: string;
  runId: string;
  projectId: string;
  batchId?: string;
  name: string;
  operation: string;
  route: StepRoute;
  /** The step's own backend (route.fallback = -1). */
  backend: string;
  model?: string;
  modelVersion?: string;
  workflowHash?: string;
  fallbacks: StepFallback[];
  dependsOn: string[];
  review: boolean;
  /** With `review`: what happens when nobody decides in time (the timer is `notBefore` in `awaiting_review`). */
  reviewTimeout?: { afterMs: number; action: 'approve' | 'reject' | 'escalate' };
  rate: boolean;
  params: Record<string, unknown>;
  seed: number;
  /** Bumped by rewinds, requested changes and regenerations; part of the seed and so of the key. */
  revision: number;
  state: StepState;
  /** Bumped by every change: the compare-and-set token. */
  version: number;
  /** Idempotency key; set when the step becomes ready (its inputs are known then). */
  key?: string;
  /** Attempts used (transient failures and request-rate 429s). */
  attempts: number;
  /** Waits that used no attempt (concurrency 429s, open breakers). */
  waits: number;
  maxAttempts?: number;
  timeoutMs?: number;
  /** Submissions issued so far (never reset): numbers the attempt ids. */
  attemptSeq?: number;
  /** Per-attempt id sent to the backend. Set before submitting: a crash after it resubmits the same id. */
  attemptId?: string;
  remoteId?: string;
  submittedAt?: number;
  /** Not leased before this time (retry_wait, waits); in `awaiting_review`, when the review times out. */
  notBefore?: number;
  inputs?: ArtifactRef[];
  outputs?: ArtifactRef[];
  error?: StepErrorInfo;
  progress?: number;
  quality?: QualityInfo;
  decisions: ReviewDecision[];
  /** A decision that arrived before the step reached `awaiting_review`. */
  earlyDecision?: ReviewDecision;
  /** Keys this step's current work replaces (earlier revisions) or falls back from. */
  lineage?: { supersedes?: string[]; fallbackOf?: string; reviewerEdit?: boolean; reusedFrom?: string };
  /** Set in `dead_lettered`: what a redrive needs and what an operator reads. */
  deadLetter?: { at: number; reason: string; attempts: number; error?: StepErrorInfo };
  createdAt: number;
  updatedAt: number;
  startedAt?: number;
  finishedAt?: number;
}

/** One run: a request through a pipeline. */
export interface RunRecord {
  /** Stable id: the same request (and seed, pipeline) gives the same id, so re-imports dedupe. */
  id: string;
  projectId: string;
  batchId?: string;
  /** Row of the batch the run came from. */
  row?: number;
  pipeline: { name: string; flags: string[] };
  request: AssetRequest;
  prompt: string;
  negativePrompt: string;
  seed: number;
  state: RunState;
  version: number;
  /** project + asset type + timestamp + model version + pipeline flags. */
  versionKey: string;
  /** The run this one replaces (a regeneration of the same request). */
  supersedes?: string;
  /** Manifest written when the run completed. */
  manifest?: { key: string; url: string };
  createdAt: number;
  updatedAt: number;
  finishedAt?: number;
}

/** The event types of the outbox. */
export const EVENT_TYPES = [
  'RunCreated',
  'StepReady',
  'StepStarted',
  'StepProgress',
  'StepRetryScheduled',
  'StepCompleted',
  'StepFailed',
  'StepCanceled',
  'StepSkipped',
  'UserReviewUpdated',
  'AssetIndexed',
  'RunCompleted',
] as const;
/** One of {@link EVENT_TYPES}. */
export type EventType = (typeof EVENT_TYPES)[number];

/** An event to append with a commit. */
export interface EventInput {
  type: EventType;
  runId: string;
  stepId?: string;
  projectId: string;
  batchId?: string;
  data?: Record<string, unknown>;
}

/** An event of the outbox. `seq` increases by one per event; consumers resume after the last one they handled. */
export interface CoreEvent extends EventInput {
  seq: number;
  at: number;
  /** Correlation ids, the same as on log lines. */
  correlation: { job_id: string; step_id?: string; batch_id?: string };
  data: Record<string, unknown>;
}

/** Fields to set on a record; an `undefined` value deletes the field. */
export type Patch<T> = { [K in keyof T]?: T[K] | undefined };

/** A compare-and-set change of one step. */
export interface StepChange {
  stepId: string;
  /** The version the caller read; the commit fails with `conflict` if it moved. */
  expectVersion: number;
  /** Fields to set; `undefined` values delete the field. */
  set: Patch<Omit<StepRecord, 'id' | 'runId' | 'version'>>;
  /** Allows going back to `pending`/`ready` from any state but `canceled`. */
  rewind?: boolean;
}

/** A compare-and-set change of one run. */
export interface RunChange {
  runId: string;
  expectVersion: number;
  set: Patch<Omit<RunRecord, 'id' | 'version'>>;
}

/** Resource use charged to a project (quotas and metrics). */
export interface UsageDelta {
  projectId: string;
  /** Backend busy time. */
  gpuMs?: number;
  storageBytes?: number;
  /** Steps finished. */
  steps?: number;
}

/** Usage of a project, as summed by the store. */
export interface ProjectUsage {
  gpuMs: number;
  storageBytes: number;
  steps: number;
}

/** One atomic write: every change applies, every event is appended, or nothing is. */
export interface Commit {
  runs?: RunChange[];
  steps?: StepChange[];
  events?: EventInput[];
  usage?: UsageDelta[];
  /** Consumer cursors of the outbox to move (at-least-once delivery bookkeeping). */
  cursors?: Record<string, number>;
}

/** Options of {@link JobStore.commit}. */
export interface CommitOptions {
  /**
   * `false`: resolve once the commit is checked, applied and has its place in the store's order,
   * without waiting until it is durable. It becomes durable with the next durable commit (or a
   * moment later); its events are served only then. A crash may lose it, so use it only for
   * transitions whose loss is harmless: the engine's `ready → running` before a submit (after a
   * crash the step is `ready` again and resubmits the same attempt id, which derives from the key
   * and the attempt number). Stores that are durable at commit anyway (PostgreSQL) ignore it.
   * Default `true`.
   */
  durable?: boolean;
}

/** What a commit returns: the records as they are now, and the events with their seq. */
export interface CommitResult {
  runs: RunRecord[];
  steps: StepRecord[];
  events: CoreEvent[];
}

/** Filter of {@link JobStore.listSteps}. */
export interface StepQuery {
  runId?: string;
  batchId?: string;
  projectId?: string;
  state?: StepState | readonly StepState[];
  /**
   * Only steps whose `notBefore` is set and at or before this time: the scheduler's due timers
   * (retries to promote, reviews timing out), without reading every waiting step.
   */
  dueBy?: number;
  limit?: number;
}

/** Filter of {@link JobStore.listRuns}. */
export interface RunQuery {
  batchId?: string;
  projectId?: string;
  state?: RunState | readonly RunState[];
  limit?: number;
}

/** Options of {@link JobStore.lease}. */
export interface LeaseOptions {
  workerId: string;
  /** Most steps to return. */
  limit: number;
  /** The lease lapses after this long unless renewed (another worker may then take the step). */
  leaseMs: number;
  now: number;
  /** Which states to lease: `ready` to dispatch (the default), `running` to recover after a crash. */
  state?: 'ready' | 'running';
  /** Projects, backends (route) and batches that are at their limit: skipped. */
  exclude?: { projects?: ReadonlySet<string>; backends?: ReadonlySet<string>; batches?: ReadonlySet<string> };
}

/**
 * The durable store of runs, steps, events and usage. One interface, several implementations:
 * in-memory (tests), the embedded JSONL journal (default), and PostgreSQL (`@kiln/core/postgres`).
 *
 * Records it returns are read-only snapshots (the in-process stores hand out frozen objects):
 * change them through `commit()`.
 *
 * The shape fits a SQL store: `commit()` is one transaction of `UPDATE … WHERE version = $expect`
 * plus event inserts; `lease()` is `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT n)`
 * with round-robin over projects; `keyOwner()` reads a unique index on done keys.
 */
export interface JobStore {
  /** Name for logs (`memory`, `jsonl`). */
  readonly kind: string;
  /**
   * Creates runs with their steps and events in one commit. Runs whose id exists are left as
   * they are (`created: false`): a re-imported batch creates nothing twice.
   */
  createRuns(runs: readonly { run: RunRecord; steps: StepRecord[]; events?: EventInput[] }[]): Promise<{ created: boolean; run: RunRecord }[]>;
  /** Applies one atomic commit. Throws `conflict` (a version moved) or `invalid_transition`. */
  commit(commit: Commit, options?: CommitOptions): Promise<CommitResult>;
  getRun(runId: string): Promise<RunRecord | undefined>;
  getStep(stepId: string): Promise<StepRecord | undefined>;
  listRuns(query?: RunQuery): Promise<RunRecord[]>;
  listSteps(query?: StepQuery): Promise<StepRecord[]>;
  /** Counts of steps per state, optionally of one batch or project. */
  countSteps(query?: Omit<StepQuery, 'state' | 'limit'>): Promise<Partial<Record<StepState, number>>>;
  /** The done step that holds this idempotency key, if any (a unique index in SQL). */
  keyOwner(key: string): Promise<StepRecord | undefined>;
  /**
   * Leases steps for a worker: `ready` steps whose `notBefore` has passed (or `running` steps
   * no live lease holds, for recovery), fair across projects (round-robin, oldest first within a
   * project). Leased steps are not returned again until released or the lease lapses.
   */
  lease(options: LeaseOptions): Promise<StepRecord[]>;
  /** Extends a lease. Returns false if the worker no longer holds it. */
  renew(stepId: string, workerId: string, leaseMs: number, now: number): Promise<boolean>;
  /** Gives a lease back. */
  release(stepId: string, workerId: string): Promise<void>;
  /**
   * The earliest `notBefore` of a `ready`, `retry_wait` or `awaiting_review` step after `now`,
   * for the scheduler's timer (retries, waits and review timeouts).
   */
  nextDue(now: number): Promise<number | undefined>;
  /** Events with `seq > afterSeq`, oldest first; only durable ones. */
  events(afterSeq: number, limit?: number): Promise<CoreEvent[]>;
  /** The last durable event seq (0 when none). */
  lastSeq(): Promise<number>;
  getCursor(consumer: string): Promise<number>;
  usage(projectId: string): Promise<ProjectUsage>;
  /**
   * Optional, for stores that several processes share (PostgreSQL): calls `onChange` when
   * another process may have committed (new ready steps, events, settled runs), and at least every
   * poll interval. The job client then looks for work and re-checks its waiters. Returns the
   * unsubscribe. In-process stores leave it out: their commits all go through the local client.
   */
  watch?(onChange: () => void): () => void;
  close(): Promise<void>;
}
