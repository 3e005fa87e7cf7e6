/**
 * ComfyUI workflows in API format (`File → Export (API)`): a map from node id to
 * `{ class_type, inputs, _meta: { title } }`, with links written `[nodeId, outputIndex]`.
 * Kiln fills request parameters into the inputs named by an injection map, by node id or title.
 */
import { invalidOption } from '../../errors.js';

/** One node of an API-format workflow. */
export interface ComfyNode {
  class_type: string;
  inputs: Record<string, unknown>;
  _meta?: { title?: string };
}

/** An API-format workflow: node id → node. */
export type ComfyWorkflow = Record<string, ComfyNode>;

/**
 * Where a parameter goes: a node id or `_meta.title` (the input name then follows from the
 * parameter, see {@link DEFAULT_INPUT_NAMES}), or an explicit `{ node, input }`.
 */
export type InjectTarget = string | { node: string; input: string };

/**
 * Parameter name → target(s). Names are looked up in the request's `params`; `model` falls back
 * to the request's `model`, and a name that matches one of the request's inputs (`image`, `mask`)
 * uploads that input and writes the uploaded file name.
 *
 * @example { prompt: 'Positive', negativePrompt: 'Negative', seed: '3', width: '5', height: '5', image: 'Load Image' }
 */
export type InjectMap = Readonly<Record<string, InjectTarget | readonly InjectTarget[]>>;

/**
 * Input names tried, in order, when a target names only the node. A parameter not listed here
 * writes the input of its own name (`denoise` → `denoise`).
 */
export const DEFAULT_INPUT_NAMES: Readonly<Record<string, readonly string[]>> = {
  prompt: ['text', 'prompt', 'positive', 'text_g'],
  negativePrompt: ['text', 'prompt', 'negative', 'text_g'],
  seed: ['seed', 'noise_seed'],
  width: ['width'],
  height: ['height'],
  batchSize: ['batch_size'],
  steps: ['steps'],
  cfg: ['cfg'],
  sampler: ['sampler_name'],
  scheduler: ['scheduler'],
  denoise: ['denoise'],
  model: ['ckpt_name', 'unet_name', 'model_name', 'checkpoint'],
  image: ['image'],
  mask: ['image', 'mask'],
  filenamePrefix: ['filename_prefix'],
};

/** @internal One parameter, resolved to concrete `(node id, input)` pairs. */
export interface CompiledInjection {
  key: string;
  targets: { nodeId: string; input: string }[];
}

/** Checks the shape of an API-format workflow (and rejects the UI format with a hint). */
export function checkWorkflow(name: string, workflow: unknown): ComfyWorkflow {
  if (typeof workflow !== 'object' || workflow === null || Array.isArray(workflow)) {
    throw invalidOption(`${name}: workflow must be an API-format object (node id → node)`);
  }
  if ('nodes' in workflow && 'links' in workflow) {
    throw invalidOption(`${name}: workflow is in UI format (it has "nodes" and "links"); export it with "Export (API)"`);
  }
  const entries = Object.entries(workflow as Record<string, unknown>);
  if (entries.length === 0) throw invalidOption(`${name}: workflow has no nodes`);
  for (const [id, node] of entries) {
    if (typeof node !== 'object' || node === null) throw invalidOption(`${name}: workflow node "${id}" is not an object`);
    const { class_type: classType, inputs } = node as Partial<ComfyNode>;
    if (typeof classType !== 'string' || classType === '') {
      throw invalidOption(`${name}: workflow node "${id}" has no class_type`);
    }
    if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs)) {
      throw invalidOption(`${name}: workflow node "${id}" (${classType}) has no inputs object`);
    }
  }
  return workflow as ComfyWorkflow;
}

/** The id of the node with this id or, failing that, this exact `_meta.title`. */
export function resolveNode(name: string, workflow: ComfyWorkflow, ref: string, where: string): string {
  if (Object.hasOwn(workflow, ref)) return ref;
  const matches = Object.entries(workflow)
    .filter(([, node]) => node._meta?.title === ref)
    .map(([id]) => id);
  if (matches.length === 1) return matches[0] as string;
  if (matches.length > 1) {
    throw invalidOption(`${name}: ${where}: title "${ref}" is on several nodes (${matches.join(', ')}); use a node id`);
  }
  const titles = Object.values(workflow)
    .map((node) => node._meta?.title)
    .filter((title): title is string => typeof title === 'string');
  throw invalidOption(
    `${name}: ${where}: no node has id or title "${ref}" (ids: ${Object.keys(workflow).join(', ')}${titles.length ? `; titles: ${titles.join(', ')}` : ''})`,
  );
}

/** Resolves an injection map against a workflow, eagerly and with actionable errors. */
export function compileInjection(name: string, workflow: ComfyWorkflow, inject: InjectMap): CompiledInjection[] {
  const compiled: CompiledInjection[] = [];
  for (const [key, spec] of Object.entries(inject)) {
    const list: readonly InjectTarget[] = Array.isArray(spec) ? spec : [spec as InjectTarget];
    if (list.length === 0) throw invalidOption(`${name}: inject.${key} names no node`);
    const targets = list.map((target) => {
      const ref = typeof target === 'string' ? target : target.node;
      const nodeId = resolveNode(name, workflow, ref, `inject.${key}`);
      const node = workflow[nodeId] as ComfyNode;
      if (typeof target !== 'string') return { nodeId, input: target.input };
      const candidates = DEFAULT_INPUT_NAMES[key] ?? [key];
      const input = candidates.find((candidate) => Object.hasOwn(node.inputs, candidate));
      if (input === undefined) {
        throw invalidOption(
          `${name}: inject.${key}: node ${nodeId} (${node.class_type}) has none of the inputs ${candidates.join(', ')} ` +
            `(it has ${Object.keys(node.inputs).join(', ') || 'none'}); name one with { node: "${ref}", input: "…" }`,
        );
      }
      return { nodeId, input };
    });
    compiled.push({ key, targets });
  }
  return compiled;
}

/** A copy of `workflow` with `values` written into the compiled targets (undefined values skipped). */
export function injectWorkflow(
  workflow: ComfyWorkflow,
  compiled: readonly CompiledInjection[],
  values: Readonly<Record<string, unknown>>,
): ComfyWorkflow {
  const copy = structuredClone(workflow) as ComfyWorkflow;
  for (const { key, targets } of compiled) {
    const value = values[key];
    if (value === undefined) continue;
    for (const { nodeId, input } of targets) (copy[nodeId] as ComfyNode).inputs[input] = value;
  }
  return copy;
}
