import { Document } from '@gltf-transform/core';
import { parseInput } from '@kiln/manifest';
import { z } from 'zod';
import type { OptimizeLogger } from './logger.js';
import { SILENT_LOGGER } from './logger.js';
import { GEOMETRY_CODECS, PRESET_NAMES, PRESETS, TEXTURE_MODES, type GeometryCodec, type PresetName, type TextureMode } from './presets.js';
import type { OptimizeProgress } from './progress.js';
import type { Ktx2Decoder, Ktx2Encoder } from './textures/types.js';

/** How LOD switch points are expressed in the descriptor (the manifest accepts either). */
export interface LodSwitchOptions {
  /** `screenCoverage` (projected height / screen height, decreasing) or `switchDistance` (increasing). */
  measure?: 'screenCoverage' | 'switchDistance';
  /** Screen coverage (projected height / screen height) below which the full model (LOD0) stops being needed. Default 0.5. */
  fullDetailCoverage?: number;
  /** Vertical field of view used to turn coverage into distance, in degrees. Default 60. */
  fovDegrees?: number;
}

/** WebP settings (sharp). */
export interface WebpOptions {
  /** Quality 1-100 for every texture slot. Default 80, as `gltf-transform webp`. */
  quality?: number;
  /** libwebp effort 0-6. Default 4. */
  effort?: number;
}

/** KTX2 settings (ktx2-encoder, Basis Universal). Colour slots use ETC1S, data slots UASTC. */
export interface Ktx2Options {
  /** ETC1S quality 1-255 for colour slots (baseColor, emissive, …). Default 128. */
  etc1sQuality?: number;
  /** ETC1S effort 0-6. Default 2. */
  etc1sEffort?: number;
  /** UASTC quality 0-3 for data slots (normal, occlusion, metallicRoughness, …). Default 1. */
  uastcQuality?: number;
  /** Zstandard supercompression of UASTC. Default true. */
  zstd?: boolean;
  /** UASTC rate-distortion optimisation (smaller, slower, lossier). Default false. */
  rdo?: boolean;
  /** Generate mipmaps. Default true. */
  mipmaps?: boolean;
  /** Use ETC1S for data slots too (much smaller and faster, lower quality). Default false. */
  etc1sEverywhere?: boolean;
}

/** Options of {@link optimize}. Every field is optional; `undefined` means "use the default". */
export interface OptimizeOptions {
  /** Platform preset: sets the texture size cap, texture mode and geometry codec. */
  preset?: PresetName;
  /** Geometry codec. Default `meshopt`. */
  geometry?: GeometryCodec;
  /** Texture mode. Default `webp`. */
  textures?: TextureMode;
  /** Largest texture side in pixels (overrides the preset). Default: no cap without a preset. */
  maxTextureSize?: number;
  /**
   * Remove vertex attributes no material uses (such as UVs of an untextured mesh), as gltfpack
   * does. Default false: a game may read them (lightmap UVs, vertex colours for gameplay).
   */
  pruneAttributes?: boolean;
  /**
   * Flatten the node hierarchy (meshes move under the scene, keeping their world transforms) and
   * drop empty nodes with their names and extras, as `gltf-transform optimize` does. Saves a few
   * bytes; loses attachment sockets and grouping that a game may look up by name. Default false.
   * Skinned and animated nodes stay where they are.
   */
  flatten?: boolean;
  /** Triangle budget (the request's `poly_count_budget`). Default: no simplification. */
  maxTriangles?: number;
  /** Error bound of budget simplification, as a fraction of the mesh extent. Default 0.01. */
  budgetError?: number;
  /** What to do when `maxTriangles` cannot be met within `budgetError`. Default `error`. */
  onBudgetUnreachable?: 'error' | 'warn';
  /** LOD ratios of LOD0's triangles, strictly decreasing, each in (0, 1). Default none. */
  lods?: readonly number[];
  /** Error bound of LOD simplification, as a fraction of the mesh extent. Default 0.05. */
  lodError?: number;
  /** How the LOD descriptor expresses switch points. */
  lodSwitch?: LodSwitchOptions;
  webp?: WebpOptions;
  ktx2?: Ktx2Options;
  /**
   * Khronos glTF Validator before and after: `error` fails when the output adds errors or
   * warnings the input did not have, `warn` reports them, `off` skips validation. `strict` is
   * `error` that also refuses an input with validator errors (`invalid_gltf`, before any heavy
   * work), where the others optimize it with a warning. Default `error`.
   */
  validate?: 'error' | 'warn' | 'off' | 'strict';
  /** Measure PSNR of every re-encoded texture. Default true. */
  measureQuality?: boolean;
  /** KTX2 worker threads when `optimize` starts its own pool. Default: available cores, at most 4. */
  concurrency?: number;
  /** KTX2 encoder to use, such as a shared {@link createKtx2Pool}; `optimize` does not dispose it. */
  ktx2Encoder?: Ktx2Encoder;
  /** KTX2 decoder for PSNR; `null` skips KTX2 PSNR. Default: the Basis transcoder shipped by `three`. */
  ktx2Decoder?: Ktx2Decoder | null;
  logger?: OptimizeLogger;
  /** Progress of stages and textures. */
  onProgress?: (event: OptimizeProgress) => void;
  /** Label of the input in messages and the report, such as its file name. */
  name?: string;
  /**
   * Stops the call: it rejects with `OptimizeError` (`aborted`) at the next stage, texture or LOD
   * boundary. What is under way there finishes first (sharp and the KTX2 workers cannot be
   * interrupted), so nothing of the call is left running once it has rejected.
   */
  signal?: AbortSignal;
}

