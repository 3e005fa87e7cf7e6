import { CoreError } from '../errors.js';
import { canonicalJson, sha256Hex } from '../keys.js';
import type { ArtifactRef, EventInput, ReviewDecision, StepChange, StepRecord } from '../store/types.js';
import { mutateRun, type RunMutation, type RunView } from './advance.js';
import { StepAborted, type EngineContext } from './context.js';
import { seedFor } from './plan.js';

/**
 * Who decided and why. `decisionId` dedupes repeats for good; without it a repeat is recognised
 * by its content (kind, by, note, patch, rewindTo, replaced files) within the review round.
 */
export interface ReviewOptions {
  by?: string;
  note?: string;
  decisionId?: string;
}

/** A file a reviewer puts in place of a step output (a painted-over image, a mesh fixed in Blender). */
export interface ReplacementOutput {
  /** Role of the output it replaces (`image`, `model`); default: the step's first output. */
  name?: string;
  /** Default: the replaced output's filename with `-edit` added to its variant. */
  filename?: string;
  contentType: string;
  data: Uint8Array;
}

/** Options of `approve()`. */
export interface ApproveOptions extends ReviewOptions {
  /** The reviewer's edited files; the pipeline continues from them. */
  replaceOutputs?: ReplacementOutput[];
}

/** Options of `reject()`. */
export interface RejectOptions extends ReviewOptions {
  /** Step to go back to (this step or an ancestor): it and everything after it run again with a new seed. Without it the branch ends. */
  rewindTo?: string;
}

/** Options of `requestChanges()`. */
export interface RequestChangesOptions extends ReviewOptions {
  /** Parameters merged over the step's (prompt, size, seed, …); the step runs again with them. */
  patch: Record<string, unknown>;
}

type Kind = ReviewDecision['kind'];
type DecisionInput = { kind: Kind } & ApproveOptions & Partial<RejectOptions> & Partial<RequestChangesOptions>;

/** Fields cleared when a step is reset to run again. */
const RESET = {
  key: undefined,
  outputs: undefined,
  attemptId: undefined,
  remoteId: undefined,
  submittedAt: undefined,
  startedAt: undefined,
  finishedAt: undefined,
  progress: undefined,
  quality: undefined,
  error: undefined,
  deadLetter: undefined,
  notBefore: undefined,
  earlyDecision: undefined,
  attempts: 0,
  waits: 0,
} as const;

/**
 * Applies a review decision: idempotent (a repeat with the same id is a no-op), and safe when it
 * arrives early (it is kept on the step and applied once the step reaches `awaiting_review`).
 * @internal
 */
export async function decide(ctx: EngineContext, stepId: string, input: DecisionInput): Promise<StepRecord> {
  const step = await ctx.store.getStep(stepId);
  if (!step) throw new CoreError('not_found', `review: no step ${stepId}`, { details: { stepId } });
  const replaced = input.replaceOutputs ? await storeReplacements(ctx, step, input.replaceOutputs) : undefined;
  const id =
    input.decisionId ??
    sha256Hex(
      canonicalJson({
        kind: input.kind,
        stepId,
        by: input.by,
        note: input.note,
        patch: input.patch,
        rewindTo: input.rewindTo,
        replaced: replaced?.map((r) => r.sha256),
      }),
    ).slice(0, 32);
  const aborted: string[] = [];
  await mutateRun(ctx, step.runId, (view) => {
    aborted.length = 0;
    return build(ctx, view, step.name, { ...input, id, ...(replaced ? { replaced } : {}) }, aborted);
  });
  for (const id of aborted) ctx.running.get(id)?.abort(new StepAborted('rewound'));
  return (await ctx.store.getStep(stepId)) as StepRecord;
}

/**
 * Fires a review checkpoint's timeout (`reviewTimeout`) once it is due: approves or rejects on the
 * reviewer's behalf, or escalates (an event; the step keeps waiting). A no-op when a decision came
 * first, the step moved on, or the timer is not due yet, so any number of workers may call it.
 * @internal
 */
