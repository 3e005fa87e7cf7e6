import { stripQuery } from '@kiln/manifest';
import type { AnimationClip, Object3D, Texture } from 'three';
import type { GLTF, GLTFLoader } from 'three/examples/jsm/loaders/GLTFLoader.js';
import type { Cacheable } from './cache.js';
import { binChunkLength, findGltfFault } from './gltf-faults.js';
import type { GltfJsonHead } from './gltf-header.js';
import { isKilnLoadError, KilnLoadError } from './errors.js';
import { messageOf } from './fetch.js';
import type { MissingTextureMode } from './options.js';
import { collectResources, disposeGpu, estimateBytes, freeCpu, hasSkinnedMesh } from './scene.js';
import { raceAbort, throwIfAborted } from './signal.js';
import { missingTextures, resourceBase } from './textures.js';

/** A parsed model as the cache holds it; each load gets a clone of `scene`. @internal */
export interface ModelTemplate extends Cacheable {
  readonly scene: Object3D;
  readonly textures: readonly Texture[];
  readonly animations: AnimationClip[];
  readonly skinned: boolean;
}

/** What {@link parseModel} needs besides the bytes. @internal */
export interface ParseModelContext {
  label: string;
  signal: AbortSignal;
  missingTexture: MissingTextureMode;
  warn: (message: string) => void;
  assetId: string | undefined;
}

/** What is structurally wrong with a file GLTFLoader failed on, if {@link findGltfFault} can tell. */
function faultOf(json: GltfJsonHead, bytes: ArrayBuffer): string | undefined {
  try {
    return findGltfFault(json as Record<string, unknown>, binChunkLength(bytes));
  } catch {
    return undefined; // a hierarchy deep enough to exhaust the stack: GLTFLoader's words alone
  }
}

/**
 * Parses downloaded GLB/glTF bytes with three's GLTFLoader (its decoders ready), then checks
 * every texture: GLTFLoader only logs one it cannot load, so a missing texture is an error here
 * (or a warning, as configured). Frees what it made when it fails or is aborted.
 * @internal
 */
export async function parseModel(gltfLoader: GLTFLoader, bytes: ArrayBuffer, url: string, json: GltfJsonHead, context: ParseModelContext): Promise<ModelTemplate> {
  const { label, signal } = context;
  throwIfAborted(signal, label);
  let gltf: GLTF;
  const parsing = gltfLoader.parseAsync(bytes, resourceBase(url));
  try {
    // three's decoders cannot be cancelled, and a disposed loader's never answer: stop waiting
    // on abort, and free whatever the parse still makes.
    gltf = await raceAbort(parsing, signal, label);
  } catch (error) {
    if (isKilnLoadError(error) && error.code === 'aborted') {
      parsing.then(
        (late) => {
          disposeGpu(late.scene);
          freeCpu(late.scene);
        },
        () => undefined,
      );
      throw error;
    }
    const fault = faultOf(json, bytes);
    throw new KilnLoadError('decode', `${label}: GLTFLoader could not parse ${stripQuery(url)}: ${messageOf(error)}${fault ? ` (${fault})` : ''}`, {
      cause: error,
      details: { url: stripQuery(url), assetId: context.assetId },
    });
  }
  const scene = gltf.scene;
  const missing = await missingTextures(gltf, json);
  if (missing.length > 0) {
    const message = `${label}: ${missing.length} texture(s) failed to load or decode: ${missing.join(', ')}`;
    if (context.missingTexture === 'error') {
      disposeGpu(scene);
      freeCpu(scene);
      throw new KilnLoadError('decode', message, { details: { url: stripQuery(url), textures: missing, assetId: context.assetId } });
    }
    context.warn(`@kiln/three: ${message}; the model is shown without them (missingTexture: 'warn')`);
  }
  if (signal.aborted) {
    disposeGpu(scene);
    freeCpu(scene);
    throwIfAborted(signal, label);
  }
  return {
    scene,
    textures: [...collectResources(scene).textures],
    animations: gltf.animations,
    skinned: hasSkinnedMesh(scene),
    bytes: estimateBytes(scene),
    disposeGpu: () => disposeGpu(scene),
    free: () => freeCpu(scene),
  };
}