/** Defaults of {@link OptimizeOptions} without a preset. */
export const OPTIMIZE_DEFAULTS = Object.freeze({
  geometry: 'meshopt' as GeometryCodec,
  textures: 'webp' as TextureMode,
  maxTextureSize: null as number | null,
  pruneAttributes: false,
  flatten: false,
  budgetError: 0.01,
  onBudgetUnreachable: 'error' as 'error' | 'warn',
  lodError: 0.05,
  validate: 'error' as 'error' | 'warn' | 'off' | 'strict',
  measureQuality: true,
});

/** Defaults of {@link LodSwitchOptions}. */
export const LOD_SWITCH_DEFAULTS: Readonly<Required<LodSwitchOptions>> = Object.freeze({
  measure: 'screenCoverage',
  fullDetailCoverage: 0.5,
  fovDegrees: 60,
});

/** Defaults of {@link WebpOptions}. */
export const WEBP_DEFAULTS: Readonly<Required<WebpOptions>> = Object.freeze({ quality: 80, effort: 4 });

/** Defaults of {@link Ktx2Options}. */
export const KTX2_DEFAULTS: Readonly<Required<Ktx2Options>> = Object.freeze({
  etc1sQuality: 128,
  etc1sEffort: 2,
  uastcQuality: 1,
  zstd: true,
  rdo: false,
  mipmaps: true,
  etc1sEverywhere: false,
});

/** @internal Options after defaults and preset: what the pipeline reads. */
export interface ResolvedOptions {
  preset: PresetName | null;
  geometry: GeometryCodec;
  textures: TextureMode;
  maxTextureSize: number | null;
  pruneAttributes: boolean;
  flatten: boolean;
  maxTriangles: number | null;
  budgetError: number;
  onBudgetUnreachable: 'error' | 'warn';
  lods: number[];
  lodError: number;
  lodSwitch: Required<LodSwitchOptions>;
  webp: Required<WebpOptions>;
  ktx2: Required<Ktx2Options>;
  validate: 'error' | 'warn' | 'off' | 'strict';
  measureQuality: boolean;
  concurrency: number | null;
  ktx2Encoder: Ktx2Encoder | null;
  ktx2Decoder: Ktx2Decoder | null | undefined;
  logger: OptimizeLogger;
  onProgress: (event: OptimizeProgress) => void;
  name: string;
  signal: AbortSignal | null;
}

const fn = (what: string) => z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', `must be ${what}`);
const object = (what: string, ...methods: string[]) =>
  z.custom<object>(
    (v) => typeof v === 'object' && v !== null && methods.every((m) => typeof (v as Record<string, unknown>)[m] === 'function'),
    `must be ${what}`,
  );
const fraction = (name: string) => z.number().gt(0, `${name} must be > 0`).lte(1, `${name} must be <= 1`);