export async function timeOutReview(ctx: EngineContext, stepId: string): Promise<void> {
  const step = await ctx.store.getStep(stepId);
  if (!step?.reviewTimeout) return;
  const { afterMs, action } = step.reviewTimeout;
  const note = `no review decision within ${afterMs} ms`;
  const aborted: string[] = [];
  await mutateRun(ctx, step.runId, (view) => {
    aborted.length = 0;
    const fresh = view.byName.get(step.name);
    const now = ctx.now();
    if (!fresh || fresh.state !== 'awaiting_review' || fresh.notBefore === undefined || fresh.notBefore > now) return undefined;
    if (action === 'escalate') {
      const base = { runId: fresh.runId, projectId: fresh.projectId, stepId: fresh.id, ...(fresh.batchId === undefined ? {} : { batchId: fresh.batchId }) };
      return {
        steps: [{ stepId: fresh.id, set: { notBefore: undefined } }],
        events: [{ type: 'UserReviewUpdated', ...base, data: { step: fresh.name, escalated: true, waitingMs: now - (fresh.finishedAt ?? now), note } }],
      };
    }
    // One id per review round: a repeat (another worker, a restart) is a no-op.
    const id = `timeout-${fresh.revision}`;
    return build(ctx, view, fresh.name, { kind: action, by: 'kiln:timeout', note, decisionId: id, id }, aborted);
  });
  for (const id of aborted) ctx.running.get(id)?.abort(new StepAborted('rewound'));
}

async function storeReplacements(ctx: EngineContext, step: StepRecord, files: ReplacementOutput[]): Promise<ArtifactRef[]> {
  return Promise.all(
    files.map(async (file, i) => {
      const target = (file.name === undefined ? step.outputs?.[i] : step.outputs?.find((o) => o.name === file.name)) ?? step.outputs?.[0];
      const name = file.name ?? target?.name ?? 'file';
      const filename = file.filename ?? (target ? target.filename.replace(/_([^_]+)_([^_]+)$/, '_$1-edit_$2') : `${name}-edit`);
      return ctx.sink.put({
        projectId: step.projectId,
        runId: step.runId,
        stepId: step.id,
        name,
        filename,
        contentType: file.contentType,
        data: file.data,
        metadata: { reviewerEdit: true, ...(target ? { replaces: target.sha256 } : {}) },
      });
    }),
  );
}

