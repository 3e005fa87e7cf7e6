import { z } from 'zod';
import { parseInput } from '@kiln/manifest';
import { CoreError } from './errors.js';
import type { RequestAssetType } from './request.js';

/** Another backend or model to use while a step's circuit breaker is open. */
export interface StepFallback {
  backend: string;
  model?: string;
  modelVersion?: string;
}

/**
 * What happens to a review checkpoint nobody decides within `afterMs` (a persisted timer: it
 * survives restarts and fires once, on whichever worker sees it first):
 * - `approve` / `reject`: decided on the reviewer's behalf (`by: "kiln:timeout"`), as
 *   `client.approve()` / `client.reject()` would;
 * - `escalate`: the step keeps waiting, and a `UserReviewUpdated` event with `escalated: true`
 *   tells whoever is on call (the webhook notifier turns it into a WARNING).
 */
export interface ReviewTimeout {
  afterMs: number;
  action: 'approve' | 'reject' | 'escalate';
}

/** One step of a pipeline. */
export interface StepDefinition {
  /** Unique in the pipeline: `text_to_image`, `review_mesh`, … (letters, digits, `_`, `-`). */
  name: string;
  /** What the backend does: `text_to_image`, `upscale`, `image_to_3d`, … Default: `name`. */
  operation?: string;
  /** Name of the backend, as given to `createJobClient({ backends })`. */
  backend: string;
  model?: string;
  /** Part of the idempotency key: a new model version is new work. */
  modelVersion?: string;
  /** Hash of the backend workflow (a ComfyUI graph), part of the idempotency key. */
  workflowHash?: string;
  /** Steps whose outputs this step takes; it becomes ready when all are approved or done. */
  dependsOn?: string[];
  /** A human checkpoint after this step: it waits in `awaiting_review` until approved. */
  review?: boolean;
  /** What to do when the review checkpoint waits too long (only with `review`). Default: wait forever. */
  reviewTimeout?: ReviewTimeout;
  /** Parameters merged over the run's (prompt, size, …). */
  params?: Record<string, unknown>;
  /** Tried in order while the breaker of (backend, model) is open. */
  fallbacks?: StepFallback[];
  /** Attempts that transient failures and request-rate 429s may use. Default: the client's. */
  maxAttempts?: number;
  /** Give up on a running attempt after this long (counts as transient). Default: the client's. */
  timeoutMs?: number;
  /** Rate outputs and regenerate Poor ones automatically. Default `true` for generating steps. */
  rate?: boolean;
}

