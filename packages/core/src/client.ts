import { randomUUID } from 'node:crypto';
import { memorySink, type ArtifactSink } from './artifacts.js';
import type { GenerationBackend, RemoteStatus } from './backend.js';
import type { Batch } from './csv.js';
import { CoreError } from './errors.js';
import { silentLogger, type Logger } from './logger.js';
import { builtinPipeline, validatePipeline, type BuiltinPipelineName, type PipelineDefinition } from './pipeline.js';
import { parseAssetRequest, type AssetRequestInput, type StyleLock } from './request.js';
import { buildPrompt, type NegativePromptOptions, type PromptExpander, type PromptTemplate } from './template.js';
import { BreakerRegistry, type BreakerOptions, type BreakerState } from './reliability/breaker.js';
import { EwmaTable } from './reliability/ewma.js';
import { InFlight, LIMIT_DEFAULTS, type LimitOptions, type ProjectQuota } from './reliability/limits.js';
import { RETRY_DEFAULTS, type RetryOptions } from './reliability/retry.js';
import { redact } from './reliability/redact.js';
import type { QualityOptions } from './quality/rating.js';
import type { AutoTagger } from './quality/tagger.js';
import { TERMINAL_STEP_STATES, type StepState } from './states.js';
import type { CommitResult, CoreEvent, JobStore, RunRecord, StepRecord } from './store/types.js';
import { mutateRun, settledState } from './engine/advance.js';
import { StepAborted, type EngineContext } from './engine/context.js';
import { executeStep } from './engine/execute.js';
import { pipelineHash, planRun } from './engine/plan.js';
import { decide, discard, redrive, timeOutReview, type ApproveOptions, type RejectOptions, type RequestChangesOptions } from './engine/review.js';
import { computeMetrics, type CostModel, type MetricsOptions, type MetricsSnapshot } from './metrics.js';

/** Options of {@link createJobClient}. */
export interface JobClientOptions {
  /** Where runs, steps and events live: `memoryStore()` or `await openJsonlStore({ dir })`. The caller closes it. */
  store: JobStore;
  /** The backends steps can name, by name. */
  backends: Record<string, GenerationBackend>;
  /** Where outputs go. Default: {@link memorySink} (lost with the process); use `storageSink({ store })`. */
  artifacts?: ArtifactSink;
  /** Pipeline per request asset type; default the built-in template on `defaultBackend`. */
  pipelines?: Partial<Record<BuiltinPipelineName, PipelineDefinition>>;
  /** Backend of the built-in templates. Default: the only backend, or `procedural`. */
  defaultBackend?: string;
  /** Prompt building for `submit()` and batches. */
  prompt?: { template?: string | PromptTemplate; expander?: PromptExpander; styleLock?: StyleLock; negative?: NegativePromptOptions };
  limits?: LimitOptions;
  retry?: RetryOptions;
  breaker?: BreakerOptions;
  /** Output ratings and automatic regeneration of Poor ones; `false` turns them off. */
  quality?: QualityOptions | false;
  tagger?: AutoTagger;
  /** Cost per backend, for the cost-per-asset metric. */
  costs?: CostModel;
  /** Lease length; a worker that dies loses its steps to others after it. Default 60000 ms. */
  leaseMs?: number;
  /** Longest attempt before it counts as a transient failure. Default 30 minutes. */
  stepTimeoutMs?: number;
  /** Status polling of asynchronous backends: first interval, backing off to the last. Default 250 → 5000 ms. */
  poll?: { minMs?: number; maxMs?: number };
  /** Progress events of one step at most this often. Default 1000 ms. */
  progressIntervalMs?: number;
  logger?: Logger;
  /** Worker id in leases and logs. Default a random UUID. */
  workerId?: string;
  now?: () => number;
  random?: () => number;
}

/** Defaults of {@link JobClientOptions}. */
export const JOB_CLIENT_DEFAULTS = {
  leaseMs: 60_000,
  stepTimeoutMs: 30 * 60_000,
  poll: { minMs: 250, maxMs: 5000 },
  progressIntervalMs: 1000,
} as const;

/** Runs per commit when a batch is submitted. */
/** Runs per commit of `submitBatch`: the first chunk is small so work starts at once, then doubles up to SUBMIT_CHUNK. */
const SUBMIT_FIRST_CHUNK = 8;
const SUBMIT_CHUNK = 100;

/** What `submit()` and `submitBatch()` take besides the request. */
export interface SubmitOptions {
  /** A built-in template name or a host DAG. Default: `pipelines[asset_type]` or the built-in template. */
  pipeline?: BuiltinPipelineName | PipelineDefinition;
  seed?: number;
  /** Make a new version of this run (new id, `supersedes` lineage) instead of deduplicating. */
  supersedes?: string;
}

