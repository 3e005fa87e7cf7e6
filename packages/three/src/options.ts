import { KilnValidationError, PLATFORMS, type Manifest, type Platform, type ResolvedAsset, type ValidationIssue } from '@kiln/manifest';
import type { Camera, Scene, WebGLRenderer } from 'three';
import { RETRY_DEFAULTS, type RefreshReason, type RetryOptions } from './fetch.js';
import type { DecoderCompression } from './decoders.js';

/** Where the loader reports what it recovers from (a texture skipped with `missingTexture: 'warn'`). */
export interface KilnLogger {
  warn(message: string): void;
}

/** What {@link ResolveUrl} receives: the resolved asset, why a URL is needed, and the load's signal. */
export interface ResolveUrlRequest extends ResolvedAsset {
  /** `'initial'` for the first request, else why a fresh URL is needed (an expired presigned URL). */
  reason: 'initial' | RefreshReason;
  /** Fires when nobody wants this asset any more. */
  signal: AbortSignal;
}

/**
 * Returns the URL to fetch for a resolved asset, such as a freshly presigned one from your backend.
 * Called once per download, and again when the server answers 401/403 (an expired signature).
 */
export type ResolveUrl = (request: ResolveUrlRequest) => string | Promise<string>;

/** How a texture that fails to load or decode is handled. */
export type MissingTextureMode = 'error' | 'warn';

/** Options of {@link createKilnLoader}. */
export interface KilnLoaderOptions {
  /** The renderer the assets are for: KTX2 transcoding targets its formats, PMREM uses it. */
  renderer: WebGLRenderer;
  /** The manifest, parsed or as JSON text. Or give `manifestUrl`. Without either, only URLs load. */
  manifest?: Manifest | string;
  /** URL of the manifest JSON, fetched on first use (or by `preload()`). */
  manifestUrl?: string;
  /** Base URL that manifest keys are joined to. Default: the manifest's `cdnBaseUrl`. */
  cdnBaseUrl?: string;
  /** Supplies the URL of each download and fresh ones on 401/403. Default: the manifest's URL. */
  resolveUrl?: ResolveUrl;
  /**
   * URL of the folder holding this package's `decoders/` files (`draco/`, `basis/`), which you
   * serve yourself. Default: `../decoders/` next to this module (works when it is served unbundled).
   */
  decoderPath?: string;
  /**
   * `'gzip'` fetches the `.gz` copy shipped beside each decoder file and inflates it in the
   * browser (`DecompressionStream`): 335 KB on the wire instead of 835 KB, whatever your server
   * compresses. `'none'` fetches the plain files. Default: `'gzip'` (plain files where the
   * browser has no `DecompressionStream`).
   */
  decoderCompression?: DecoderCompression;
  /**
   * Most decoder workers at once, Draco and Basis together (at least 2: one each). Default:
   * `navigator.hardwareConcurrency` clamped to 2..8.
   */
  maxWorkers?: number;
  /** Retries of downloads. Default: {@link RETRY_DEFAULTS}. */
  retry?: RetryOptions;
  /** Check each download against the manifest's SHA-256 before parsing. Default: `false`. */
  integrity?: boolean;
  /** Budget of parsed assets kept in memory, in bytes; idle ones beyond it are evicted. Default: 256 MiB. */
  cacheBytes?: number;
  /** A texture that fails to load: `'error'` rejects the load, `'warn'` logs and goes on. Default: `'error'`. */
  missingTexture?: MissingTextureMode;
  /** Platform whose LOD floor applies (`'mobile'` skips LOD0 by default). Default: none. */
  platform?: Platform;
  /** The fetch to use. Default: `globalThis.fetch`. */
  fetch?: typeof globalThis.fetch;
  /** Credentials mode of every request. Default: `'same-origin'`. */
  credentials?: RequestCredentials;
  /** Extra request headers (they make cross-origin requests preflighted). Default: none. */
  headers?: Record<string, string>;
  /**
   * Upload each model's textures to the GPU as soon as it loads (`renderer.initTexture`), so the
   * first frame that shows it does not pay for it. Default: `true`.
   */
  uploadTextures?: boolean;
  /**
   * The scene your models go into (with its lights, fog and environment), and the camera that
   * draws it (default: a perspective camera on layer 0). With it, each model's shader programs
   * are compiled for that scene as the model loads (`renderer.compile`), so the GPU compiles
   * them while other assets still download or decode, instead of stalling the first frame that
   * shows the model. Programs depend on the scene's lights and environment: set them up first.
   * Default: none (three compiles in the first frame, as usual).
   */
  precompile?: { scene: Scene; camera?: Camera };
  /** Receives warnings. Default: `console.warn`. */
  logger?: KilnLogger;
}

/** Defaults of {@link KilnLoaderOptions} that do not depend on the browser. */
export const KILN_LOADER_DEFAULTS = {
  retry: RETRY_DEFAULTS,
  integrity: false,
  cacheBytes: 256 * 1024 * 1024,
  missingTexture: 'error' as MissingTextureMode,
  credentials: 'same-origin' as RequestCredentials,
  uploadTextures: true,
  decoderCompression: 'gzip' as DecoderCompression,
} as const;

/** The worker budget when `maxWorkers` is not given: `hardwareConcurrency` clamped to 2..8. @internal */
export function defaultMaxWorkers(): number {
  const cores = globalThis.navigator?.hardwareConcurrency;
  return Math.min(8, Math.max(2, typeof cores === 'number' && cores > 0 ? cores : 4));
}

