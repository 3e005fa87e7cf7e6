/**
 * `@kiln/optimize`: glTF optimisation for build scripts, written as glTF Transform transforms.
 * Lossless by default (dedup, prune, weld, resample, quantize, meshopt), with presets per
 * platform, a triangle budget, LOD variants, WebP or KTX2 textures, and the Khronos validator
 * before and after.
 *
 * @module @kiln/optimize
 */

export { optimize } from './optimize.js';
export type { OptimizeResult } from './optimize.js';
export { optimizeTransforms, presetTransforms, cleanupTransforms, keepingPrune } from './pipeline.js';
export type { NamedTransform, OptimizeTransformsOptions, PresetEncoders } from './pipeline.js';
export { triangleBudget, TRIANGLE_BUDGET_DEFAULTS } from './geometry/budget.js';
export type { TriangleBudgetOptions } from './geometry/budget.js';

export { OPTIMIZE_DEFAULTS, LOD_SWITCH_DEFAULTS, WEBP_DEFAULTS, KTX2_DEFAULTS } from './options.js';
export type { OptimizeOptions, LodSwitchOptions, WebpOptions, Ktx2Options } from './options.js';

export { PRESETS, PRESET_NAMES, GEOMETRY_CODECS, TEXTURE_MODES } from './presets.js';
export type { PresetName, PresetSettings, GeometryCodec, TextureMode } from './presets.js';

export { readInputFile, READ_INPUT_FILE_DEFAULTS, SUPPORTED_EXTENSIONS } from './input.js';
export type { OptimizeInput, GltfFiles, ReadInputFileOptions } from './input.js';

export { lodDescriptor, toManifestLods } from './lods.js';
export type { LodResult, LodDescriptorEntry } from './lods.js';

export { compressTextures, COMPRESS_TEXTURES_DEFAULTS } from './textures/compress.js';
export type { CompressTexturesOptions, Sharp } from './textures/compress.js';
export { createKtx2Pool, KTX2_POOL_DEFAULTS } from './textures/ktx2-pool.js';
export type { Ktx2Pool, Ktx2PoolOptions } from './textures/ktx2-pool.js';
export { createBasisDecoder } from './textures/basis-decoder.js';
export { readKtx2Info } from './textures/ktx2-header.js';
export type { Ktx2Info } from './textures/ktx2-header.js';
export { fitWithin, ktx2Size, KTX2_MAX_PIXELS } from './textures/size.js';
export { psnr } from './textures/psnr.js';
export type { Ktx2Encoder, Ktx2Decoder, Ktx2EncodeJob, Ktx2EncodeSettings } from './textures/types.js';

export { geometryCodec, DRACO_SETTINGS } from './geometry/codec.js';
export type { GeometryCodecOptions } from './geometry/codec.js';
export { simplifyDocument } from './geometry/simplify.js';
export type { Simplifier, SimplifyGoal, SimplifyDocumentOptions, SimplifyResult } from './geometry/simplify.js';
export { countTriangles } from './geometry/count.js';

export { validateGltf, addedIssues, VALIDATION_MAX_MESSAGES } from './validate.js';
export type { ValidationSummary, ValidationIssue, ValidateGltfOptions } from './validate.js';

export { formatReport } from './format.js';
export type {
  OptimizeReport,
  AssetSize,
  StageReport,
  TextureReport,
  MeshReport,
  BudgetReport,
  LodReport,
  ValidationCounts,
  ValidationReport,
} from './report.js';
export type { OptimizeProgress, OptimizeStage } from './progress.js';

export { SILENT_LOGGER } from './logger.js';
export type { OptimizeLogger } from './logger.js';

export { OptimizeError } from './errors.js';
export type { OptimizeErrorCode } from './errors.js';
export { KilnError, KilnValidationError, isKilnError } from '@kiln/manifest';

// Intentionally not exported: `parseInput` (internal pre-check; `optimize` runs it),
// `resolveOptions`, `loadDeps`, `createIO`.
