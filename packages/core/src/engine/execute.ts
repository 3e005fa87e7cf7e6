import { BackendError, type BackendErrorKind, type BackendInput, type BackendOutput, type GenerationBackend, type RemoteStatus } from '../backend.js';
import { isCoreError } from '../errors.js';
import { attemptId, idempotencyKey } from '../keys.js';
import { childLogger, type Logger } from '../logger.js';
import { imageSize, inspectGlb } from '../media.js';
import { assetFileName, CATEGORY_BY_ASSET_TYPE, slugify } from '../naming.js';
import { QUALITY_DEFAULTS, rateOutput, worstRating, type RatingResult } from '../quality/rating.js';
import { BreakerRegistry } from '../reliability/breaker.js';
import { decideFailure } from '../reliability/retry.js';
import { redactText } from '../reliability/redact.js';
import type { ArtifactRef, CommitOptions, EventInput, RunRecord, StepChange, StepErrorInfo, StepRecord } from '../store/types.js';
import { mutateRun } from './advance.js';
import { StepAborted, type EngineContext } from './context.js';
import { seedFor } from './plan.js';

/** A step that moved on under us (rewound, canceled): drop this attempt's result. */
class Stale extends Error {}

const EXTENSIONS: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'model/gltf-binary': 'glb',
  'model/gltf+json': 'gltf',
  'application/json': 'json',
  'application/zip': 'zip',
};

/**
 * Runs one leased step: a `ready` one is routed (breaker, fallbacks), its inputs and key are
 * resolved, its work reused when the key is already done, else submitted; a `running` one (after
 * a crash) is resumed with the same attempt id. Then outputs are stored (the step waits for the
 * upload), rated, tagged and committed. @internal
 */
