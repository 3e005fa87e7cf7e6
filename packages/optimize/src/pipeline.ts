import { PropertyType, type Document, type Transform } from '@gltf-transform/core';
import type { Transform as TextureTransform } from '@gltf-transform/extensions';
import { createTransform, dedup, flatten, listTextureInfoByMaterial, prune, resample, weld } from '@gltf-transform/functions';
import { geometryCodec } from './geometry/codec.js';
import { triangleBudget, type TriangleBudgetOptions } from './geometry/budget.js';
import { PRESETS, type GeometryCodec, type PresetName } from './presets.js';
import type { OptimizeStage } from './progress.js';
import { compressTextures, type CompressTexturesOptions } from './textures/compress.js';

/** A transform with the stage name it reports under. */
export interface NamedTransform {
  stage: OptimizeStage;
  transform: Transform;
}

/** Options of {@link optimizeTransforms}. */
export interface OptimizeTransformsOptions {
  /** Drop vertex attributes no material uses. Default false. */
  pruneAttributes?: boolean;
  /** Flatten the node hierarchy and drop empty nodes (see {@link OptimizeOptions.flatten}). Default false. */
  flatten?: boolean;
  /** Receives the cleanup's warnings (see {@link keepingPrune}). */
  onWarning?: (message: string) => void;
  /** Triangle budget; omitted: no simplification. */
  budget?: TriangleBudgetOptions;
  /** Texture step; omitted: textures untouched. */
  textures?: CompressTexturesOptions;
  geometry: GeometryCodec;
  /** meshoptimizer's `MeshoptEncoder`, required for `meshopt`. */
  meshoptEncoder?: unknown;
}

/**
 * The prune settings Kiln uses: keeps named empty nodes (sockets), extras and solid textures.
 * With `flattenScene` it drops empty nodes and their extras, as `gltf-transform optimize` does.
 *
 * With `pruneAttributes` it also drops vertex attributes no material reads, except in a model
 * where a `KHR_texture_transform` picks its own `texCoord`: glTF Transform 4.5's prune does not
 * see that override, and would drop the UV set the texture is drawn with (a validator error, and
 * a wrong-looking model). There every attribute is kept, and `onWarning` says so.
 */
export function keepingPrune(pruneAttributes = false, flattenScene = false, onWarning?: (message: string) => void): Transform {
  const settings = { keepLeaves: !flattenScene, keepExtras: !flattenScene, keepSolidTextures: true, keepIndices: true };
  if (!pruneAttributes) return prune({ ...settings, keepAttributes: true });
  return createTransform('prune', async (document: Document) => {
    const overridden = hasTexCoordOverride(document);
    if (overridden) onWarning?.('pruneAttributes: kept every vertex attribute, as a KHR_texture_transform picks its own texCoord (which glTF Transform\'s prune does not see)');
    await document.transform(prune({ ...settings, keepAttributes: overridden }));
  });
}

function hasTexCoordOverride(document: Document): boolean {
  return document
    .getRoot()
    .listMaterials()
    .some((material) => listTextureInfoByMaterial(material).some((info) => (info.getExtension<TextureTransform>('KHR_texture_transform')?.getTexCoord() ?? null) !== null));
}

/**
 * weld, then drop the accessors it left without a user. glTF Transform 4.5's `compactPrimitive`
 * clones an accessor once per attribute that uses it, so where one accessor serves two attributes
 * of a primitive (dedup joins identical ones: a unit sphere's POSITION and NORMAL, a TEXCOORD_1
 * copied from TEXCOORD_0) the second clone stays on the root, unused, and the writer stores its
 * data (with Draco or no geometry codec; meshopt's quantize prunes it).
 */
function weldLeavingNoOrphans(): Transform {
  const orphans = prune({ propertyTypes: [PropertyType.ACCESSOR], keepAttributes: true, keepIndices: true, keepLeaves: true, keepSolidTextures: true, keepExtras: true });
  return createTransform('weld', async (document: Document) => {
    await document.transform(weld(), orphans);
  });
}

/**
 * The cleanup every run starts with: dedup, prune (see {@link keepingPrune}), weld, resample.
 * Lossless except resample's 1e-4 tolerance on redundant keyframes.
 */
export function cleanupTransforms(options: { pruneAttributes?: boolean; flatten?: boolean; onWarning?: (message: string) => void } = {}): NamedTransform[] {
  return [
    { stage: 'dedup', transform: dedup() },
    // glTF Transform's flatten leaves skinned and animated nodes where they are.
    ...(options.flatten ? [{ stage: 'flatten' as const, transform: flatten() }] : []),
    { stage: 'prune', transform: keepingPrune(options.pruneAttributes, options.flatten, options.onWarning) },
    { stage: 'weld', transform: weldLeavingNoOrphans() },
    { stage: 'resample', transform: resample({ cleanup: false }) },
  ];
}

/**
 * The whole pipeline as an array of named glTF Transform transforms: cleanup, the triangle
 * budget, textures, then the geometry codec. `optimize` runs it stage by stage; it can also be
 * spread into `document.transform(...)`.
 */
export function optimizeTransforms(options: OptimizeTransformsOptions): NamedTransform[] {
  return [
    ...cleanupTransforms(options),
    ...(options.budget ? [{ stage: 'budget' as const, transform: triangleBudget(options.budget) }] : []),
    ...(options.textures ? [{ stage: 'textures' as const, transform: compressTextures(options.textures) }] : []),
    { stage: 'geometry', transform: geometryCodec({ codec: options.geometry, meshoptEncoder: options.meshoptEncoder }) },
  ];
}

/** Encoders a preset needs, injected (gltf-transform style). */
export interface PresetEncoders {
  sharp: CompressTexturesOptions['sharp'];
  meshoptEncoder: unknown;
  /** Required by presets that use KTX2 (`mobile`, `pc`, `console`): such as {@link createKtx2Pool}. */
  ktx2Encoder?: CompressTexturesOptions['ktx2Encoder'];
}

/**
 * A preset as an array of transforms, for use with glTF Transform directly:
 * `await document.transform(...presetTransforms('web', { sharp, meshoptEncoder: MeshoptEncoder }))`.
 * Write the document with an I/O that has the meshopt encoder registered.
 */
export function presetTransforms(preset: PresetName, encoders: PresetEncoders): Transform[] {
  const settings = PRESETS[preset];
  return optimizeTransforms({
    geometry: settings.geometry,
    meshoptEncoder: encoders.meshoptEncoder,
    textures: { mode: settings.textures, sharp: encoders.sharp, maxSize: settings.maxTextureSize, ktx2Encoder: encoders.ktx2Encoder ?? null, measureQuality: false },
  }).map((t) => t.transform);
}