/** What `submit()` returns. */
export interface SubmitResult {
  runId: string;
  /** False when the same request was already submitted: nothing new was created. */
  created: boolean;
  /** Estimated time until the queue (this run included) is done. */
  etaMs: number;
}

/** What `submitBatch()` returns. */
export interface BatchSubmitResult {
  batchId: string;
  runIds: string[];
  created: number;
  etaMs: number;
}

/** Progress of a batch, run or project. */
export interface Progress {
  runs: number;
  steps: number;
  byState: Partial<Record<StepState, number>>;
  /** Steps done, skipped or approved, over all steps. */
  fraction: number;
  awaitingReview: number;
  deadLettered: number;
  /** EWMA-based estimate of the time left (review waits excluded). */
  etaMs: number;
  completedRuns: number;
  failedRuns: number;
}

/** A dead-lettered step, with what an operator needs (secrets redacted). */
export interface DeadLetterEntry {
  stepId: string;
  runId: string;
  projectId: string;
  batchId?: string;
  step: string;
  operation: string;
  backend: string;
  model?: string;
  attempts: number;
  reason: string;
  error?: StepRecord['error'];
  params: Record<string, unknown>;
  inputs: StepRecord['inputs'];
  at: number;
}

/** The job client; see {@link createJobClient}. */
export interface JobClient {
  /** Recovers after a restart (resumes running steps, reconciles with backends) and starts dispatching. */
  start(): Promise<void>;
  /** Stops dispatching and waits for running attempts. */
  stop(): Promise<void>;
  /** Stops; with `abort`, running attempts are abandoned (they resume at the next start). */
  close(options?: { abort?: boolean }): Promise<void>;
  /** Submits one request. Throws `backpressure` (with `details.etaMs`) past `limits.maxQueued`. */
  submit(request: AssetRequestInput, options?: SubmitOptions): Promise<SubmitResult>;
  /** Submits every row of a CSV batch in one call (one commit). Re-importing creates nothing twice. */
  submitBatch(batch: Batch, options?: SubmitOptions): Promise<BatchSubmitResult>;
  getRun(runId: string): Promise<{ run: RunRecord; steps: StepRecord[] } | undefined>;
  getStep(stepId: string): Promise<StepRecord | undefined>;
  /** Resolves when the run is settled (`until: 'settled'`, the default) or has a step awaiting review too (`'review'`). */
  waitForRun(runId: string, options?: { until?: 'settled' | 'review'; timeoutMs?: number; signal?: AbortSignal }): Promise<RunRecord>;
  /** Resolves when every run of the batch is settled. */
  waitForBatch(batchId: string, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<Progress>;
  approve(stepId: string, options?: ApproveOptions): Promise<StepRecord>;
  reject(stepId: string, options?: RejectOptions): Promise<StepRecord>;
  requestChanges(stepId: string, options: RequestChangesOptions): Promise<StepRecord>;
  /** Cancels a run: its unfinished steps are canceled, running ones aborted on the backend. */
  cancelRun(runId: string): Promise<RunRecord>;
  readonly deadLetters: {
    list(filter?: { projectId?: string; batchId?: string }): Promise<DeadLetterEntry[]>;
    redrive(stepId: string): Promise<StepRecord>;
    discard(stepId: string): Promise<StepRecord>;
  };
  /** Events of the outbox after `afterSeq` (at least once, by seq). */
  events(afterSeq?: number, limit?: number): Promise<CoreEvent[]>;
  /**
   * Delivers events to `handler` in seq order, at least once: a handler that throws gets the same
   * event again after a delay. With `consumer`, the position is stored and a new subscription
   * resumes after it; else it starts at `afterSeq` (default: now).
   */
  subscribe(handler: (event: CoreEvent) => void | Promise<void>, options?: { consumer?: string; afterSeq?: number; retryDelayMs?: number }): { close(): Promise<void> };
  progress(filter: { batchId?: string; runId?: string; projectId?: string }): Promise<Progress>;
  metrics(options?: MetricsOptions): Promise<MetricsSnapshot>;
  breakers(): BreakerState[];
  readonly workerId: string;
}

/**
 * Creates the job client: submit requests and CSV batches, run their pipelines on the host's
 * backends reliably (leases, retries with full jitter, breakers with fallbacks, limits and
 * quotas, dead letters), review checkpoints, events from the outbox, progress and metrics.
 *
 * @example
 * ```ts
 * const store = await openJsonlStore({ dir: '.kiln/jobs' });
 * const client = createJobClient({ store, backends: { procedural: proceduralBackend() }, artifacts: storageSink({ store: assets }) });
 * await client.start();
 * const { runId } = await client.submit(request);
 * const run = await client.waitForRun(runId);
 * ```
 */
export function createJobClient(options: JobClientOptions): JobClient {
  if (!options?.store) throw new CoreError('backend_unknown', 'createJobClient: store is required (memoryStore() or openJsonlStore({ dir }))');
  const backends = new Map(Object.entries(options.backends ?? {}));
  if (backends.size === 0) throw new CoreError('backend_unknown', 'createJobClient: backends must name at least one backend');
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const limits = options.limits ?? {};
  const concurrency = limits.concurrency ?? LIMIT_DEFAULTS.concurrency;
  const maxQueued = limits.maxQueued ?? LIMIT_DEFAULTS.maxQueued;
  const store = options.store;
  const workerId = options.workerId ?? randomUUID();
  const defaultBackend = options.defaultBackend ?? (backends.size === 1 ? [...backends.keys()][0]! : 'procedural');
  const listeners = new Set<(result?: CommitResult) => void>();
  const locks = new Map<string, Promise<unknown>>();
  const inFlight = new InFlight();
  const executions = new Set<Promise<void>>();
  let started = false;
  let closed = false;
  let pumping = false;
  let pumpAgain = false;
  let timer: NodeJS.Timeout | undefined;
  let timerAt = 0;
  const usageCache = new Map<string, { at: number; gpuMs: number; storageBytes: number }>();
  // Stores shared between processes (PostgreSQL) tell us about other processes' commits: held
  // while the client runs and while anybody waits or subscribes.
  let watchers = 0;
  let unwatch: (() => void) | undefined;
  let dropStartWatch: (() => void) | undefined;
  function holdWatch(): () => void {
    if (!store.watch) return () => {};
    if (watchers++ === 0) {
      unwatch = store.watch(() => {
        schedulePump();
        for (const listener of [...listeners]) listener();
      });
    }
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      if (--watchers === 0) {
        unwatch?.();
        unwatch = undefined;
      }
    };
  }

