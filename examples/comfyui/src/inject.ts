import type { InjectMap } from '@kiln/core';

/**
 * Where each request parameter goes in workflow_api.json. A string names a node by id or by its
 * `_meta.title`; the input then follows from the parameter (`prompt` → `text`, `seed` → `seed`
 * or `noise_seed`, `width` → `width`, …). Both text encoders keep ComfyUI's default title
 * "CLIP Text Encode (Prompt)", so they are named by id; a title used twice is refused.
 */
export const INJECT: InjectMap = {
  prompt: '6', // CLIPTextEncode (positive) → inputs.text
  negativePrompt: '7', // CLIPTextEncode (negative) → inputs.text
  seed: 'KSampler', // → inputs.seed
  steps: 'KSampler', // → inputs.steps
  cfg: 'KSampler', // → inputs.cfg
  width: 'Empty Latent Image', // → inputs.width
  height: 'Empty Latent Image', // → inputs.height
  filenamePrefix: { node: 'Save Image', input: 'filename_prefix' },
};
