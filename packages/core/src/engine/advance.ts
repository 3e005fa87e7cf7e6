import { isCoreError } from '../errors.js';
import { QUALITY_SCORE } from '../quality/rating.js';
import { BLOCKING_STEP_STATES, SATISFIED_STEP_STATES, type RunState, type StepState } from '../states.js';
import type { CommitResult, EventInput, RunChange, RunRecord, StepChange, StepRecord, UsageDelta } from '../store/types.js';
import type { ManifestEntry } from '../artifacts.js';
import type { EngineContext } from './context.js';

/** A run and its steps as read for one mutation. @internal */
export interface RunView {
  run: RunRecord;
  steps: StepRecord[];
  byName: Map<string, StepRecord>;
}

/** What a mutation changes; readiness, skips and the run state follow from it. @internal */
export interface RunMutation {
  steps?: Omit<StepChange, 'expectVersion'>[];
  events?: EventInput[];
  usage?: UsageDelta[];
  /** Set on the run (a cancel). */
  run?: RunChange['set'];
}

const ACTIVE: ReadonlySet<StepState> = new Set(['ready', 'running', 'retry_wait', 'awaiting_review', 'approved']);
const MAX_CONFLICT_RETRIES = 10;

/**
 * Applies a mutation to a run in one commit, together with what follows from it: pending steps
 * whose dependencies are all approved or done become ready, those behind a failed, rejected,
 * canceled or skipped step are skipped, and the run settles (completed, with its manifest
 * written, or failed) when nothing is left to do. The commit compare-and-sets the run, so two
 * concurrent completions of a fan-in cannot both miss the join; a lost race re-reads and
 * rebuilds. `build` returns `undefined` to give up (the step moved on). @internal
 */
export async function mutateRun(ctx: EngineContext, runId: string, build: (view: RunView) => RunMutation | undefined | Promise<RunMutation | undefined>): Promise<CommitResult | undefined> {
  return ctx.withRunLock(runId, async () => {
    for (let attempt = 0; ; attempt++) {
      const run = await ctx.store.getRun(runId);
      if (!run) return undefined;
      const steps = await ctx.store.listSteps({ runId });
      const view: RunView = { run, steps, byName: new Map(steps.map((s) => [s.name, s])) };
      const mutation = await build(view);
      if (!mutation) return undefined;
      const commit = await derive(ctx, view, mutation);
      try {
        const result = await ctx.store.commit(commit);
        ctx.committed(result);
        return result;
      } catch (error) {
        if (isCoreError(error, 'conflict') && attempt < MAX_CONFLICT_RETRIES) continue;
        throw error;
      }
    }
  });
}