  const ctx: EngineContext = {
    store,
    backends,
    sink: options.artifacts ?? memorySink(),
    logger,
    now,
    random,
    retry: { ...RETRY_DEFAULTS, ...definedOnly(options.retry ?? {}) },
    breakers: new BreakerRegistry(options.breaker),
    ewma: new EwmaTable(),
    quality: options.quality ?? {},
    tagger: options.tagger,
    workerId,
    leaseMs: options.leaseMs ?? JOB_CLIENT_DEFAULTS.leaseMs,
    stepTimeoutMs: options.stepTimeoutMs ?? JOB_CLIENT_DEFAULTS.stepTimeoutMs,
    poll: { minMs: options.poll?.minMs ?? JOB_CLIENT_DEFAULTS.poll.minMs, maxMs: options.poll?.maxMs ?? JOB_CLIENT_DEFAULTS.poll.maxMs },
    progressIntervalMs: options.progressIntervalMs ?? JOB_CLIENT_DEFAULTS.progressIntervalMs,
    committed: (result: CommitResult) => {
      if (result.steps.some((s) => s.state === 'ready' || s.state === 'retry_wait' || TERMINAL_STEP_STATES.has(s.state))) schedulePump();
      for (const listener of listeners) listener(result);
    },
    withRunLock: async <T>(runId: string, work: () => Promise<T>): Promise<T> => {
      const previous = locks.get(runId) ?? Promise.resolve();
      const next = previous.then(work, work);
      const tail = next.catch(() => {});
      locks.set(runId, tail);
      try {
        return await next;
      } finally {
        if (locks.get(runId) === tail) locks.delete(runId);
      }
    },
    applyEarlyDecision: async (stepId: string) => {
      const step = await store.getStep(stepId);
      const d = step?.earlyDecision;
      if (!step || !d || step.state !== 'awaiting_review') return;
      logger.info(`review: applying the early ${d.kind} of step ${stepId}`, { job_id: step.runId, step_id: stepId });
      await decide(ctx, stepId, {
        kind: d.kind,
        decisionId: d.id,
        ...(d.by === undefined ? {} : { by: d.by }),
        ...(d.note === undefined ? {} : { note: d.note }),
        ...(d.rewindTo === undefined ? {} : { rewindTo: d.rewindTo }),
        ...(d.patch === undefined ? {} : { patch: d.patch }),
      });
    },
    backendDone: (stepId: string) => {
      if (!inFlight.steps.has(stepId)) return;
      inFlight.delete(stepId);
      schedulePump();
    },
    running: new Map(),
  };