function build(
  ctx: EngineContext,
  view: RunView,
  name: string,
  input: DecisionInput & { id: string; replaced?: ArtifactRef[] },
  aborted: string[],
): RunMutation | undefined {
  const step = view.byName.get(name) as StepRecord;
  // A repeat is a no-op: with an explicit decisionId always; with the default content hash when it
  // repeats a decision of this round, or arrives (early) after the decision that began this round.
  const repeat = step.decisions.some(
    (d) =>
      d.id === input.id &&
      (input.decisionId !== undefined || d.revision === step.revision || (step.state !== 'awaiting_review' && d.revision === step.revision - 1)),
  );
  if (repeat) return undefined;
  const now = ctx.now();
  const decision: ReviewDecision = {
    id: input.id,
    kind: input.kind,
    at: now,
    revision: step.revision,
    ...(input.by === undefined ? {} : { by: input.by }),
    ...(input.note === undefined ? {} : { note: input.note }),
    ...(input.rewindTo === undefined ? {} : { rewindTo: input.rewindTo }),
    ...(input.patch === undefined ? {} : { patch: input.patch }),
    ...(input.replaced === undefined ? {} : { replaced: input.replaced }),
  };
  const base = { runId: step.runId, projectId: step.projectId, stepId: step.id, ...(step.batchId === undefined ? {} : { batchId: step.batchId }) };
  const event = (extra: Record<string, unknown> = {}): EventInput => ({
    type: 'UserReviewUpdated',
    ...base,
    data: { step: name, decision: input.kind, decisionId: input.id, ...(input.by ? { by: input.by } : {}), ...(input.note ? { note: input.note } : {}), ...extra },
  });
  const conflict = (why: string) =>
    new CoreError('review_conflict', `review ${input.kind} of step ${step.id}: ${why}`, { details: { stepId: step.id, state: step.state } });
  const decisions = [...step.decisions, decision];
  if (input.rewindTo !== undefined && !view.byName.has(input.rewindTo)) {
    throw conflict(`rewindTo "${input.rewindTo}" is not a step of this run (steps: ${[...view.byName.keys()].join(', ')})`);
  }
  if (input.rewindTo !== undefined && input.rewindTo !== name && !ancestors(view, name).has(input.rewindTo)) {
    throw conflict(`rewindTo "${input.rewindTo}" is not this step or one it depends on`);
  }

  switch (step.state) {
    case 'awaiting_review': {
      if (input.kind === 'approve') {
        const outputs = input.replaced ? replaceOutputs(step.outputs ?? [], input.replaced) : step.outputs;
        const set: StepChange['set'] = { state: 'approved', decisions, earlyDecision: undefined, notBefore: undefined, ...(outputs ? { outputs } : {}) };
        if (input.replaced) set.lineage = { ...step.lineage, reviewerEdit: true };
        const events = [event(input.replaced ? { replaced: input.replaced.map((r) => r.filename) } : {})];
        for (const ref of input.replaced ?? []) events.push({ type: 'AssetIndexed', ...base, data: { step: name, ...ref, reviewerEdit: true } });
        return { steps: [{ stepId: step.id, set }], events, ...(input.replaced ? { usage: [{ projectId: step.projectId, storageBytes: input.replaced.reduce((n, r) => n + r.bytes, 0) }] } : {}) };
      }
      if (input.kind === 'request_changes') {
        return {
          steps: [
            {
              stepId: step.id,
              set: {
                ...RESET,
                state: 'ready',
                decisions,
                revision: step.revision + 1,
                params: { ...step.params, ...input.patch },
                ...(typeof input.patch?.['seed'] === 'number' ? { seed: input.patch['seed'] } : {}),
                lineage: { ...step.lineage, supersedes: [...(step.lineage?.supersedes ?? []), ...(step.key ? [step.key] : [])] },
              },
            },
          ],
          events: [event({ patch: input.patch })],
        };
      }
      if (input.rewindTo === undefined) {
        return { steps: [{ stepId: step.id, set: { state: 'rejected', decisions, earlyDecision: undefined, notBefore: undefined } }], events: [event()] };
      }
      return rewind(view, input.rewindTo, [{ stepId: step.id, set: { state: 'rejected', decisions, earlyDecision: undefined, notBefore: undefined } }], [event({ rewindTo: input.rewindTo })], aborted);
    }
    case 'pending':
    case 'ready':
    case 'running':
    case 'retry_wait': {
      if (!step.review) throw conflict(`step ${name} has no review checkpoint`);
      if (step.earlyDecision?.id === input.id) return undefined;
      return { steps: [{ stepId: step.id, set: { earlyDecision: decision } }], events: [event({ early: true })] };
    }
    case 'approved':
    case 'done': {
      if (input.kind === 'approve') return undefined;
      if (input.kind === 'request_changes') {
        const changes = rewind(view, name, [], [event({ patch: input.patch })], aborted);
        const target = changes.steps?.find((c) => c.stepId === step.id);
        if (target) target.set = { ...target.set, decisions, params: { ...step.params, ...input.patch } };
        return changes;
      }
      if (input.rewindTo === undefined) throw conflict(`the step is already ${step.state}; reject with rewindTo to redo it`);
      return rewind(view, input.rewindTo, [{ stepId: step.id, set: { decisions } }], [event({ rewindTo: input.rewindTo })], aborted);
    }
    case 'rejected':
      if (input.kind === 'reject' && input.rewindTo === undefined) return undefined;
      if (input.rewindTo !== undefined) return rewind(view, input.rewindTo, [{ stepId: step.id, set: { decisions } }], [event({ rewindTo: input.rewindTo })], aborted);
      throw conflict('the step was rejected; reject with rewindTo to redo it');
    case 'dead_lettered':
    case 'failed':
    case 'skipped':
      if (input.kind === 'reject' && input.rewindTo !== undefined) {
        return rewind(view, input.rewindTo, [{ stepId: step.id, set: { decisions } }], [event({ rewindTo: input.rewindTo })], aborted);
      }
      throw conflict(`the step is ${step.state}`);
    case 'canceled':
      throw conflict('the step was canceled');
  }
}

function replaceOutputs(outputs: ArtifactRef[], replaced: ArtifactRef[]): ArtifactRef[] {
  if (outputs.length <= 1 && replaced.length >= 1) return replaced;
  const byName = new Map(replaced.map((r) => [r.name, r]));
  return outputs.map((o) => byName.get(o.name) ?? o);
}

function ancestors(view: RunView, name: string): Set<string> {
  const out = new Set<string>();
  const visit = (n: string) => {
    for (const dep of view.byName.get(n)?.dependsOn ?? []) {
      if (!out.has(dep)) {
        out.add(dep);
        visit(dep);
      }
    }
  };
  visit(name);
  return out;
}