const OptionsSchema = z.strictObject({
  preset: z.enum(PRESET_NAMES as [PresetName, ...PresetName[]]).optional(),
  geometry: z.enum(GEOMETRY_CODECS).optional(),
  textures: z.enum(TEXTURE_MODES).optional(),
  maxTextureSize: z.int().min(4, 'must be >= 4').max(16384, 'must be <= 16384').optional(),
  pruneAttributes: z.boolean().optional(),
  flatten: z.boolean().optional(),
  maxTriangles: z.int().min(1, 'must be >= 1').optional(),
  budgetError: fraction('budgetError').optional(),
  onBudgetUnreachable: z.enum(['error', 'warn']).optional(),
  lods: z
    .array(z.number().gt(0, 'must be > 0').lt(1, 'must be < 1 (LOD0 is the full model)'))
    .refine((l) => l.every((r, i) => i === 0 || r < (l[i - 1] as number)), 'must be strictly decreasing, such as [0.5, 0.25, 0.1]')
    .optional(),
  lodError: fraction('lodError').optional(),
  lodSwitch: z
    .strictObject({
      measure: z.enum(['screenCoverage', 'switchDistance']).optional(),
      fullDetailCoverage: fraction('fullDetailCoverage').optional(),
      fovDegrees: z.number().gt(0).lt(180).optional(),
    })
    .optional(),
  webp: z.strictObject({ quality: z.int().min(1).max(100).optional(), effort: z.int().min(0).max(6).optional() }).optional(),
  ktx2: z
    .strictObject({
      etc1sQuality: z.int().min(1).max(255).optional(),
      etc1sEffort: z.int().min(0).max(6).optional(),
      uastcQuality: z.int().min(0).max(3).optional(),
      zstd: z.boolean().optional(),
      rdo: z.boolean().optional(),
      mipmaps: z.boolean().optional(),
      etc1sEverywhere: z.boolean().optional(),
    })
    .optional(),
  validate: z.enum(['error', 'warn', 'off', 'strict']).optional(),
  measureQuality: z.boolean().optional(),
  concurrency: z.int().min(1, 'must be >= 1').max(64, 'must be <= 64').optional(),
  ktx2Encoder: object('a KTX2 encoder (an object with encode())', 'encode').optional(),
  ktx2Decoder: z.union([object('a KTX2 decoder (an object with decode())', 'decode'), z.null()]).optional(),
  logger: object('a logger with debug(), info() and warn()', 'debug', 'info', 'warn').optional(),
  onProgress: fn('a function').optional(),
  name: z.string().optional(),
  signal: z.instanceof(AbortSignal, { error: 'must be an AbortSignal' }).optional(),
});

/** Drops `undefined` values so they never override a default. */
function defined<T extends object>(value: T | undefined): Partial<T> {
  if (!value) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** @internal Validates `options` and applies the preset and the defaults. */
export function resolveOptions(options: OptimizeOptions | undefined): ResolvedOptions {
  const o = parseInput(OptionsSchema, options ?? {}, 'optimize') as unknown as OptimizeOptions;
  const preset = o.preset ? PRESETS[o.preset] : undefined;
  return {
    preset: o.preset ?? null,
    geometry: o.geometry ?? preset?.geometry ?? OPTIMIZE_DEFAULTS.geometry,
    textures: o.textures ?? preset?.textures ?? OPTIMIZE_DEFAULTS.textures,
    maxTextureSize: o.maxTextureSize ?? preset?.maxTextureSize ?? OPTIMIZE_DEFAULTS.maxTextureSize,
    pruneAttributes: o.pruneAttributes ?? OPTIMIZE_DEFAULTS.pruneAttributes,
    flatten: o.flatten ?? OPTIMIZE_DEFAULTS.flatten,
    maxTriangles: o.maxTriangles ?? null,
    budgetError: o.budgetError ?? OPTIMIZE_DEFAULTS.budgetError,
    onBudgetUnreachable: o.onBudgetUnreachable ?? OPTIMIZE_DEFAULTS.onBudgetUnreachable,
    lods: [...(o.lods ?? [])],
    lodError: o.lodError ?? OPTIMIZE_DEFAULTS.lodError,
    lodSwitch: { ...LOD_SWITCH_DEFAULTS, ...defined(o.lodSwitch) },
    webp: { ...WEBP_DEFAULTS, ...defined(o.webp) },
    ktx2: { ...KTX2_DEFAULTS, ...defined(o.ktx2) },
    validate: o.validate ?? OPTIMIZE_DEFAULTS.validate,
    measureQuality: o.measureQuality ?? OPTIMIZE_DEFAULTS.measureQuality,
    concurrency: o.concurrency ?? null,
    ktx2Encoder: o.ktx2Encoder ?? null,
    ktx2Decoder: o.ktx2Decoder,
    logger: o.logger ?? SILENT_LOGGER,
    onProgress: o.onProgress ?? (() => {}),
    name: o.name ?? 'input',
    signal: o.signal ?? null,
  };
}

/** @internal True for a glTF Transform Document (also from another copy of the package). */
export function isDocument(value: unknown): value is Document {
  return value instanceof Document || (typeof value === 'object' && value !== null && typeof (value as Document).getRoot === 'function' && typeof (value as Document).transform === 'function');
}