  function quotaOf(projectId: string): ProjectQuota | undefined {
    const q = limits.quotas;
    return typeof q === 'function' ? q(projectId) : q?.[projectId];
  }

  async function overQuota(projectId: string): Promise<boolean> {
    const quota = quotaOf(projectId);
    if (!quota || (quota.gpuSeconds === undefined && quota.storageBytes === undefined)) return false;
    let cached = usageCache.get(projectId);
    if (!cached || now() - cached.at > 1000) {
      const usage = await store.usage(projectId);
      cached = { at: now(), gpuMs: usage.gpuMs, storageBytes: usage.storageBytes };
      usageCache.set(projectId, cached);
    }
    const over = (quota.gpuSeconds !== undefined && cached.gpuMs >= quota.gpuSeconds * 1000) || (quota.storageBytes !== undefined && cached.storageBytes >= quota.storageBytes);
    if (over) logger.warn(`limits: project ${projectId} is over its quota; its steps wait`, { project: projectId });
    return over;
  }

  async function exclusions() {
    const projects = new Set<string>();
    const backendsFull = new Set<string>();
    const batches = new Set<string>();
    for (const p of inFlight.projects()) {
      const max = Math.min(limits.perProject ?? Infinity, quotaOf(p)?.maxConcurrent ?? Infinity);
      if (inFlight.project(p) >= max) projects.add(p);
    }
    if (limits.quotas) {
      const candidates = typeof limits.quotas === 'function' ? inFlight.projects() : Object.keys(limits.quotas);
      for (const p of candidates) if (await overQuota(p)) projects.add(p);
      for (const p of Object.keys(typeof limits.quotas === 'object' ? limits.quotas : {})) {
        if ((quotaOf(p)?.maxConcurrent ?? Infinity) <= inFlight.project(p)) projects.add(p);
      }
    }
    for (const [name, max] of Object.entries(limits.perBackend ?? {})) if (inFlight.backend(name) >= max) backendsFull.add(name);
    if (limits.perBatch !== undefined) for (const b of inFlight.batches()) if (inFlight.batch(b) >= limits.perBatch) batches.add(b);
    return { projects, backends: backendsFull, batches };
  }

  function fits(step: StepRecord): boolean {
    const projectMax = Math.min(limits.perProject ?? Infinity, quotaOf(step.projectId)?.maxConcurrent ?? Infinity);
    if (inFlight.project(step.projectId) >= projectMax) return false;
    const backendMax = limits.perBackend?.[step.route.backend];
    if (backendMax !== undefined && inFlight.backend(step.route.backend) >= backendMax) return false;
    if (limits.perBatch !== undefined && step.batchId !== undefined && inFlight.batch(step.batchId) >= limits.perBatch) return false;
    return true;
  }

  function schedulePump(): void {
    if (!started || closed) return;
    if (pumping) {
      pumpAgain = true;
      return;
    }
    queueMicrotask(() => void pump());
  }

  async function promoteDue(): Promise<void> {
    const due = await store.listSteps({ state: 'retry_wait', dueBy: now() });
    for (const step of due) {
      await mutateRun(ctx, step.runId, (view) => {
        const fresh = view.byName.get(step.name);
        if (!fresh || fresh.state !== 'retry_wait') return undefined;
        return {
          steps: [{ stepId: fresh.id, set: { state: 'ready', notBefore: undefined } }],
          events: [{ type: 'StepReady', runId: fresh.runId, projectId: fresh.projectId, stepId: fresh.id, ...(fresh.batchId ? { batchId: fresh.batchId } : {}), data: { step: fresh.name, retry: fresh.attempts } }],
        };
      }).catch((error: unknown) => logger.error(`scheduler: promoting ${step.id} failed: ${String(error)}`));
    }
    const overdue = (await store.listSteps({ state: 'awaiting_review', dueBy: now() })).filter((s) => s.reviewTimeout !== undefined);
    for (const step of overdue) {
      await timeOutReview(ctx, step.id).catch((error: unknown) => logger.error(`scheduler: review timeout of ${step.id} failed: ${String(error)}`));
    }
  }