function descendants(view: RunView, name: string): Set<string> {
  const out = new Set<string>();
  for (let grew = true; grew; ) {
    grew = false;
    for (const step of view.steps) {
      if (out.has(step.name)) continue;
      if (step.dependsOn.some((d) => d === name || out.has(d))) {
        out.add(step.name);
        grew = true;
      }
    }
  }
  return out;
}

/**
 * Sends `target` and everything after it back: each gets a new revision (and so a new seed and
 * key, recording the old key in `lineage.supersedes`); `target` becomes ready if its
 * dependencies are satisfied, the rest pending. Running ones are aborted after the commit.
 * @internal
 */
export function rewind(view: RunView, target: string, before: Omit<StepChange, 'expectVersion'>[], events: EventInput[], aborted: string[]): RunMutation {
  const changes = [...before];
  const names = [target, ...descendants(view, target)];
  for (const name of names) {
    const step = view.byName.get(name) as StepRecord;
    if (step.state === 'canceled') continue;
    if (step.state === 'running') aborted.push(step.id);
    const deps = step.dependsOn.map((d) => view.byName.get(d)?.state);
    const ready = name === target && deps.every((s) => s === 'done' || s === 'approved');
    const revision = step.revision + 1;
    const prior = changes.find((c) => c.stepId === step.id);
    const set: StepChange['set'] = {
      ...prior?.set,
      ...RESET,
      state: ready ? 'ready' : 'pending',
      revision,
      seed: seedFor(view.run.seed, name, revision),
      lineage: { ...step.lineage, supersedes: [...(step.lineage?.supersedes ?? []), ...(step.key ? [step.key] : [])] },
    };
    if (prior && prior.set.state !== undefined) {
      // The reviewed step is rejected first, then rewound: two changes, in order.
      changes.push({ stepId: step.id, set, rewind: true });
      delete set.decisions;
      continue;
    }
    if (prior) changes.splice(changes.indexOf(prior), 1);
    changes.push({ stepId: step.id, set, rewind: true });
  }
  return { steps: changes, events };
}

/** Redrives a dead-lettered step: back to ready with fresh attempts. @internal */
export async function redrive(ctx: EngineContext, stepId: string): Promise<StepRecord> {
  const step = await ctx.store.getStep(stepId);
  if (!step) throw new CoreError('not_found', `deadLetters.redrive: no step ${stepId}`);
  await mutateRun(ctx, step.runId, (view) => {
    const fresh = view.byName.get(step.name) as StepRecord;
    if (fresh.state !== 'dead_lettered') {
      if (['ready', 'running', 'retry_wait', 'done', 'awaiting_review', 'approved'].includes(fresh.state)) return undefined;
      throw new CoreError('invalid_transition', `deadLetters.redrive: step ${stepId} is ${fresh.state}, not dead_lettered`);
    }
    return {
      steps: [{ stepId, set: { state: 'ready', attempts: 0, waits: 0, deadLetter: undefined, notBefore: undefined, route: { backend: fresh.backend, ...(fresh.model ? { model: fresh.model } : {}), ...(fresh.modelVersion ? { modelVersion: fresh.modelVersion } : {}), fallback: -1 } } }],
      events: [{ type: 'StepReady', runId: fresh.runId, projectId: fresh.projectId, stepId, ...(fresh.batchId ? { batchId: fresh.batchId } : {}), data: { step: fresh.name, redriven: true } }],
    };
  });
  return (await ctx.store.getStep(stepId)) as StepRecord;
}

/** Discards a dead-lettered step: it fails for good and its dependents are skipped. @internal */
export async function discard(ctx: EngineContext, stepId: string): Promise<StepRecord> {
  const step = await ctx.store.getStep(stepId);
  if (!step) throw new CoreError('not_found', `deadLetters.discard: no step ${stepId}`);
  await mutateRun(ctx, step.runId, (view) => {
    const fresh = view.byName.get(step.name) as StepRecord;
    if (fresh.state === 'failed') return undefined;
    if (fresh.state !== 'dead_lettered') throw new CoreError('invalid_transition', `deadLetters.discard: step ${stepId} is ${fresh.state}, not dead_lettered`);
    return {
      steps: [{ stepId, set: { state: 'failed' } }],
      events: [{ type: 'StepFailed', runId: fresh.runId, projectId: fresh.projectId, stepId, ...(fresh.batchId ? { batchId: fresh.batchId } : {}), data: { step: fresh.name, discarded: true } }],
    };
  });
  return (await ctx.store.getStep(stepId)) as StepRecord;
}
