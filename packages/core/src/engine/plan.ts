import { deriveSeed, stableId, canonicalJson, sha256Hex } from '../keys.js';
import { RATED_OPERATIONS, type PipelineDefinition } from '../pipeline.js';
import type { AssetRequest } from '../request.js';
import type { EventInput, RunRecord, StepRecord } from '../store/types.js';

/** Default image size per request asset type (platform MOBILE halves the longer sides' budget). */
export const DEFAULT_IMAGE_SIZE: Readonly<Record<AssetRequest['asset_type'], { width: number; height: number }>> = {
  '3D_CHARACTER': { width: 512, height: 512 },
  '2D_SPRITE': { width: 256, height: 256 },
  BACKGROUND: { width: 1024, height: 576 },
  PROP: { width: 512, height: 512 },
};

/** What a run is planned from. */
export interface PlanInput {
  request: AssetRequest;
  pipeline: PipelineDefinition;
  prompt: string;
  negativePrompt: string;
  seed?: number;
  batchId?: string;
  row?: number;
  /** Makes a new version of an earlier run instead of deduplicating against it. */
  supersedes?: string;
  now: number;
  /** Hash of the pipeline, when the caller already has it (batches plan many runs of one pipeline). */
  pipelineHash?: string;
}

/** The short hash of a pipeline that run ids include. */
export function pipelineHash(pipeline: PipelineDefinition): string {
  return sha256Hex(canonicalJson(pipeline)).slice(0, 16);
}

/** The step seed for a revision: revision 0 uses the run seed. */
export function seedFor(runSeed: number, stepName: string, revision: number): number {
  return revision === 0 ? runSeed : deriveSeed([runSeed, stepName, revision]);
}

/**
 * Plans a run: its record and its steps. The run id is stable for the same request, pipeline,
 * seed and batch, so submitting twice (a re-imported batch) creates nothing new; a
 * `supersedes` (regeneration) makes a new id.
 */
export function planRun(input: PlanInput): { run: RunRecord; steps: StepRecord[]; events: EventInput[] } {
  const { request, pipeline, now } = input;
  const seed = input.seed ?? request.seed ?? deriveSeed({ request, pipeline: pipeline.name });
  const id = stableId('run', { request, pipelineHash: input.pipelineHash ?? pipelineHash(pipeline), seed, supersedes: input.supersedes, at: input.supersedes === undefined ? undefined : now });
  const flags = pipeline.flags ?? [];
  const modelVersions = [...new Set(pipeline.steps.map((s) => s.modelVersion ?? s.model).filter((v): v is string => v !== undefined))];
  const versionKey = [
    request.project_id,
    request.asset_type,
    new Date(now).toISOString(),
    modelVersions.join('+') || 'default',
    flags.join('+') || 'none',
  ].join('/');
  const size = DEFAULT_IMAGE_SIZE[request.asset_type];
  const baseParams: Record<string, unknown> = {
    prompt: input.prompt,
    negativePrompt: input.negativePrompt,
    width: size.width,
    height: size.height,
    asset_type: request.asset_type,
    platform: request.constraints.platform,
    rig_type: request.constraints.rig_type,
    ...(request.constraints.poly_count_budget === undefined ? {} : { poly_count_budget: request.constraints.poly_count_budget }),
    ...(request.reference_image_url === undefined ? {} : { reference_image_url: request.reference_image_url }),
  };
  const run: RunRecord = {
    id,
    projectId: request.project_id,
    ...(input.batchId === undefined ? {} : { batchId: input.batchId }),
    ...(input.row === undefined ? {} : { row: input.row }),
    pipeline: { name: pipeline.name, flags },
    request,
    prompt: input.prompt,
    negativePrompt: input.negativePrompt,
    seed,
    state: 'active',
    version: 1,
    versionKey,
    ...(input.supersedes === undefined ? {} : { supersedes: input.supersedes }),
    createdAt: now,
    updatedAt: now,
  };
  const steps = pipeline.steps.map((def): StepRecord => {
    const operation = def.operation ?? def.name;
    const dependsOn = def.dependsOn ?? [];
    return {
      id: `${id}/${def.name}`,
      runId: id,
      projectId: request.project_id,
      ...(input.batchId === undefined ? {} : { batchId: input.batchId }),
      name: def.name,
      operation,
      route: { backend: def.backend, ...(def.model ? { model: def.model } : {}), ...(def.modelVersion ? { modelVersion: def.modelVersion } : {}), fallback: -1 },
      backend: def.backend,
      ...(def.model ? { model: def.model } : {}),
      ...(def.modelVersion ? { modelVersion: def.modelVersion } : {}),
      ...(def.workflowHash ? { workflowHash: def.workflowHash } : {}),
      fallbacks: def.fallbacks ?? [],
      dependsOn,
      review: def.review === true,
      ...(def.review === true && def.reviewTimeout ? { reviewTimeout: def.reviewTimeout } : {}),
      rate: def.rate ?? RATED_OPERATIONS.has(operation),
      params: { ...baseParams, ...def.params },
      seed,
      revision: 0,
      state: dependsOn.length === 0 ? 'ready' : 'pending',
      version: 1,
      attempts: 0,
      waits: 0,
      ...(def.maxAttempts === undefined ? {} : { maxAttempts: def.maxAttempts }),
      ...(def.timeoutMs === undefined ? {} : { timeoutMs: def.timeoutMs }),
      decisions: [],
      ...(input.supersedes === undefined ? {} : { lineage: { supersedes: [input.supersedes] } }),
      createdAt: now,
      updatedAt: now,
    };
  });
  const base = { runId: id, projectId: request.project_id, ...(input.batchId === undefined ? {} : { batchId: input.batchId }) };
  const events: EventInput[] = [
    { type: 'RunCreated', ...base, data: { pipeline: pipeline.name, versionKey, steps: steps.length, ...(input.row === undefined ? {} : { row: input.row }) } },
    ...steps.filter((s) => s.state === 'ready').map((s): EventInput => ({ type: 'StepReady', ...base, stepId: s.id, data: { step: s.name } })),
  ];
  return { run, steps, events };
}