async function derive(ctx: EngineContext, view: RunView, mutation: RunMutation) {
  const { run, steps } = view;
  const base = { runId: run.id, projectId: run.projectId, ...(run.batchId === undefined ? {} : { batchId: run.batchId }) };
  // Changes are applied in order; several changes of one step chain their versions
  // (awaiting_review → approved → done in one commit).
  const original = new Map(steps.map((s) => [s.id, s]));
  const changes: StepChange[] = [];
  const versions = new Map<string, number>();
  const projected = new Map<string, StepRecord>(steps.map((s) => [s.name, s]));
  const push = (change: Omit<StepChange, 'expectVersion'>) => {
    const from = original.get(change.stepId);
    if (!from) return;
    const version = versions.get(change.stepId) ?? from.version;
    changes.push({ ...change, expectVersion: version });
    versions.set(change.stepId, version + 1);
    const current = projected.get(from.name) as StepRecord;
    projected.set(from.name, { ...current, ...change.set } as StepRecord);
  };
  for (const change of mutation.steps ?? []) push(change);
  const events: EventInput[] = [...(mutation.events ?? [])];
  const setState = (step: StepRecord, state: StepState) => push({ stepId: step.id, set: { state } });
  if (run.state !== 'canceled' && mutation.run?.state !== 'canceled') {
    for (let changed = true; changed; ) {
      changed = false;
      for (const step of projected.values()) {
        if (step.state === 'approved') {
          setState(step, 'done');
          changed = true;
          continue;
        }
        if (step.state !== 'pending') continue;
        const deps = step.dependsOn.map((name) => projected.get(name));
        if (deps.some((d) => d && BLOCKING_STEP_STATES.has(d.state))) {
          setState(step, 'skipped');
          events.push({ type: 'StepSkipped', ...base, stepId: step.id, data: { step: step.name } });
          changed = true;
        } else if (deps.every((d) => d && SATISFIED_STEP_STATES.has(d.state))) {
          setState(step, 'ready');
          events.push({ type: 'StepReady', ...base, stepId: step.id, data: { step: step.name } });
          changed = true;
        }
      }
    }
  }
  const runSet: RunChange['set'] = { ...mutation.run };
  const now = ctx.now();
  const state: RunState = mutation.run?.state ?? (run.state === 'canceled' ? 'canceled' : settledState([...projected.values()]));
  if (state !== run.state) {
    runSet.state = state;
    if (state === 'active') runSet.finishedAt = undefined;
    else runSet.finishedAt = now;
    const data: Record<string, unknown> = { state, steps: projected.size };
    if (state === 'completed') {
      const entries = manifestEntries(run, [...projected.values()]);
      data['assets'] = entries.length;
      if (ctx.sink.writeManifest && entries.length > 0) {
        try {
          const manifest = await ctx.sink.writeManifest({ projectId: run.projectId, runId: run.id, assets: entries });
          runSet.manifest = manifest;
          data['manifest'] = manifest;
        } catch (error) {
          // The assets are stored; a manifest that cannot be written does not undo the run.
          const message = error instanceof Error ? error.message : String(error);
          ctx.logger.error(`run: writing the manifest failed: ${message}`, { job_id: run.id });
          data['manifestError'] = message;
        }
      }
    }
    if (state !== 'active') events.push({ type: 'RunCompleted', ...base, data });
  }
  return {
    steps: changes,
    runs: [{ runId: run.id, expectVersion: run.version, set: runSet }],
    events,
    ...(mutation.usage ? { usage: mutation.usage } : {}),
  };
}

/** The state a run is in given its steps. */
export function settledState(steps: readonly StepRecord[]): RunState {
  if (steps.some((s) => ACTIVE.has(s.state))) return 'active';
  if (steps.length > 0 && steps.every((s) => s.state === 'done' || s.state === 'skipped') && steps.some((s) => s.state === 'done')) return 'completed';
  return 'failed';
}

/** The run's final assets: the outputs of steps no other step depends on. */
export function manifestEntries(run: RunRecord, steps: readonly StepRecord[]): ManifestEntry[] {
  const used = new Set(steps.flatMap((s) => s.dependsOn));
  const entries: ManifestEntry[] = [];
  const ids = new Set<string>();
  for (const step of steps) {
    if (used.has(step.name) || step.state !== 'done') continue;
    for (const ref of step.outputs ?? []) {
      let id = ref.filename.replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9._:-]+/g, '-') || 'asset';
      while (ids.has(id)) id = `${id}-${ids.size}`;
      ids.add(id);
      const tags = ref.metadata?.['tags'];
      entries.push({
        ref,
        id,
        metadata: {
          prompt: run.prompt,
          negativePrompt: run.negativePrompt,
          ...(Array.isArray(tags) ? { tags } : {}),
          ...(step.quality ? { qualityRating: QUALITY_SCORE[step.quality.rating], quality: step.quality.rating } : {}),
          version: run.versionKey,
          lineage: {
            pipeline: run.pipeline.name,
            steps: steps.filter((s) => s.state === 'done').map((s) => s.name),
            parentIds: steps.flatMap((s) => s.lineage?.supersedes ?? []),
            ...(step.lineage?.fallbackOf ? { fallbackOf: step.lineage.fallbackOf } : {}),
            ...(steps.some((s) => s.lineage?.reviewerEdit) ? { reviewerEdits: steps.filter((s) => s.lineage?.reviewerEdit).map((s) => s.name) } : {}),
            ...(run.supersedes ? { supersedesRun: run.supersedes } : {}),
          },
        },
      });
    }
  }
  return entries;
}
