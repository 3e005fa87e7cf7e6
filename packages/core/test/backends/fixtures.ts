// Shared fixtures of the backend tests: API-format workflows for the ComfyUI test server, request
// builders, a collecting logger, and waiting on pushed statuses.
import { randomUUID } from 'node:crypto';
import type { GenerationBackend, RemoteStatus, SubmitRequest } from '../../src/backend.js';
import type { ComfyWorkflow } from '../../src/backends/comfyui/index.js';
import type { BackendLogger } from '../../src/backends/http-task/index.js';

/** A text-to-image workflow in API format (ComfyUI's default graph). */
export const TEXT_TO_IMAGE: ComfyWorkflow = {
  '3': {
    class_type: 'KSampler',
    inputs: {
      seed: 1,
      steps: 4,
      cfg: 7,
      sampler_name: 'euler',
      scheduler: 'normal',
      denoise: 1,
      model: ['4', 0],
      positive: ['6', 0],
      negative: ['7', 0],
      latent_image: ['5', 0],
    },
    _meta: { title: 'KSampler' },
  },
  '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'sd_xl_base_1.0.safetensors' }, _meta: { title: 'Load Checkpoint' } },
  '5': { class_type: 'EmptyLatentImage', inputs: { width: 512, height: 512, batch_size: 1 }, _meta: { title: 'Empty Latent Image' } },
  '6': { class_type: 'CLIPTextEncode', inputs: { text: 'a wooden crate', clip: ['4', 1] }, _meta: { title: 'Positive' } },
  '7': { class_type: 'CLIPTextEncode', inputs: { text: 'blurry', clip: ['4', 1] }, _meta: { title: 'Negative' } },
  '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] }, _meta: { title: 'VAE Decode' } },
  '9': { class_type: 'SaveImage', inputs: { images: ['8', 0], filename_prefix: 'kiln' }, _meta: { title: 'Save Image' } },
};

/** The injection map for {@link TEXT_TO_IMAGE}, by title and by id. */
export const TEXT_TO_IMAGE_INJECT = {
  prompt: 'Positive',
  negativePrompt: 'Negative',
  seed: 'KSampler',
  width: '5',
  height: '5',
  model: 'Load Checkpoint',
} as const;

/** An image-in workflow: LoadImage → SaveImage and PreviewImage. */
export const IMAGE_PASSTHROUGH: ComfyWorkflow = {
  '10': { class_type: 'LoadImage', inputs: { image: 'example.png' }, _meta: { title: 'Load Image' } },
  '11': { class_type: 'SaveImage', inputs: { images: ['10', 0], filename_prefix: 'passthrough' }, _meta: { title: 'Save Image' } },
  '12': { class_type: 'PreviewImage', inputs: { images: ['10', 0] }, _meta: { title: 'Preview' } },
};

let counter = 0;

/** A fresh request: a new attempt id (a UUID), so every call is a new attempt. */
export function makeRequest(overrides: Partial<SubmitRequest> = {}): SubmitRequest {
  counter += 1;
  return {
    idempotencyKey: `${'0'.repeat(56)}${counter.toString(16).padStart(8, '0')}`,
    attemptId: randomUUID(),
    jobId: `job-${counter}`,
    stepId: `step-${counter}`,
    operation: 'text_to_image',
    params: { prompt: `crate number ${counter}`, seed: 1000 + counter },
    inputs: [],
    ...overrides,
  };
}

/** A logger that keeps every line (tests must not write to the console). */
export function collectingLogger(): BackendLogger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    debug: (message) => lines.push(`debug: ${message}`),
    info: (message) => lines.push(`info: ${message}`),
    warn: (message) => lines.push(`warn: ${message}`),
  };
}

/** Resolves with the first pushed status in `states` (and records every status seen). */
export function waitForState(
  backend: GenerationBackend,
  remoteId: string,
  states: readonly RemoteStatus['state'][],
  seen: RemoteStatus[] = [],
): Promise<RemoteStatus> {
  if (!backend.subscribe) throw new Error(`${backend.name} cannot push`);
  const subscribe = backend.subscribe.bind(backend);
  return new Promise((resolve) => {
    let stop: (() => void) | undefined;
    let done = false;
    stop = subscribe(remoteId, (status) => {
      seen.push(status);
      if (!done && states.includes(status.state)) {
        done = true;
        stop?.();
        resolve(status);
      }
    });
    if (done) stop();
  });
}

/** Polls `status()` until it is one of `states`. */
export async function pollUntil(
  backend: GenerationBackend,
  remoteId: string,
  states: readonly RemoteStatus['state'][],
  intervalMs = 10,
): Promise<RemoteStatus> {
  for (;;) {
    const status = await backend.status(remoteId);
    if (states.includes(status.state)) return status;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** The bytes of an output, whether given or fetched. */
export async function bytesOf(data: Uint8Array | (() => Promise<Uint8Array>)): Promise<Uint8Array> {
  return typeof data === 'function' ? data() : data;
}
