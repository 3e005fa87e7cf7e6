import type { Platform } from '@kiln/manifest';
import type { AnimationClip, Object3D, Texture } from 'three';
import type { EnvironmentFormat } from './gltf-header.js';
import type { KilnLoader } from './loader.js';
import type { KilnProgressCallback } from './progress.js';

// The options and results of KilnLoader's load calls (the class is in loader.ts).

/** Which LOD level of a manifest asset to load: an explicit level, or measures to pick one. */
export type LodSelector = number | { distance?: number; screenCoverage?: number; platform?: Platform };

/** Options of {@link KilnLoader.load}. */
export interface LoadOptions {
  /** LOD level (0 = the asset itself) or measures to pick it. Default: level 0, raised to the platform floor. */
  lod?: LodSelector;
  /** Stops waiting (and the download, when no other caller shares it) with an `aborted` error. */
  signal?: AbortSignal;
  /** Download progress in real bytes, monotonic, ending at `fraction: 1`. */
  onProgress?: KilnProgressCallback;
  /**
   * Check the bytes against the manifest's SHA-256 (or this hex digest for URL loads) before
   * parsing. Applies to the download this load starts; a load served by the cache or joining a
   * download in flight gets the asset cached under the same `id#level@sha256` key. Default: the
   * loader's `integrity`.
   */
  integrity?: boolean | string;
}

/** A loaded model: your own clone of the cached asset. */
export interface KilnAsset {
  /** The clone to add to your scene. Geometries, materials and textures are shared with other clones. */
  readonly scene: Object3D;
  /** The asset's animation clips (shared, read-only). */
  readonly animations: readonly AnimationClip[];
  /** The manifest asset id, or `undefined` for a URL load. */
  readonly assetId: string | undefined;
  /** The LOD level loaded, or `undefined` for a URL load. */
  readonly level: number | undefined;
  /** The cache key: `${assetId}#${level}@${sha256}`, or `url:<url>` for URL loads. */
  readonly cacheKey: string;
  /** Gives the clone back. The last release of an asset frees its GPU memory. Safe to call twice. */
  release(): void;
}

/** Options of {@link KilnLoader.loadEnvironment}. */
export interface LoadEnvironmentOptions {
  /** Stops waiting (and the download, when nobody else wants it) with an `aborted` error. */
  signal?: AbortSignal;
  /** Download progress, as for models. */
  onProgress?: KilnProgressCallback;
  /** As for models. */
  integrity?: boolean | string;
  /** The file format. Default: sniffed from the bytes. */
  format?: EnvironmentFormat;
}

/** A loaded environment map, prefiltered with PMREM. */
export interface KilnEnvironment {
  /** Assign to `scene.environment` (and `scene.background` if you like). Shared; do not dispose it. */
  readonly texture: Texture;
  readonly assetId: string | undefined;
  readonly cacheKey: string;
  /** Gives it back; the last release frees the GPU memory. Safe to call twice. */
  release(): void;
}

/** Options of {@link KilnLoader.preload}. */
export interface PreloadOptions {
  /** Download the decoders and start their workers. Default: `true`. */
  decoders?: boolean;
  /**
   * Compile the PMREM shader used for environment maps now. Default: `false`:
   * `loadEnvironment()` compiles it as its download starts, so a manifest that lists environment
   * maps the first scene does not use costs nothing at start-up.
   */
  environment?: boolean;
  /** Stops waiting (the shared decoder downloads go on). */
  signal?: AbortSignal;
}