/** A DAG of steps. */
export interface PipelineDefinition {
  /** Name recorded in lineage (`3D_CHARACTER`, `my-pipeline`). */
  name: string;
  /** Flags recorded in the version key (`hd`, `no-rig`). */
  flags?: string[];
  steps: StepDefinition[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

const FallbackSchema = z.object({
  backend: z.string().min(1, 'must not be empty'),
  model: z.string().min(1).optional(),
  modelVersion: z.string().min(1).optional(),
});

const StepSchema = z.object({
  name: z.string().regex(NAME, 'must be 1-64 of A-Z a-z 0-9 _ -, starting with a letter or digit'),
  operation: z.string().min(1).max(64).optional(),
  backend: z.string().min(1, 'must not be empty'),
  model: z.string().min(1).optional(),
  modelVersion: z.string().min(1).optional(),
  workflowHash: z.string().min(1).optional(),
  dependsOn: z.array(z.string()).optional(),
  review: z.boolean().optional(),
  reviewTimeout: z.object({ afterMs: z.int().min(1), action: z.enum(['approve', 'reject', 'escalate']) }).optional(),
  params: z.record(z.string(), z.unknown()).optional(),
  fallbacks: z.array(FallbackSchema).optional(),
  maxAttempts: z.int().min(1).max(100).optional(),
  timeoutMs: z.int().min(1).optional(),
  rate: z.boolean().optional(),
});

/** Schema of a pipeline definition (the DAG rules are checked by {@link validatePipeline}). */
export const PipelineSchema = z.object({
  name: z.string().regex(NAME, 'must be 1-64 of A-Z a-z 0-9 _ -, starting with a letter or digit'),
  flags: z.array(z.string().regex(/^[a-z0-9-]{1,32}$/, 'must be lower-case letters, digits and "-"')).optional(),
  steps: z.array(StepSchema).min(1, 'a pipeline needs at least one step'),
});

/**
 * Validates a pipeline: the schema, unique step names, dependencies that exist, no cycle.
 * Returns the steps in a topological order (dependencies first; ties keep the given order).
 * @throws `KilnValidationError` for a malformed definition, {@link CoreError} `pipeline_invalid`
 *   naming the duplicate, the missing dependency or the cycle.
 */
export function validatePipeline(definition: PipelineDefinition): PipelineDefinition {
  const parsed = parseInput(PipelineSchema, definition, `pipeline ${JSON.stringify((definition as { name?: unknown })?.name)}`) as PipelineDefinition;
  const byName = new Map<string, StepDefinition>();
  for (const step of parsed.steps) {
    if (byName.has(step.name)) throw invalid(parsed.name, `step "${step.name}" is defined twice`);
    byName.set(step.name, step);
  }
  for (const step of parsed.steps) {
    for (const dep of step.dependsOn ?? []) {
      if (!byName.has(dep)) throw invalid(parsed.name, `step "${step.name}" depends on "${dep}", which is not a step (steps: ${[...byName.keys()].join(', ')})`);
      if (dep === step.name) throw invalid(parsed.name, `step "${step.name}" depends on itself`);
    }
  }
  // Kahn's algorithm, stable: always take the first ready step in definition order.
  const indegree = new Map(parsed.steps.map((s) => [s.name, (s.dependsOn ?? []).length]));
  const order: StepDefinition[] = [];
  const done = new Set<string>();
  while (order.length < parsed.steps.length) {
    const next = parsed.steps.find((s) => !done.has(s.name) && indegree.get(s.name) === 0);
    if (!next) {
      const cycle = findCycle(parsed.steps.filter((s) => !done.has(s.name)));
      throw invalid(parsed.name, `dependency cycle ${cycle.join(' → ')}`);
    }
    done.add(next.name);
    order.push(next);
    for (const s of parsed.steps) if ((s.dependsOn ?? []).includes(next.name)) indegree.set(s.name, (indegree.get(s.name) ?? 0) - 1);
  }
  return { ...parsed, steps: order };
}

function findCycle(steps: StepDefinition[]): string[] {
  const deps = new Map(steps.map((s) => [s.name, s.dependsOn ?? []]));
  const path: string[] = [];
  const visit = (name: string): string[] | undefined => {
    const at = path.indexOf(name);
    if (at >= 0) return [...path.slice(at), name];
    path.push(name);
    for (const dep of deps.get(name) ?? []) {
      if (!deps.has(dep)) continue;
      const found = visit(dep);
      if (found) return found;
    }
    path.pop();
    return undefined;
  };
  for (const s of steps) {
    const found = visit(s.name);
    if (found) return found.reverse();
  }
  return steps.map((s) => s.name);
}

function invalid(pipeline: string, problem: string): CoreError {
  return new CoreError('pipeline_invalid', `pipeline ${pipeline}: ${problem}`, { details: { pipeline } });
}

/** Names of the built-in pipeline templates: one per request asset type. */
export type BuiltinPipelineName = RequestAssetType;

/** Options of {@link builtinPipeline}. */
export interface BuiltinPipelineOptions {
  /**
   * Backend per operation, `*` for the rest. Default `{ '*': 'procedural' }`.
   * @example `{ '*': 'comfyui', image_to_3d: 'meshy', retopology: 'meshy' }`
   */
  backends?: Record<string, string>;
  /** Model per operation. */
  models?: Record<string, string>;
  /** Turn the review checkpoints off (`false`) for unattended runs. Default `true`. */
  review?: boolean;
  /** Timeout of every review checkpoint of the template. Default: none (wait forever). */
  reviewTimeout?: ReviewTimeout;
  /** Fallbacks per operation. */
  fallbacks?: Record<string, StepFallback[]>;
}

type Chain = [operation: string, review?: boolean][];

/** The seeds' pipelines as linear chains; a `true` marks a review checkpoint after the step. */
export const BUILTIN_CHAINS: Readonly<Record<BuiltinPipelineName, Chain>> = {
  '3D_CHARACTER': [
    ['text_to_image'],
    ['upscale'],
    ['refine', true],
    ['image_to_3d'],
    ['retopology', true],
    ['rig', true],
    ['animate', true],
    ['export'],
  ],
  '2D_SPRITE': [['text_to_image'], ['remove_background'], ['animate_sprite'], ['sprite_sheet']],
  BACKGROUND: [['text_to_image'], ['upscale'], ['export']],
  PROP: [['text_to_image'], ['upscale'], ['export']],
};

/** Operations whose outputs are rated (and regenerated when Poor) by default. */
export const RATED_OPERATIONS: ReadonlySet<string> = new Set(['text_to_image', 'upscale', 'refine', 'image_to_3d', 'retopology']);

/**
 * A built-in pipeline template, with backends mapped per operation.
 *
 * - `3D_CHARACTER`: text-to-image → upscale → refine → review → image-to-3D → retopology → review →
 *   rig → review → animate → review → export
 * - `2D_SPRITE`: text-to-image → background removal → animation → sprite-sheet export
 * - `BACKGROUND`, `PROP`: text-to-image → upscale → export
 */
export function builtinPipeline(name: BuiltinPipelineName, options: BuiltinPipelineOptions = {}): PipelineDefinition {
  const chain = BUILTIN_CHAINS[name];
  if (!chain) throw new CoreError('pipeline_invalid', `builtinPipeline: unknown template ${JSON.stringify(name)}; use one of ${Object.keys(BUILTIN_CHAINS).join(', ')}`);
  const backends = options.backends ?? { '*': 'procedural' };
  const steps = chain.map(([operation, review], index): StepDefinition => {
    const backend = backends[operation] ?? backends['*'];
    if (!backend) throw new CoreError('pipeline_invalid', `builtinPipeline ${name}: no backend for operation ${operation} (set backends.${operation} or backends['*'])`);
    const model = options.models?.[operation];
    const fallbacks = options.fallbacks?.[operation];
    const previous = chain[index - 1];
    return {
      name: operation,
      operation,
      backend,
      ...(model ? { model } : {}),
      ...(previous ? { dependsOn: [previous[0]] } : {}),
      ...(review && options.review !== false ? { review: true, ...(options.reviewTimeout ? { reviewTimeout: options.reviewTimeout } : {}) } : {}),
      ...(fallbacks ? { fallbacks } : {}),
    };
  });
  return validatePipeline({ name, steps });
}
