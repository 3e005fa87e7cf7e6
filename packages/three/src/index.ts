/**
 * `@kiln/three`: loads a Kiln manifest's assets into Three.js (r187) in the browser: GLB with
 * Draco, meshopt and KTX2 through one shared, self-hosted decoder set; Kiln's own fetching (abort,
 * byte progress, retries, presigned URL refresh, integrity); a reference-counted cache keyed by
 * content hash; `THREE.LOD` from manifest LOD variants; HDR/EXR environment maps through PMREM.
 *
 * Nothing runs at import: decoders and workers start with `preload()` or the first load.
 *
 * @module @kiln/three
 */

export { createKilnLoader, KilnLoader } from './loader.js';
export type { KilnAsset, KilnEnvironment, LoadOptions, LoadEnvironmentOptions, LodSelector, PreloadOptions } from './load-types.js';

export { KILN_LOADER_DEFAULTS } from './options.js';
export type { KilnLoaderOptions, KilnLogger, MissingTextureMode, ResolveUrl, ResolveUrlRequest } from './options.js';

export { RETRY_DEFAULTS } from './fetch.js';
export type { RetryOptions, RefreshReason } from './fetch.js';

export { KilnLoadError, isKilnLoadError } from './errors.js';
export type { KilnLoadErrorCode } from './errors.js';

export type { KilnProgress, KilnProgressCallback } from './progress.js';
export type { KilnCacheStats } from './cache.js';
export type { KilnLod, LoadLodOptions } from './lod.js';
export type { EnvironmentFormat } from './gltf-header.js';

export { DECODER_FILES } from './decoders.js';
export type { DecoderCompression } from './decoders.js';

// Intentionally not exported: the cache, the decoder set, the download function and the scene
// helpers are internals; `KilnError`, `isKilnError` and the manifest API come from @kiln/manifest.