  async function pump(): Promise<void> {
    if (pumping || !started || closed) {
      pumpAgain = true;
      return;
    }
    pumping = true;
    try {
      do {
        pumpAgain = false;
        await promoteDue();
        while (started && !closed && inFlight.size < concurrency) {
          const free = concurrency - inFlight.size;
          let leased = await store.lease({ workerId, limit: free, leaseMs: ctx.leaseMs, now: now(), state: 'running' });
          if (leased.length === 0) leased = await store.lease({ workerId, limit: free, leaseMs: ctx.leaseMs, now: now(), exclude: await exclusions() });
          if (leased.length === 0) break;
          let took = 0;
          for (const step of leased) {
            if (!fits(step)) {
              await store.release(step.id, workerId);
              continue;
            }
            took++;
            launch(step);
          }
          if (took === 0) break;
        }
      } while (pumpAgain && started && !closed);
    } catch (error) {
      logger.error(`scheduler: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      pumping = false;
    }
    await armTimer();
  }

  const hints = new Map<string, RemoteStatus>();
  function launch(step: StepRecord): void {
    inFlight.add(step.id, { projectId: step.projectId, backend: step.route.backend, batchId: step.batchId });
    const hint = hints.get(step.id);
    hints.delete(step.id);
    const execution = executeStep(ctx, step, hint ? { status: hint } : {}).finally(() => {
      usageCache.delete(step.projectId);
      inFlight.delete(step.id);
      executions.delete(execution);
      schedulePump();
    });
    executions.add(execution);
  }

  async function armTimer(): Promise<void> {
    if (!started || closed) return;
    const due = await store.nextDue(now()).catch(() => undefined);
    if (due === undefined) return;
    if (timer && timerAt <= due) return;
    if (timer) clearTimeout(timer);
    timerAt = due;
    timer = setTimeout(() => {
      timer = undefined;
      schedulePump();
    }, Math.max(0, due - now()) + 1);
  }

  function resolvePipeline(assetType: BuiltinPipelineName, pipeline: SubmitOptions['pipeline']): PipelineDefinition {
    const p = typeof pipeline === 'string' ? builtinPipeline(pipeline, { backends: { '*': defaultBackend } }) : pipeline ? validatePipeline(pipeline) : options.pipelines?.[assetType] ? validatePipeline(options.pipelines[assetType]!) : builtinPipeline(assetType, { backends: { '*': defaultBackend } });
    for (const step of p.steps) {
      for (const name of [step.backend, ...(step.fallbacks ?? []).map((f) => f.backend)]) {
        if (!backends.has(name)) {
          throw new CoreError('backend_unknown', `pipeline ${p.name}: step ${step.name} names backend "${name}", which the client was not given (backends: ${[...backends.keys()].join(', ')})`, {
            details: { step: step.name, backend: name },
          });
        }
      }
    }
    return p;
  }

  async function etaFor(extraSteps: StepRecord[] = []): Promise<{ etaMs: number; queued: number }> {
    const counts = await store.countSteps();
    const queued = (counts.pending ?? 0) + (counts.ready ?? 0) + (counts.retry_wait ?? 0) + (counts.running ?? 0);
    const mean = ctx.ewma.overall() ?? 10_000;
    const extraWork = extraSteps.reduce((n, s) => n + (ctx.ewma.get(`${s.route.backend}|${s.route.model ?? ''}|${s.operation}`) ?? mean), 0);
    return { etaMs: Math.round((queued * mean + extraWork) / concurrency), queued };
  }

  async function backpressure(incoming: number): Promise<void> {
    if (!Number.isFinite(maxQueued)) return;
    const { etaMs, queued } = await etaFor();
    if (queued + incoming > maxQueued) {
      throw new CoreError('backpressure', `submit: ${queued} steps queued, ${incoming} more would pass limits.maxQueued ${maxQueued}; retry in about ${Math.ceil(etaMs / 1000)} s`, {
        details: { queueDepth: queued, incoming, maxQueued, etaMs, retryAfterMs: etaMs },
      });
    }
  }

  function waitFor<T>(
    check: () => Promise<T | undefined>,
    options: { timeoutMs?: number; signal?: AbortSignal },
    what: string,
    relevant: (result: CommitResult) => boolean = () => true,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let checking = false;
      let again = false;
      let timeout: NodeJS.Timeout | undefined;
      const dropWatch = holdWatch();
      const cleanup = () => {
        dropWatch();
        listeners.delete(onChange);
        if (timeout) clearTimeout(timeout);
        options.signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        cleanup();
        reject(options.signal?.reason ?? new CoreError('closed', `${what}: aborted`));
      };
      const onChange = (result?: CommitResult) => {
        if (result && !relevant(result)) return;
        if (checking) {
          again = true;
          return;
        }
        checking = true;
        check().then(
          (value) => {
            checking = false;
            if (value !== undefined) {
              cleanup();
              resolve(value);
            } else if (again) {
              again = false;
              onChange();
            }
          },
          (error: unknown) => {
            cleanup();
            reject(error);
          },
        );
      };
      if (options.timeoutMs !== undefined) {
        timeout = setTimeout(() => {
          cleanup();
          reject(new CoreError('closed', `${what}: not done after ${options.timeoutMs} ms`));
        }, options.timeoutMs);
      }
      options.signal?.addEventListener('abort', onAbort, { once: true });
      listeners.add(onChange);
      onChange();
    });
  }

  async function progress(filter: { batchId?: string; runId?: string; projectId?: string }): Promise<Progress> {
    const query = { ...(filter.batchId ? { batchId: filter.batchId } : {}), ...(filter.runId ? { runId: filter.runId } : {}), ...(filter.projectId ? { projectId: filter.projectId } : {}) };
    const steps = await store.listSteps(query);
    const runs = filter.runId ? [await store.getRun(filter.runId)].filter((r): r is RunRecord => r !== undefined) : await store.listRuns(query);
    const byState: Partial<Record<StepState, number>> = {};
    let remaining = 0;
    const mean = ctx.ewma.overall() ?? 10_000;
    for (const step of steps) {
      byState[step.state] = (byState[step.state] ?? 0) + 1;
      if (['pending', 'ready', 'running', 'retry_wait'].includes(step.state)) {
        const expected = ctx.ewma.get(`${step.route.backend}|${step.route.model ?? ''}|${step.operation}`) ?? mean;
        remaining += step.state === 'running' ? expected * (1 - (step.progress ?? 0)) : expected;
      }
    }
    const finished = (byState.done ?? 0) + (byState.skipped ?? 0) + (byState.approved ?? 0);
    return {
      runs: runs.length,
      steps: steps.length,
      byState,
      fraction: steps.length === 0 ? 0 : finished / steps.length,
      awaitingReview: byState.awaiting_review ?? 0,
      deadLettered: byState.dead_lettered ?? 0,
      etaMs: Math.round(remaining / concurrency),
      completedRuns: runs.filter((r) => r.state === 'completed').length,
      failedRuns: runs.filter((r) => r.state === 'failed').length,
    };
  }

  async function recover(): Promise<void> {
    const running = await store.listSteps({ state: 'running' });
    const byBackend = new Map<string, StepRecord[]>();
    for (const step of running) {
      if (step.remoteId === undefined) continue;
      const list = byBackend.get(step.route.backend) ?? [];
      list.push(step);
      byBackend.set(step.route.backend, list);
    }
    for (const [name, steps] of byBackend) {
      const backend = backends.get(name);
      if (!backend?.reconcile) continue;
      try {
        const statuses = await backend.reconcile(steps.map((s) => ({ remoteId: s.remoteId as string, attemptId: s.attemptId as string })));
        for (const step of steps) {
          const status = statuses.get(step.remoteId as string);
          if (status) hints.set(step.id, status);
        }
      } catch (error) {
        logger.warn(`recover: reconcile with ${name} failed: ${String(error)}; polling instead`);
      }
    }
    if (running.length > 0) logger.info(`recover: resuming ${running.length} running step(s)`);
    for (const step of await store.listSteps({ state: 'awaiting_review' })) {
      if (step.earlyDecision) await ctx.applyEarlyDecision(step.id).catch((error: unknown) => logger.error(`recover: early decision of ${step.id}: ${String(error)}`));
    }
    for (const run of await store.listRuns({ state: 'active' })) {
      const steps = await store.listSteps({ runId: run.id });
      if (settledState(steps) !== 'active') await mutateRun(ctx, run.id, () => ({}));
    }
  }

  const client: JobClient = {
    workerId,
    async start() {
      if (closed) throw new CoreError('closed', 'jobClient.start: the client is closed');
      if (started) return;
      await recover();
      started = true;
      dropStartWatch ??= holdWatch();
      schedulePump();
    },

    async stop() {
      started = false;
      dropStartWatch?.();
      dropStartWatch = undefined;
      if (timer) clearTimeout(timer);
      timer = undefined;
      while (executions.size > 0) await Promise.allSettled([...executions]);
    },

    async close(closeOptions = {}) {
      if (closed) return;
      started = false;
      dropStartWatch?.();
      dropStartWatch = undefined;
      if (timer) clearTimeout(timer);
      if (closeOptions.abort) for (const controller of ctx.running.values()) controller.abort(new StepAborted('shutdown'));
      while (executions.size > 0) await Promise.allSettled([...executions]);
      closed = true;
      listeners.clear();
    },

    async submit(input, submitOptions = {}) {
      const request = parseAssetRequest(input, 'submit');
      const pipeline = resolvePipeline(request.asset_type, submitOptions.pipeline);
      const built = await buildPrompt(request, definedOnly({ template: options.prompt?.template, expander: options.prompt?.expander, styleLock: options.prompt?.styleLock, negative: options.prompt?.negative }));
      const plan = planRun({
        request,
        pipeline,
        prompt: built.prompt,
        negativePrompt: built.negativePrompt,
        now: now(),
        ...(submitOptions.seed === undefined ? {} : { seed: submitOptions.seed }),
        ...(submitOptions.supersedes === undefined ? {} : { supersedes: submitOptions.supersedes }),
      });
      await backpressure(plan.steps.length);
      const [result] = await store.createRuns([plan]);
      for (const listener of listeners) listener();
      schedulePump();
      const { etaMs } = await etaFor();
      logger.info(`submit: run ${plan.run.id} ${result?.created ? 'created' : 'already exists'}`, { job_id: plan.run.id });
      return { runId: plan.run.id, created: result?.created ?? false, etaMs };
    },

    async submitBatch(batch, submitOptions = {}) {
      const expander = options.prompt?.expander;
      const resolved = new Map<string, { pipeline: PipelineDefinition; hash: string }>();
      const pipelineOf = (assetType: BuiltinPipelineName) => {
        let entry = resolved.get(assetType);
        if (!entry) {
          const pipeline = resolvePipeline(assetType, submitOptions.pipeline);
          resolved.set(assetType, (entry = { pipeline, hash: pipelineHash(pipeline) }));
        }
        return entry;
      };
      // Everything that can fail runs before the first write: pipelines, the host's prompt
      // expander, back-pressure. Planning itself cannot fail, so it runs chunk by chunk below.
      const prompts: string[] = [];
      for (const item of batch.items) {
        pipelineOf(item.request.asset_type);
        let prompt = item.prompt;
        if (expander) {
          const expanded = await expander({ prompt: item.basePrompt, request: item.request });
          prompt = [expanded.trim(), ...item.modifiers].join(', ');
        }
        prompts.push(prompt);
      }
      await backpressure(batch.items.reduce((n, item) => n + pipelineOf(item.request.asset_type).pipeline.steps.length, 0));
      // Planned and committed in growing chunks, so the first steps start after a few runs are
      // written rather than after the whole batch; a crash mid-way leaves a prefix, and
      // re-importing the batch creates only what is missing.
      const runIds: string[] = [];
      let created = 0;
      for (let i = 0, size = SUBMIT_FIRST_CHUNK; i < batch.items.length; i += size, size = Math.min(SUBMIT_CHUNK, size * 2)) {
        const plans = batch.items.slice(i, i + size).map((item, j) => {
          const entry = pipelineOf(item.request.asset_type);
          return planRun({
            request: item.request,
            pipeline: entry.pipeline,
            pipelineHash: entry.hash,
            prompt: prompts[i + j] as string,
            negativePrompt: item.negativePrompt,
            batchId: batch.id,
            row: item.row,
            now: now(),
            ...(submitOptions.seed === undefined ? {} : { seed: submitOptions.seed }),
          });
        });
        const results = await store.createRuns(plans);
        created += results.filter((r) => r.created).length;
        runIds.push(...plans.map((plan) => plan.run.id));
        for (const listener of listeners) listener();
        schedulePump();
      }
      logger.info(`submitBatch: batch ${batch.id}: ${created} of ${runIds.length} runs created`, { batch_id: batch.id });
      const { etaMs } = await etaFor();
      return { batchId: batch.id, runIds, created, etaMs };
    },

    async getRun(runId) {
      const run = await store.getRun(runId);
      if (!run) return undefined;
      return { run, steps: await store.listSteps({ runId }) };
    },

    getStep: (stepId) => store.getStep(stepId),

    waitForRun(runId, waitOptions = {}) {
      return waitFor(
        async () => {
          const run = await store.getRun(runId);
          if (!run) throw new CoreError('not_found', `waitForRun: no run ${runId}`);
          if (run.state !== 'active') return run;
          if (waitOptions.until === 'review' && (await store.listSteps({ runId, state: 'awaiting_review' })).length > 0) return run;
          return undefined;
        },
        waitOptions,
        `waitForRun ${runId}`,
        (result) => result.runs.some((r) => r.id === runId && r.state !== 'active') || (waitOptions.until === 'review' && result.steps.some((s) => s.runId === runId && s.state === 'awaiting_review')),
      );
    },

    waitForBatch(batchId, waitOptions = {}) {
      return waitFor(
        async () => {
          const active = await store.listRuns({ batchId, state: 'active', limit: 1 });
          if (active.length > 0) return undefined;
          if ((await store.listRuns({ batchId, limit: 1 })).length === 0) throw new CoreError('not_found', `waitForBatch: no runs in batch ${batchId}`);
          return progress({ batchId });
        },
        waitOptions,
        `waitForBatch ${batchId}`,
        (result) => result.runs.some((r) => r.batchId === batchId && r.state !== 'active'),
      );
    },

    approve: (stepId, o = {}) => decide(ctx, stepId, { kind: 'approve', ...o }),
    reject: (stepId, o = {}) => decide(ctx, stepId, { kind: 'reject', ...o }),
    requestChanges: (stepId, o) => decide(ctx, stepId, { kind: 'request_changes', ...o }),

    async cancelRun(runId) {
      const aborted: StepRecord[] = [];
      await mutateRun(ctx, runId, (view) => {
        if (view.run.state === 'canceled') return undefined;
        aborted.length = 0;
        const steps = view.steps.filter((s) => !TERMINAL_STEP_STATES.has(s.state));
        aborted.push(...steps.filter((s) => s.state === 'running'));
        return {
          steps: steps.map((s) => ({ stepId: s.id, set: { state: 'canceled' as const, finishedAt: now() } })),
          events: steps.map((s) => ({ type: 'StepCanceled' as const, runId, projectId: s.projectId, stepId: s.id, ...(s.batchId ? { batchId: s.batchId } : {}), data: { step: s.name, from: s.state } })),
          run: { state: 'canceled' },
        };
      });
      for (const step of aborted) {
        ctx.running.get(step.id)?.abort(new StepAborted('canceled'));
        const backend = backends.get(step.route.backend);
        if (step.remoteId && backend?.cancel) await backend.cancel(step.remoteId).catch((error: unknown) => logger.warn(`cancelRun: backend cancel of ${step.remoteId} failed: ${String(error)}`));
      }
      const run = await store.getRun(runId);
      if (!run) throw new CoreError('not_found', `cancelRun: no run ${runId}`);
      return run;
    },

    deadLetters: {
      async list(filter = {}) {
        const steps = await store.listSteps({ state: 'dead_lettered', ...definedOnly(filter) });
        return steps.map((s) => ({
          stepId: s.id,
          runId: s.runId,
          projectId: s.projectId,
          ...(s.batchId ? { batchId: s.batchId } : {}),
          step: s.name,
          operation: s.operation,
          backend: s.route.backend,
          ...(s.route.model ? { model: s.route.model } : {}),
          attempts: s.deadLetter?.attempts ?? s.attempts,
          reason: s.deadLetter?.reason ?? '',
          ...(s.error ? { error: s.error } : {}),
          params: redact(s.params),
          inputs: s.inputs,
          at: s.deadLetter?.at ?? s.updatedAt,
        }));
      },
      redrive: async (stepId) => {
        const step = await redrive(ctx, stepId);
        schedulePump();
        return step;
      },
      discard: (stepId) => discard(ctx, stepId),
    },

    events: (afterSeq = 0, limit = 1000) => store.events(afterSeq, limit),

    subscribe(handler, subOptions = {}) {
      let stopped = false;
      let wake: (() => void) | undefined;
      const notify = () => wake?.();
      listeners.add(notify);
      const dropWatch = holdWatch();
      const retryDelay = subOptions.retryDelayMs ?? 1000;
      const loop = (async () => {
        let cursor = subOptions.afterSeq ?? (subOptions.consumer ? await store.getCursor(subOptions.consumer) : await store.lastSeq());
        while (!stopped) {
          const batch = await store.events(cursor, 500);
          for (const event of batch) {
            for (;;) {
              if (stopped) return;
              try {
                await handler(event);
                break;
              } catch (error) {
                logger.warn(`subscribe: handler failed on event ${event.seq} (${event.type}); retrying in ${retryDelay} ms: ${String(error)}`, {
                  job_id: event.correlation.job_id,
                  ...(event.correlation.step_id ? { step_id: event.correlation.step_id } : {}),
                });
                await new Promise((r) => setTimeout(r, retryDelay));
              }
            }
            cursor = event.seq;
          }
          if (batch.length > 0 && subOptions.consumer) await store.commit({ cursors: { [subOptions.consumer]: cursor } });
          if (batch.length === 0) {
            await new Promise<void>((resolve) => {
              const t = setTimeout(resolve, 1000);
              t.unref?.();
              wake = () => {
                clearTimeout(t);
                resolve();
              };
            });
            wake = undefined;
          }
        }
      })().catch((error: unknown) => {
        if (!stopped) logger.error(`subscribe: stopped on ${String(error)}`);
      });
      return {
        async close() {
          stopped = true;
          listeners.delete(notify);
          dropWatch();
          wake?.();
          await loop;
        },
      };
    },

    progress,
    metrics: (metricsOptions = {}) => computeMetrics(store, { ...metricsOptions, ...(options.costs ? { costs: options.costs } : {}) }),
    breakers: () => ctx.breakers.list(now()),
  };
  return client;
}

function definedOnly<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}
