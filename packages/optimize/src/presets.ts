import { PLATFORMS, type Platform } from '@kiln/manifest';

/** Geometry codecs: `meshopt` (EXT_meshopt_compression), `draco` (KHR_draco_mesh_compression), or `none`. */
export const GEOMETRY_CODECS = ['meshopt', 'draco', 'none'] as const;
/** A geometry codec. */
export type GeometryCodec = (typeof GEOMETRY_CODECS)[number];

/** Texture modes: `webp` (sharp), `ktx2` (Basis Universal via ktx2-encoder), or `keep` (untouched). */
export const TEXTURE_MODES = ['webp', 'ktx2', 'keep'] as const;
/** A texture mode. */
export type TextureMode = (typeof TEXTURE_MODES)[number];

/** Preset names: the asset request's `platform` values. */
export const PRESET_NAMES: readonly Platform[] = PLATFORMS;
/** A preset name (`mobile`, `pc`, `console`, `web`). */
export type PresetName = Platform;

/** What a preset sets. Explicit options override it. */
export interface PresetSettings {
  /** Largest texture side in pixels. */
  readonly maxTextureSize: number;
  readonly textures: TextureMode;
  readonly geometry: GeometryCodec;
}

/**
 * The presets, one per platform of the asset request.
 *
 * - `mobile`: 1024 px, KTX2 (stays compressed in VRAM), meshopt.
 * - `pc`: 2048 px, KTX2, meshopt.
 * - `console`: 4096 px, KTX2, meshopt. The KTX2 encoder takes at most 12 Mpix per image, so a
 *   square 4096² texture still ends at 2048² (4096 × 2048 fits).
 * - `web`: 2048 px, WebP (smallest download), meshopt.
 */
export const PRESETS: Readonly<Record<PresetName, PresetSettings>> = Object.freeze({
  mobile: Object.freeze({ maxTextureSize: 1024, textures: 'ktx2', geometry: 'meshopt' }),
  pc: Object.freeze({ maxTextureSize: 2048, textures: 'ktx2', geometry: 'meshopt' }),
  console: Object.freeze({ maxTextureSize: 4096, textures: 'ktx2', geometry: 'meshopt' }),
  web: Object.freeze({ maxTextureSize: 2048, textures: 'webp', geometry: 'meshopt' }),
});