/** Validates the options of createKilnLoader; throws a KilnValidationError naming each problem. @internal */
export function checkLoaderOptions(options: KilnLoaderOptions): void {
  const issues: ValidationIssue[] = [];
  const o = (options ?? {}) as unknown as Record<string, unknown>;
  const renderer = o['renderer'] as { isWebGLRenderer?: boolean; extensions?: unknown } | undefined;
  if (typeof renderer !== 'object' || renderer === null || renderer.extensions === undefined) {
    issues.push({ path: 'renderer', message: 'must be a THREE.WebGLRenderer (needed for KTX2 detectSupport and PMREM)' });
  }
  if (o['manifest'] !== undefined && o['manifestUrl'] !== undefined) {
    issues.push({ path: 'manifestUrl', message: 'give manifest or manifestUrl, not both' });
  }
  for (const name of ['manifestUrl', 'cdnBaseUrl', 'decoderPath'] as const) {
    if (o[name] !== undefined && (typeof o[name] !== 'string' || o[name] === '')) issues.push({ path: name, message: 'must be a non-empty string' });
  }
  if (o['resolveUrl'] !== undefined && typeof o['resolveUrl'] !== 'function') issues.push({ path: 'resolveUrl', message: 'must be a function' });
  if (o['fetch'] !== undefined && typeof o['fetch'] !== 'function') issues.push({ path: 'fetch', message: 'must be a function' });
  const maxWorkers = o['maxWorkers'];
  if (maxWorkers !== undefined && !(Number.isSafeInteger(maxWorkers) && (maxWorkers as number) >= 2)) {
    issues.push({ path: 'maxWorkers', message: 'must be an integer >= 2 (one Draco and one Basis worker at least)' });
  }
  const cacheBytes = o['cacheBytes'];
  if (cacheBytes !== undefined && !(typeof cacheBytes === 'number' && cacheBytes >= 0)) issues.push({ path: 'cacheBytes', message: 'must be a number >= 0' });
  if (o['decoderCompression'] !== undefined && o['decoderCompression'] !== 'gzip' && o['decoderCompression'] !== 'none') {
    issues.push({ path: 'decoderCompression', message: "must be 'gzip' or 'none'" });
  }
  const precompile = o['precompile'] as { scene?: { isScene?: boolean }; camera?: { isCamera?: boolean } } | undefined;
  if (precompile !== undefined) {
    if (typeof precompile !== 'object' || precompile === null || precompile.scene?.isScene !== true) issues.push({ path: 'precompile.scene', message: 'must be a THREE.Scene' });
    else if (precompile.camera !== undefined && precompile.camera?.isCamera !== true) issues.push({ path: 'precompile.camera', message: 'must be a THREE.Camera' });
  }
  if (o['uploadTextures'] !== undefined && typeof o['uploadTextures'] !== 'boolean') issues.push({ path: 'uploadTextures', message: 'must be a boolean' });
  if (o['integrity'] !== undefined && typeof o['integrity'] !== 'boolean') issues.push({ path: 'integrity', message: 'must be a boolean' });
  if (o['missingTexture'] !== undefined && o['missingTexture'] !== 'error' && o['missingTexture'] !== 'warn') {
    issues.push({ path: 'missingTexture', message: "must be 'error' or 'warn'" });
  }
  if (o['platform'] !== undefined && !(PLATFORMS as readonly unknown[]).includes(o['platform'])) {
    issues.push({ path: 'platform', message: `must be one of ${PLATFORMS.join(', ')}` });
  }
  const retry = o['retry'] as Record<string, unknown> | undefined;
  if (retry !== undefined) {
    if (typeof retry !== 'object' || retry === null) issues.push({ path: 'retry', message: 'must be an object' });
    else {
      for (const key of ['retries', 'minDelayMs', 'maxDelayMs', 'refreshes'] as const) {
        const value = retry[key];
        if (value !== undefined && !(Number.isSafeInteger(value) && (value as number) >= 0)) issues.push({ path: `retry.${key}`, message: 'must be an integer >= 0' });
      }
    }
  }
  const logger = o['logger'] as { warn?: unknown } | undefined;
  if (logger !== undefined && (typeof logger !== 'object' || logger === null || typeof logger.warn !== 'function')) {
    issues.push({ path: 'logger', message: 'must be an object with a warn(message) method' });
  }
  if (issues.length > 0) {
    const summary = issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
    throw new KilnValidationError(`createKilnLoader: invalid options: ${summary}`, issues);
  }
}

/**
 * Validates the options of `preload()`; throws a KilnValidationError naming each problem
 * (`environment: 'yes'` would otherwise quietly compile nothing). @internal
 */
export function checkPreloadOptions(options: unknown): void {
  const issues: ValidationIssue[] = [];
  if (typeof options !== 'object' || options === null) issues.push({ path: '', message: 'must be an object' });
  else {
    const o = options as Record<string, unknown>;
    for (const name of ['decoders', 'environment'] as const) {
      if (o[name] !== undefined && typeof o[name] !== 'boolean') issues.push({ path: name, message: 'must be a boolean' });
    }
    if (o['signal'] !== undefined && !(o['signal'] instanceof AbortSignal)) issues.push({ path: 'signal', message: 'must be an AbortSignal' });
  }
  if (issues.length > 0) {
    const summary = issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join('; ');
    throw new KilnValidationError(`preload: invalid options: ${summary}`, issues);
  }
}

/** Merges retry options over the defaults, ignoring `undefined`. @internal */
export function resolveRetry(retry: RetryOptions | undefined): Required<RetryOptions> {
  return {
    retries: retry?.retries ?? RETRY_DEFAULTS.retries,
    minDelayMs: retry?.minDelayMs ?? RETRY_DEFAULTS.minDelayMs,
    maxDelayMs: retry?.maxDelayMs ?? RETRY_DEFAULTS.maxDelayMs,
    refreshes: retry?.refreshes ?? RETRY_DEFAULTS.refreshes,
  };
}
