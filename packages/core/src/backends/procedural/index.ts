import { BackendError, type BackendInput, type BackendOutput, type GenerationBackend, type SubmitRequest } from '../../backend.js';
import { animateFrames, decodeImage, encodePng, loadSharp, paint, refine, removeBackground, spriteSheet, upscale } from './image.js';
import { animateModel, buildModel, rigModel, textureOf } from './mesh.js';

/** Options of {@link proceduralBackend}. */
export interface ProceduralBackendOptions {
  /** Backend name. Default `procedural`. */
  name?: string;
  /** Largest image side upscaling produces. Default 2048. */
  maxImageSize?: number;
  /** Frames of `animate_sprite`. Default 4. */
  frames?: number;
  /** Added latency per task, to simulate a GPU. Default 0. */
  latencyMs?: number;
}

/** Defaults of {@link ProceduralBackendOptions}. */
export const PROCEDURAL_DEFAULTS = { name: 'procedural', maxImageSize: 2048, frames: 4, latencyMs: 0 } as const;

/** The operations the procedural backend runs, in the built-in pipelines' names. */
export const PROCEDURAL_OPERATIONS = [
  'text_to_image',
  'upscale',
  'refine',
  'remove_background',
  'cleanup',
  'animate_sprite',
  'sprite_sheet',
  'image_to_3d',
  'retopology',
  'rig',
  'animate',
  'export',
] as const;

type Rig = 'HUMANOID' | 'QUADRUPED' | 'STATIC';

/**
 * A backend that needs no GPU: it makes real, valid outputs on the CPU, deterministically by
 * seed. PNG images (sharp) painted from the prompt's colours, upscaled, refined, keyed, animated
 * and laid out in sprite sheets; low-poly textured GLB props and characters (glTF-Transform),
 * retopologized to the triangle budget, rigged with a skeleton and given an idle animation. The
 * demo and tests run the built-in pipelines on it on any machine.
 */
export function proceduralBackend(options: ProceduralBackendOptions = {}): GenerationBackend {
  const name = options.name ?? PROCEDURAL_DEFAULTS.name;
  const maxSize = options.maxImageSize ?? PROCEDURAL_DEFAULTS.maxImageSize;
  const frames = options.frames ?? PROCEDURAL_DEFAULTS.frames;
  const latency = options.latencyMs ?? PROCEDURAL_DEFAULTS.latencyMs;
  const done = new Map<string, Promise<BackendOutput[]>>();

  const run = async (request: SubmitRequest): Promise<BackendOutput[]> => {
    if (latency > 0) await new Promise((r) => setTimeout(r, latency));
    const p = request.params;
    const seed = Number(p['seed'] ?? 0) >>> 0;
    const prompt = String(p['prompt'] ?? '');
    const assetType = String(p['asset_type'] ?? 'PROP');
    const rig: Rig = assetType === '3D_CHARACTER' ? ((['HUMANOID', 'QUADRUPED', 'STATIC'].includes(String(p['rig_type'])) ? p['rig_type'] : 'HUMANOID') as Rig) : 'STATIC';
    const budget = typeof p['poly_count_budget'] === 'number' ? p['poly_count_budget'] : undefined;
    const png = (data: Uint8Array, filename = 'image.png'): BackendOutput => ({ filename, contentType: 'image/png', data });
    const glb = (data: Uint8Array, filename = 'model.glb'): BackendOutput => ({ filename, contentType: 'model/gltf-binary', data });
    const image = () => input(request, (i) => i.contentType.startsWith('image/'), 'an image');
    const model = () => input(request, (i) => i.contentType === 'model/gltf-binary', 'a GLB model');
    switch (request.operation) {
      case 'text_to_image': {
        const width = clampSize(p['width'], 512);
        const height = clampSize(p['height'], 512);
        const kind = assetType === 'BACKGROUND' ? 'background' : 'object';
        return [png(await encodePng(paint({ prompt, seed, width, height, kind })))];
      }
      case 'upscale':
        return [png(await upscale(await asPng(image().data!), Number(p['scale'] ?? 2), maxSize))];
      case 'refine':
        return [png(await refine(await asPng(image().data!)))];
      case 'remove_background':
      case 'cleanup':
        return [png(await removeBackground(await asPng(image().data!)))];
      case 'animate_sprite':
        return (await animateFrames(await asPng(image().data!), frames)).map((f, i) => png(f, `frame-${i}.png`));
      case 'sprite_sheet': {
        const images = request.inputs.filter((i) => i.contentType.startsWith('image/') && i.data);
        if (images.length === 0) throw new BackendError('input_invalid', `${name}: sprite_sheet needs image inputs`);
        const { png: sheet, atlas } = await spriteSheet(images.map((i) => i.data!));
        return [png(sheet, 'sheet.png'), { filename: 'sheet.json', contentType: 'application/json', data: new TextEncoder().encode(JSON.stringify(atlas)) }];
      }
      case 'image_to_3d':
        return [glb(await buildModel({ rig, budget, texture: await asPng(image().data!), name: String(p['asset_name'] ?? 'asset') }))];
      case 'retopology': {
        const source = model().data!;
        return [glb(await buildModel({ rig, budget, budgetFraction: 0.6, texture: await textureOf(source), name: String(p['asset_name'] ?? 'asset') }))];
      }
      case 'rig':
        return [glb(rig === 'STATIC' ? model().data! : await rigModel(model().data!, rig))];
      case 'animate':
        return [glb(rig === 'STATIC' ? model().data! : await animateModel(model().data!))];
      case 'export':
        return request.inputs.map((i) => ({ filename: i.name, contentType: i.contentType, data: i.data ?? new Uint8Array() }));
      default:
        throw new BackendError('input_invalid', `${name}: unknown operation "${request.operation}"; it runs ${PROCEDURAL_OPERATIONS.join(', ')}`);
    }
  };

  return {
    name,
    capabilities: { idempotentSubmit: true, push: false, cancel: false, synchronous: true },
    async submit(request) {
      let task = done.get(request.attemptId);
      if (!task) {
        task = run(request);
        done.set(request.attemptId, task);
        task.catch(() => done.delete(request.attemptId));
      }
      try {
        return { remoteId: request.attemptId, outputs: await task };
      } catch (error) {
        if (error instanceof BackendError) throw error;
        throw new BackendError('fatal', `${name} ${request.operation}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      } finally {
        // Outputs are handed over once; a resubmit after a crash regenerates them (deterministic).
        done.delete(request.attemptId);
      }
    },
    async status() {
      return { state: 'unknown' };
    },
    async outputs(remoteId) {
      throw new BackendError('fatal', `${name}: task ${remoteId} returned its outputs from submit()`);
    },
    async health() {
      await loadSharp();
      return { ok: true };
    },
    classify: (error) => (error instanceof BackendError ? error.kind : 'fatal'),
  };
}

function input(request: SubmitRequest, match: (i: BackendInput) => boolean, what: string): BackendInput {
  const found = request.inputs.find((i) => match(i) && i.data);
  if (!found) throw new BackendError('input_invalid', `procedural ${request.operation}: needs ${what} input; got ${request.inputs.map((i) => i.contentType).join(', ') || 'none'}`);
  return found;
}

function clampSize(value: unknown, fallback: number): number {
  const n = typeof value === 'number' && Number.isFinite(value) ? Math.round(value) : fallback;
  return Math.max(8, Math.min(4096, n));
}

async function asPng(data: Uint8Array): Promise<Uint8Array> {
  if (data[0] === 0x89 && data[1] === 0x50) return data;
  return encodePng(await decodeImage(data));
}