export async function executeStep(ctx: EngineContext, leased: StepRecord, hints: { status?: RemoteStatus } = {}): Promise<void> {
  const log = childLogger(ctx.logger, { job_id: leased.runId, step_id: leased.id });
  const renew = setInterval(() => void ctx.store.renew(leased.id, ctx.workerId, ctx.leaseMs, ctx.now()).catch(() => {}), Math.max(250, ctx.leaseMs / 3));
  renew.unref?.();
  try {
    const run = await ctx.store.getRun(leased.runId);
    if (!run || run.state === 'canceled') return;
    let step: StepRecord | undefined = leased;
    let reused: ArtifactRef[] | undefined;
    if (leased.state === 'ready') {
      const prepared = await prepare(ctx, run, leased, log);
      if (!prepared) return;
      step = prepared.step;
      reused = prepared.reused;
    }
    await attempt(ctx, run, step, log, reused, hints.status);
  } catch (error) {
    if (error instanceof Stale || isCoreError(error, 'conflict')) {
      log.debug('step: moved on during the attempt; result dropped');
      return;
    }
    log.error(`step: internal error: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    clearInterval(renew);
    await ctx.store.release(leased.id, ctx.workerId).catch(() => {});
  }
}

async function commitStep(ctx: EngineContext, step: StepRecord, set: StepChange['set'], events: EventInput[] = [], options: CommitOptions = {}): Promise<StepRecord> {
  try {
    const result = await ctx.store.commit({ steps: [{ stepId: step.id, expectVersion: step.version, set }], events }, options);
    ctx.committed(result);
    return result.steps[0] as StepRecord;
  } catch (error) {
    if (isCoreError(error, 'conflict')) throw new Stale();
    throw error;
  }
}

function baseOf(step: StepRecord) {
  return { runId: step.runId, projectId: step.projectId, stepId: step.id, ...(step.batchId === undefined ? {} : { batchId: step.batchId }) };
}

async function prepare(ctx: EngineContext, run: RunRecord, leased: StepRecord, log: Logger): Promise<{ step: StepRecord; reused?: ArtifactRef[] } | undefined> {
  let step = leased;
  const now = ctx.now();
  // Route: the step's backend unless its breaker is open; then the first fallback whose breaker lets requests through.
  const key = (r: { backend: string; model?: string }) => BreakerRegistry.key(r.backend, r.model);
  let verdict = ctx.breakers.acquire(key(step.route), now);
  if (verdict.verdict === 'probe') verdict = await probe(ctx, step.route, log);
  if (verdict.verdict === 'refuse') {
    const retryAt = verdict.retryAt;
    for (let i = step.route.fallback + 1; i < step.fallbacks.length; i++) {
      const fb = step.fallbacks[i]!;
      if (!ctx.backends.has(fb.backend)) continue;
      let v = ctx.breakers.acquire(key(fb), now);
      if (v.verdict === 'probe') v = await probe(ctx, fb, log);
      if (v.verdict === 'refuse') continue;
      const route = { backend: fb.backend, ...(fb.model ? { model: fb.model } : {}), ...(fb.modelVersion ? { modelVersion: fb.modelVersion } : {}), fallback: i };
      const original = await keyFor(ctx, run, step, step.route);
      log.warn(`step: breaker open for ${step.route.backend}; falling back to ${fb.backend}${fb.model ? ` (${fb.model})` : ''}`);
      step = await commitStep(ctx, step, { route, lineage: { ...step.lineage, fallbackOf: original.key } });
      verdict = { verdict: 'allow' };
      break;
    }
    if (verdict.verdict === 'refuse') {
      log.info(`step: breaker open for ${step.route.backend}, no fallback available; waiting until ${new Date(retryAt).toISOString()}`);
      await commitStep(ctx, step, { notBefore: retryAt, waits: step.waits + 1 }, [
        { type: 'StepRetryScheduled', ...baseOf(step), data: { step: step.name, reason: 'circuit_open', backend: step.route.backend, retryAt } },
      ]);
      return undefined;
    }
  }
  const { key: stepKey, inputs } = await keyFor(ctx, run, step, step.route);
  const owner = await ctx.store.keyOwner(stepKey);
  const reused = owner && owner.id !== step.id && owner.outputs && owner.outputs.length > 0 ? owner.outputs : undefined;
  const seq = (step.attemptSeq ?? 0) + 1;
  const id = attemptId(stepKey, seq);
  const running = await commitStep(
    ctx,
    step,
    {
      state: 'running',
      key: stepKey,
      inputs,
      attemptId: id,
      attemptSeq: seq,
      startedAt: ctx.now(),
      remoteId: undefined,
      submittedAt: undefined,
      progress: 0,
      notBefore: undefined,
      ...(reused ? { lineage: { ...step.lineage, reusedFrom: owner!.id } } : {}),
    },
    [
      {
        type: 'StepStarted',
        ...baseOf(step),
        data: { step: step.name, operation: step.operation, backend: step.route.backend, ...(step.route.model ? { model: step.route.model } : {}), attempt: step.attempts + 1, attemptId: id, key: stepKey, ...(reused ? { reusedFrom: owner!.id } : {}) },
      },
    ],
    // Not waited for on disk: losing it in a crash is harmless (the step is `ready` again and
    // resubmits the same attempt id, which derives from the key and attemptSeq), and the
    // completion commit that follows is durable and makes this one durable too. This keeps a
    // journal flush off every step's path to the backend.
    { durable: false },
  );
  return reused ? { step: running, reused } : { step: running };
}

async function probe(ctx: EngineContext, route: { backend: string; model?: string }, log: Logger): Promise<{ verdict: 'allow' } | { verdict: 'refuse'; retryAt: number }> {
  const breakerKey = BreakerRegistry.key(route.backend, route.model);
  const backend = ctx.backends.get(route.backend);
  if (!backend?.health) return { verdict: 'allow' }; // this request is the probe
  try {
    const health = await backend.health();
    if (health.ok) {
      ctx.breakers.success(breakerKey);
      log.info(`step: half-open probe of ${route.backend} passed; breaker closed`);
      return { verdict: 'allow' };
    }
  } catch {
    // counted as a failed probe below
  }
  ctx.breakers.failure(breakerKey, ctx.now());
  log.warn(`step: half-open probe of ${route.backend} failed; breaker stays open`);
  const state = ctx.breakers.state(breakerKey, ctx.now());
  return { verdict: 'refuse', retryAt: state.retryAt ?? ctx.now() + 1_000 };
}

async function keyFor(ctx: EngineContext, run: RunRecord, step: StepRecord, route: StepRecord['route']): Promise<{ key: string; inputs: ArtifactRef[] }> {
  const steps = await ctx.store.listSteps({ runId: step.runId });
  const byName = new Map(steps.map((s) => [s.name, s]));
  const inputs: ArtifactRef[] = [];
  const names = new Set<string>();
  for (const dep of step.dependsOn) {
    for (const ref of byName.get(dep)?.outputs ?? []) {
      const name = names.has(ref.name) ? `${dep}.${ref.name}` : ref.name;
      names.add(name);
      inputs.push({ ...ref, name });
    }
  }
  const key = idempotencyKey({
    projectId: step.projectId,
    assetType: run.request.asset_type,
    step: step.name,
    operation: step.operation,
    params: step.params,
    inputs,
    seed: step.seed,
    backend: route.backend,
    model: route.model,
    modelVersion: route.modelVersion,
    workflowHash: step.workflowHash,
  });
  return { key, inputs };
}

async function attempt(ctx: EngineContext, run: RunRecord, step: StepRecord, log: Logger, reused: ArtifactRef[] | undefined, hint: RemoteStatus | undefined): Promise<void> {
  const controller = new AbortController();
  ctx.running.set(step.id, controller);
  const timeout = setTimeout(() => controller.abort(new StepAborted('timeout')), step.timeoutMs ?? ctx.stepTimeoutMs);
  timeout.unref?.();
  const started = ctx.now();
  const current = { step };
  const breakerKey = BreakerRegistry.key(step.route.backend, step.route.model);
  const backend = ctx.backends.get(step.route.backend);
  try {
    let refs: ArtifactRef[];
    let quality: RatingResult | undefined;
    let gpuMs = 0;
    let storedBytes = 0;
    if (reused) {
      refs = reused;
      log.info(`step: key already done by ${step.lineage?.reusedFrom}; reusing its ${reused.length} output(s)`);
    } else {
      if (!backend) throw new BackendError('input_invalid', `no backend named "${step.route.backend}" (backends: ${[...ctx.backends.keys()].join(', ')})`);
      const outputs = await submitAndWait(ctx, run, current, backend, controller.signal, hint, log);
      gpuMs = ctx.now() - started;
      // The backend is free: the slot goes to the next step while this one stores and commits.
      ctx.backendDone(step.id);
      const files = await Promise.all(outputs.map(async (o) => ({ output: o, data: o.data instanceof Uint8Array ? o.data : await o.data() })));
      if (step.rate && ctx.quality !== false) {
        const results = await Promise.all(
          files.map((f) =>
            rateOutput(
              { data: f.data, contentType: f.output.contentType, projectId: step.projectId, ...(run.request.constraints.poly_count_budget === undefined ? {} : { polyBudget: run.request.constraints.poly_count_budget }) },
              ctx.quality || {},
            ),
          ),
        );
        const rating = worstRating(results.map((r) => r.rating));
        quality = results.find((r) => r.rating === rating);
        const max = (ctx.quality || {}).maxRegenerations ?? QUALITY_DEFAULTS.maxRegenerations;
        const used = step.quality?.regenerations ?? 0;
        if (rating === 'Poor' && used < max) {
          await regenerate(ctx, run, current.step, quality as RatingResult, used + 1, gpuMs, log);
          ctx.breakers.success(breakerKey);
          return;
        }
      }
      refs = await storeOutputs(ctx, run, current.step, files, controller.signal);
      storedBytes = refs.reduce((n, r) => n + r.bytes, 0);
      ctx.breakers.success(breakerKey);
      ctx.ewma.add(`${step.route.backend}|${step.route.model ?? ''}|${step.operation}`, gpuMs);
    }
    await complete(ctx, current.step, refs, quality, gpuMs, storedBytes, reused !== undefined, log);
  } catch (error) {
    const reason = controller.signal.reason;
    if (error instanceof Stale) throw error;
    if (reason instanceof StepAborted && reason.why !== 'timeout') {
      log.info(`step: attempt aborted (${reason.why})`);
      if (reason.why === 'shutdown') return;
      if (backend?.cancel && current.step.remoteId) await backend.cancel(current.step.remoteId).catch(() => {});
      return;
    }
    await fail(ctx, current.step, backend, error, reason instanceof StepAborted ? 'timeout' : undefined, started, log);
  } finally {
    clearTimeout(timeout);
    ctx.running.delete(step.id);
  }
}

async function submitAndWait(
  ctx: EngineContext,
  run: RunRecord,
  current: { step: StepRecord },
  backend: GenerationBackend,
  signal: AbortSignal,
  hint: RemoteStatus | undefined,
  log: Logger,
): Promise<BackendOutput[]> {
  const step = current.step;
  let remoteId = step.remoteId;
  let resubmitted = false;
  for (;;) {
    if (remoteId === undefined) {
      const inputs: BackendInput[] = await Promise.all(
        (step.inputs ?? []).map(async (ref) => ({
          name: ref.name,
          contentType: ref.contentType,
          sha256: ref.sha256,
          data: await ctx.sink.get(ref, { projectId: step.projectId, signal }),
          ...(ref.url ? { url: ref.url } : {}),
        })),
      );
      const submitted = await abortable(
        backend.submit({
          idempotencyKey: step.key as string,
          attemptId: step.attemptId as string,
          jobId: step.runId,
          stepId: step.id,
          operation: step.operation,
          ...(step.route.model ? { model: step.route.model } : {}),
          params: { ...step.params, seed: step.seed, asset_name: run.request.name, category: run.request.category },
          inputs,
          signal,
        }),
        signal,
      );
      if (submitted.outputs) return submitted.outputs;
      remoteId = submitted.remoteId;
      current.step = await commitStep(ctx, current.step, { remoteId, submittedAt: ctx.now() });
      log.debug(`step: submitted to ${backend.name} as ${remoteId}`);
    }
    try {
      await waitRemote(ctx, current, backend, remoteId, signal, hint);
      return await backend.outputs(remoteId, { signal });
    } catch (error) {
      if (error instanceof LostTask && !resubmitted && backend.capabilities.idempotentSubmit) {
        // The backend forgot the task (a ComfyUI restart): submit the same attempt again.
        log.warn(`step: ${backend.name} does not know task ${remoteId}; resubmitting attempt ${step.attemptId}`);
        resubmitted = true;
        remoteId = undefined;
        hint = undefined;
        current.step = await commitStep(ctx, current.step, { remoteId: undefined, submittedAt: undefined });
        continue;
      }
      throw error;
    }
  }
}

class LostTask extends BackendError {
  constructor(remoteId: string) {
    super('transient', `the backend does not know task ${remoteId} (lost in a restart?)`);
  }
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Follows a remote task until it ends: pushed statuses when the backend has them, polling always (backing off). */
function waitRemote(ctx: EngineContext, current: { step: StepRecord }, backend: GenerationBackend, remoteId: string, signal: AbortSignal, hint: RemoteStatus | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    let interval = ctx.poll.minMs;
    let unknowns = 0;
    let lastProgressAt = 0;
    let lastProgress = current.step.progress ?? 0;
    let progressChain = Promise.resolve();
    const finish = (error?: unknown) => {
      if (done) return;
      done = true;
      unsubscribe?.();
      if (timer) clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      void progressChain.then(() => (error === undefined ? resolve() : reject(error)));
    };
    const onAbort = () => finish(signal.reason);
    const onStatus = (status: RemoteStatus) => {
      if (done) return;
      if (status.progress !== undefined) progress(status.progress, status.etaMs);
      if (status.state === 'queued' && status.queuePosition !== undefined) queued(status.queuePosition, status.etaMs);
      switch (status.state) {
        case 'succeeded':
          return finish();
        case 'failed':
          return finish(status.error ?? new BackendError('fatal', `${backend.name}: task ${remoteId} failed`));
        case 'canceled':
          return finish(new BackendError('fatal', `${backend.name}: task ${remoteId} was canceled on the backend`));
        case 'expired':
          return finish(status.error ?? new BackendError('transient', `${backend.name}: task ${remoteId} expired on the backend before its outputs were fetched`));
        case 'unknown':
          if (++unknowns >= 3) finish(new LostTask(remoteId));
          return;
        default:
          unknowns = 0;
      }
    };
    // Progress is coalesced: at most one commit per progressIntervalMs, and only for a 5% move.
    const progress = (fraction: number, etaMs: number | undefined) => {
      const now = ctx.now();
      if (fraction - lastProgress < 0.05 || now - lastProgressAt < ctx.progressIntervalMs) return;
      lastProgress = fraction;
      lastProgressAt = now;
      progressChain = progressChain
        .then(async () => {
          if (done) return;
          current.step = await commitStep(ctx, current.step, { progress: fraction }, [
            { type: 'StepProgress', ...baseOf(current.step), data: { step: current.step.name, progress: fraction, ...(etaMs === undefined ? {} : { etaMs }) } },
          ]);
        })
        .catch((error: unknown) => finish(error));
    };
    // A move in the backend's queue is reported too (coalesced the same way), so a UI can say
    // "3rd in line" before any progress arrives.
    let lastPosition: number | undefined;
    const queued = (position: number, etaMs: number | undefined) => {
      const now = ctx.now();
      if (position === lastPosition || now - lastProgressAt < ctx.progressIntervalMs) return;
      lastPosition = position;
      lastProgressAt = now;
      progressChain = progressChain
        .then(async () => {
          if (done) return;
          current.step = await commitStep(ctx, current.step, {}, [
            { type: 'StepProgress', ...baseOf(current.step), data: { step: current.step.name, progress: current.step.progress ?? 0, queuePosition: position, ...(etaMs === undefined ? {} : { etaMs }) } },
          ]);
        })
        .catch((error: unknown) => finish(error));
    };
    const unsubscribe = backend.capabilities.push && backend.subscribe ? backend.subscribe(remoteId, onStatus) : undefined;
    const poll = async () => {
      if (done) return;
      try {
        onStatus(await backend.status(remoteId, { signal }));
      } catch (error) {
        const kind = kindOf(backend, error);
        if (kind !== 'transient' && kind !== 'rate_requests') return finish(error);
      }
      if (done) return;
      interval = Math.min(ctx.poll.maxMs, Math.ceil(interval * 1.5));
      // Not unref'd: a step being followed keeps the process alive.
      timer = setTimeout(() => void poll(), interval);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    if (hint) onStatus(hint);
    void poll();
  });
}

function kindOf(backend: GenerationBackend | undefined, error: unknown): BackendErrorKind {
  if (error instanceof BackendError) return error.kind;
  if (typeof (error as { kind?: unknown })?.kind === 'string' && (error as { name?: unknown }).name === 'BackendError') return (error as BackendError).kind;
  try {
    return backend?.classify?.(error) ?? 'transient';
  } catch {
    return 'transient';
  }
}

async function storeOutputs(ctx: EngineContext, run: RunRecord, step: StepRecord, files: { output: BackendOutput; data: Uint8Array }[], signal: AbortSignal): Promise<ArtifactRef[]> {
  const steps = await ctx.store.listSteps({ runId: step.runId });
  const leaf = !steps.some((s) => s.dependsOn.includes(step.name));
  const category = run.request.category ?? CATEGORY_BY_ASSET_TYPE[run.request.asset_type];
  const name = run.request.name ?? (slugify(run.request.prompt.core_concept, 32) || 'asset');
  const refs: ArtifactRef[] = [];
  for (const [i, { output, data }] of files.entries()) {
    const metadata: Record<string, unknown> = { ...output.metadata, step: step.name };
    let size = 'lod0';
    const image = output.contentType.startsWith('image/') ? imageSize(data) : undefined;
    if (image) {
      size = `${image.width}x${image.height}`;
      metadata['width'] = image.width;
      metadata['height'] = image.height;
    } else if (output.contentType === 'model/gltf-binary') {
      metadata['triangles'] = inspectGlb(data).triangles;
    }
    const variantParts = [run.request.variant ?? 'base'];
    if (!leaf) variantParts.push(slugify(step.name, 24) || 'step');
    if (files.length > 1) variantParts.push(String(i + 1));
    if (step.revision > 0) variantParts.push(`r${step.revision}`);
    const ext = EXTENSIONS[output.contentType] ?? (/\.([a-z0-9]{1,8})$/i.exec(output.filename)?.[1]?.toLowerCase() ?? 'bin');
    const filename = assetFileName({ category, name, variant: variantParts.join('-'), size, ext });
    const role = output.contentType.startsWith('image/') ? 'image' : output.contentType.startsWith('model/') ? 'model' : 'file';
    if (ctx.tagger) {
      const tags = await ctx.tagger.tag({ data, contentType: output.contentType, filename, request: run.request, operation: step.operation });
      if (tags.length > 0) metadata['tags'] = tags;
    }
    refs.push(
      await ctx.sink.put({
        projectId: step.projectId,
        runId: step.runId,
        stepId: step.id,
        name: files.length > 1 ? `${role}-${i + 1}` : role,
        filename,
        contentType: output.contentType,
        data,
        metadata,
        signal,
      }),
    );
  }
  return refs;
}

async function regenerate(ctx: EngineContext, run: RunRecord, step: StepRecord, quality: RatingResult, regenerations: number, gpuMs: number, log: Logger): Promise<void> {
  log.info(`step: output rated Poor (${quality.reasons.join('; ')}); regenerating with a new seed (${regenerations})`);
  const result = await mutateRun(ctx, step.runId, (view) => {
    const fresh = view.byName.get(step.name);
    if (!fresh || fresh.state !== 'running' || fresh.attemptId !== step.attemptId) return undefined;
    const revision = fresh.revision + 1;
    return {
      steps: [
        {
          stepId: fresh.id,
          set: {
            state: 'ready',
            revision,
            seed: seedFor(run.seed, fresh.name, revision),
            quality: { rating: quality.rating, reasons: quality.reasons, regenerations, ...(quality.styleScore === undefined ? {} : { styleScore: quality.styleScore }) },
            lineage: { ...fresh.lineage, supersedes: [...(fresh.lineage?.supersedes ?? []), ...(fresh.key ? [fresh.key] : [])] },
            attemptId: undefined,
            remoteId: undefined,
            submittedAt: undefined,
            notBefore: undefined,
            progress: undefined,
          },
        },
      ],
      events: [{ type: 'StepRetryScheduled', ...baseOf(fresh), data: { step: fresh.name, reason: 'quality_poor', rating: quality.rating, reasons: quality.reasons, regeneration: regenerations } }],
      usage: [{ projectId: fresh.projectId, gpuMs }],
    };
  });
  if (!result) throw new Stale();
}

async function complete(ctx: EngineContext, step: StepRecord, refs: ArtifactRef[], quality: RatingResult | undefined, gpuMs: number, storedBytes: number, reused: boolean, log: Logger): Promise<void> {
  let review = false;
  const result = await mutateRun(ctx, step.runId, (view) => {
    const fresh = view.byName.get(step.name);
    if (!fresh || fresh.state !== 'running' || fresh.attemptId !== step.attemptId) return undefined;
    review = fresh.review;
    const now = ctx.now();
    const base = baseOf(fresh);
    const events: EventInput[] = [
      {
        type: 'StepCompleted',
        ...base,
        data: {
          step: fresh.name,
          operation: fresh.operation,
          backend: fresh.route.backend,
          ...(fresh.route.model ? { model: fresh.route.model } : {}),
          durationMs: now - (fresh.startedAt ?? now),
          attempt: fresh.attempts + 1,
          outputs: refs.map((r) => ({ name: r.name, filename: r.filename, sha256: r.sha256, bytes: r.bytes, ...(r.url ? { url: r.url } : {}) })),
          ...(quality ? { rating: quality.rating } : {}),
          ...(reused ? { reused: true } : {}),
          awaitingReview: fresh.review,
        },
      },
    ];
    if (!reused) {
      for (const ref of refs) {
        events.push({ type: 'AssetIndexed', ...base, data: { step: fresh.name, name: ref.name, filename: ref.filename, contentType: ref.contentType, sha256: ref.sha256, bytes: ref.bytes, ...(ref.key ? { key: ref.key } : {}), ...(ref.url ? { url: ref.url } : {}), ...(ref.metadata?.['tags'] ? { tags: ref.metadata['tags'] } : {}), ...(quality ? { rating: quality.rating } : {}) } });
      }
    }
    return {
      steps: [
        {
          stepId: fresh.id,
          set: {
            state: fresh.review ? 'awaiting_review' : 'done',
            // The review's timeout is a persisted timer: the scheduler fires it, on any worker, after a restart too.
            ...(fresh.review && fresh.reviewTimeout ? { notBefore: now + fresh.reviewTimeout.afterMs } : {}),
            outputs: refs,
            finishedAt: now,
            progress: 1,
            error: undefined,
            ...(quality
              ? { quality: { rating: quality.rating, reasons: quality.reasons, regenerations: fresh.quality?.regenerations ?? 0, ...(quality.styleScore === undefined ? {} : { styleScore: quality.styleScore }) } }
              : {}),
          },
        },
      ],
      events,
      usage: [{ projectId: fresh.projectId, gpuMs, storageBytes: storedBytes, steps: 1 }],
    };
  });
  if (!result) throw new Stale();
  const done = result.steps.find((s) => s.id === step.id);
  log.debug(`step: ${done?.state ?? 'completed'} with ${refs.length} output(s)`);
  if (review && done?.earlyDecision) await ctx.applyEarlyDecision(step.id);
}

async function fail(ctx: EngineContext, step: StepRecord, backend: GenerationBackend | undefined, error: unknown, timedOut: 'timeout' | undefined, started: number, log: Logger): Promise<void> {
  const kind: BackendErrorKind = timedOut ? 'transient' : kindOf(backend, error);
  const retryAfterMs = error instanceof BackendError ? error.retryAfterMs : undefined;
  const message = redactText(timedOut ? `timed out after ${step.timeoutMs ?? ctx.stepTimeoutMs} ms` : error instanceof Error ? error.message : String(error));
  const now = ctx.now();
  const info: StepErrorInfo = { kind: timedOut ? 'timeout' : kind, message, at: now, backend: step.route.backend, ...(step.route.model ? { model: step.route.model } : {}) };
  const breakerKey = BreakerRegistry.key(step.route.backend, step.route.model);
  if (kind === 'transient' || kind === 'fatal') {
    if (ctx.breakers.failure(breakerKey, now)) log.warn(`step: circuit breaker for ${step.route.backend}${step.route.model ? `/${step.route.model}` : ''} opened`);
  } else if (kind === 'insufficient_credits') {
    // Every next request would fail the same way: open now, so queued steps fall back or wait.
    if (ctx.breakers.trip(breakerKey, now)) log.warn(`step: ${step.route.backend}${step.route.model ? `/${step.route.model}` : ''} is out of credits; circuit breaker opened`);
  } else {
    ctx.breakers.releaseProbe(breakerKey);
  }
  if (timedOut && backend?.cancel && step.remoteId) await backend.cancel(step.remoteId).catch(() => {});
  const decision = decideFailure(kind, step.attempts, { ...ctx.retry, maxAttempts: step.maxAttempts ?? ctx.retry.maxAttempts }, retryAfterMs, ctx.random);
  log.warn(`step: attempt failed (${kind}): ${message}; ${decision.action === 'dead_letter' ? 'dead-lettered' : `${decision.action} in ${decision.delayMs} ms`}`);
  const result = await mutateRun(ctx, step.runId, (view) => {
    const fresh = view.byName.get(step.name);
    if (!fresh || fresh.state !== 'running' || fresh.attemptId !== step.attemptId) return undefined;
    const base = baseOf(fresh);
    const cleared = { attemptId: undefined, remoteId: undefined, submittedAt: undefined, progress: undefined, error: info };
    const usage = [{ projectId: fresh.projectId, gpuMs: now - started }];
    switch (decision.action) {
      case 'wait':
        return {
          steps: [{ stepId: fresh.id, set: { ...cleared, state: 'ready', waits: fresh.waits + 1, notBefore: now + decision.delayMs } }],
          events: [{ type: 'StepRetryScheduled', ...base, data: { step: fresh.name, kind, delayMs: decision.delayMs, attemptUsed: false, message } }],
          usage,
        };
      case 'retry':
        return {
          steps: [{ stepId: fresh.id, set: { ...cleared, state: 'retry_wait', attempts: decision.attempts, notBefore: now + decision.delayMs } }],
          events: [{ type: 'StepRetryScheduled', ...base, data: { step: fresh.name, kind, delayMs: decision.delayMs, attempt: decision.attempts, attemptUsed: true, message } }],
          usage,
        };
      case 'dead_letter':
        return {
          steps: [{ stepId: fresh.id, set: { ...cleared, state: 'dead_lettered', attempts: decision.attempts, deadLetter: { at: now, reason: redactText(decision.reason), attempts: decision.attempts, error: info } } }],
          events: [{ type: 'StepFailed', ...base, data: { step: fresh.name, kind, message, attempts: decision.attempts, deadLettered: true } }],
          usage,
        };
    }
  });
  if (!result) throw new Stale();
}
