import {
  isKilnError,
  parseManifest,
  resolveAsset,
  stripQuery,
  type Manifest,
  type Platform,
  type ResolvedAsset,
} from '@kiln/manifest';
import { PerspectiveCamera, PMREMGenerator, type Camera, type Scene, type WebGLRenderer } from 'three';
import { GLTFLoader } from 'three/examples/jsm/loaders/GLTFLoader.js';
import { AssetCache, type KilnCacheStats } from './cache.js';
import { DecoderSet } from './decoders.js';
import { KilnLoadError } from './errors.js';
import { download, messageOf, type NetContext } from './fetch.js';
import { decodeEnvironment, type EnvironmentValue } from './environment.js';
import { decoderNeeds, readGltfJson, type EnvironmentFormat } from './gltf-header.js';
import { sha256Hex } from './integrity.js';
import type { KilnAsset, KilnEnvironment, LoadEnvironmentOptions, LoadOptions, LodSelector, PreloadOptions } from './load-types.js';
import { buildLod, type KilnLod, type LoadLodOptions } from './lod.js';
import { parseModel, type ModelTemplate } from './model.js';
import {
  checkLoaderOptions,
  checkPreloadOptions,
  defaultMaxWorkers,
  KILN_LOADER_DEFAULTS,
  resolveRetry,
  type KilnLoaderOptions,
  type KilnLogger,
  type MissingTextureMode,
  type ResolveUrl,
} from './options.js';
import type { ProgressTracker } from './progress.js';
import { cloneScene, disposeClone } from './scene.js';
import { raceAbort, throwIfAborted } from './signal.js';

interface Target {
  label: string;
  cacheKey: string;
  /** Set for manifest assets. */
  resolved: ResolvedAsset | undefined;
  /** Set for URL loads. */
  url: string | undefined;
  expectedSha256: string | undefined;
}

const URL_PATTERN = /[/]/;

function defaultDecoderPath(): string {
  return new URL('../decoders/', import.meta.url).href;
}

function absoluteUrl(url: string): string {
  const base = globalThis.document?.baseURI ?? globalThis.location?.href;
  return new URL(url, base).href;
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/**
 * Loads a manifest's GLB models, LOD sets and environment maps for one renderer. Create it with
 * {@link createKilnLoader}; see that function for the behaviour.
 */
export class KilnLoader {
  private readonly renderer: WebGLRenderer;
  private readonly net: NetContext;
  private readonly decoders: DecoderSet;
  private readonly gltf: GLTFLoader;
  private readonly cache: AssetCache;
  private readonly cdnBaseUrl: string | undefined;
  private readonly manifestUrl: string | undefined;
  private readonly lifetime = new AbortController();
  private manifest: Manifest | undefined;
  private manifestPending: Promise<Manifest> | undefined;
  private resolveUrl: ResolveUrl | undefined;
  private integrity: boolean;
  private missingTexture: MissingTextureMode;
  private platform: Platform | undefined;
  private logger: KilnLogger;
  private readonly uploadTextures: boolean;
  private readonly precompile: { scene: Scene; camera: Camera } | undefined;
  private pmrem: PMREMGenerator | undefined;
  private disposed = false;
  /** Worker limits: Draco and Basis (their sum is `maxWorkers`). */
  readonly workerLimits: { readonly draco: number; readonly ktx2: number };

  constructor(options: KilnLoaderOptions) {
    checkLoaderOptions(options);
    this.renderer = options.renderer;
    this.net = {
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
      retry: resolveRetry(options.retry),
      credentials: options.credentials ?? KILN_LOADER_DEFAULTS.credentials,
      headers: options.headers,
    };
    this.cdnBaseUrl = options.cdnBaseUrl;
    this.manifestUrl = options.manifestUrl === undefined ? undefined : absoluteUrl(options.manifestUrl);
    this.resolveUrl = options.resolveUrl;
    this.integrity = options.integrity ?? KILN_LOADER_DEFAULTS.integrity;
    this.missingTexture = options.missingTexture ?? KILN_LOADER_DEFAULTS.missingTexture;
    this.platform = options.platform;
    this.uploadTextures = options.uploadTextures ?? KILN_LOADER_DEFAULTS.uploadTextures;
    this.precompile = options.precompile && { scene: options.precompile.scene, camera: options.precompile.camera ?? new PerspectiveCamera() };
    this.logger = options.logger ?? { warn: (message) => console.warn(message) };
    if (options.manifest !== undefined) {
      try {
        this.manifest = parseManifest(options.manifest);
      } catch (error) {
        throw new KilnLoadError('manifest', `createKilnLoader: invalid manifest: ${messageOf(error)}`, { cause: error });
      }
    }
    const maxWorkers = options.maxWorkers ?? defaultMaxWorkers();
    this.workerLimits = { draco: Math.ceil(maxWorkers / 2), ktx2: Math.floor(maxWorkers / 2) };
    const decoderPath = withTrailingSlash(absoluteUrl(options.decoderPath ?? defaultDecoderPath()));
    this.gltf = new GLTFLoader();
    this.decoders = new DecoderSet(
      this.renderer,
      decoderPath,
      this.workerLimits,
      this.net,
      (decoder) => this.gltf.setMeshoptDecoder(decoder),
      options.decoderCompression ?? KILN_LOADER_DEFAULTS.decoderCompression,
      (message) => this.logger.warn(message),
    );
    this.gltf.setDRACOLoader(this.decoders.draco).setKTX2Loader(this.decoders.ktx2);
    this.gltf.manager = this.decoders.manager;
    this.cache = new AssetCache(options.cacheBytes ?? KILN_LOADER_DEFAULTS.cacheBytes);
  }

  /** Sets the URL supplier (see {@link KilnLoaderOptions.resolveUrl}). */
  setResolveUrl(resolveUrl: ResolveUrl | undefined): this {
    this.resolveUrl = resolveUrl;
    return this;
  }

  /** Sets whether downloads are checked against the manifest's SHA-256. */
  setIntegrity(integrity: boolean): this {
    this.integrity = integrity;
    return this;
  }

  /** Sets how a texture that fails to load is handled. */
  setMissingTexture(mode: MissingTextureMode): this {
    this.missingTexture = mode;
    return this;
  }

  /** Sets the platform whose LOD floor applies. */
  setPlatform(platform: Platform | undefined): this {
    this.platform = platform;
    return this;
  }

  /** Sets the logger. */
  setLogger(logger: KilnLogger): this {
    this.logger = logger;
    return this;
  }

  /** The platform set on the loader. */
  getPlatform(): Platform | undefined {
    return this.platform;
  }

  /** The manifest (fetched on first call with `manifestUrl`). */
  getManifest(signal?: AbortSignal): Promise<Manifest> {
    this.assertUsable('getManifest');
    if (this.manifest !== undefined) return Promise.resolve(this.manifest);
    const url = this.manifestUrl;
    if (url === undefined) {
      return Promise.reject(new KilnLoadError('manifest', 'getManifest: the loader has no manifest: pass manifest or manifestUrl to createKilnLoader, or load URLs'));
    }
    this.manifestPending ??= (async () => {
      const label = 'manifest';
      const bytes = await download(this.net, { label, url, signal: this.lifetime.signal, details: { manifestUrl: stripQuery(url) }, priority: 'high' }).catch((error: unknown) => {
        if (error instanceof KilnLoadError && error.code === 'aborted') throw error;
        throw new KilnLoadError('manifest', `manifest: could not fetch ${stripQuery(url)}: ${messageOf(error)}`, { cause: error, details: { url: stripQuery(url) } });
      });
      try {
        this.manifest = parseManifest(new TextDecoder().decode(bytes));
        return this.manifest;
      } catch (error) {
        throw new KilnLoadError('manifest', `manifest: ${stripQuery(url)} is not a valid Kiln manifest: ${messageOf(error)}`, { cause: error });
      }
    })().catch((error: unknown) => {
      this.manifestPending = undefined;
      throw error;
    });
    return raceAbort(this.manifestPending, signal, 'getManifest');
  }

  /**
   * Warms up before the first asset: fetches the manifest (with `manifestUrl`), downloads the
   * Draco decoder and Basis transcoder, starts their workers up to the limits, loads the meshopt
   * decoder, and (with `environment: true`) compiles the PMREM shader.
   *
   * @throws {@link @kiln/manifest!KilnValidationError | KilnValidationError} for options that are not booleans, or a `signal` that is not an `AbortSignal`.
   */
  async preload(options: PreloadOptions = {}): Promise<void> {
    this.assertUsable('preload');
    checkPreloadOptions(options);
    const tasks: Promise<unknown>[] = [];
    const manifest = this.manifestUrl !== undefined || this.manifest !== undefined ? this.getManifest(options.signal) : undefined;
    if (options.decoders ?? true) tasks.push(raceAbort(this.decoders.warm(), options.signal, 'preload'));
    if (manifest !== undefined) tasks.push(manifest);
    await Promise.all(tasks);
    if (options.environment === true) this.pmremGenerator().compileEquirectangularShader();
  }

  /**
   * Loads a model: a manifest asset id (or a URL), fetched by Kiln (abort, progress, retries,
   * fresh presigned URLs, integrity), parsed by GLTFLoader with the shared decoders, cached by
   * id and content hash. Resolves with your own clone; call `release()` when done with it.
   *
   * @throws {@link KilnLoadError} with code `network`, `http`, `integrity`, `decode`, `aborted` or `manifest`.
   */
  async load(source: string, options: LoadOptions = {}): Promise<KilnAsset> {
    this.assertUsable('load');
    const label = `load(${JSON.stringify(source)})`;
    throwIfAborted(options.signal, label);
    const target = await this.target(source, options.lod, label, options.signal, 'model');
    const integrity = this.integrityFor(target, options.integrity);
    const handle = await this.cache.acquire<ModelTemplate>(
      cacheKeyFor(target.cacheKey, integrity),
      (signal, progress) => this.createModel(target, integrity, signal, progress),
      { signal: options.signal, onProgress: options.onProgress, label },
    );
    const template = handle.value;
    if (this.uploadTextures) {
      // Upload now, while other assets may still be loading, rather than in the first frame.
      for (const texture of template.textures) this.renderer.initTexture(texture);
    }
    const scene = cloneScene(template.scene, template.skinned);
    // World matrices current before anyone reads bounds: a SkinnedMesh computes (and caches) its
    // bounding box from its bones' world matrices, which are stale after parsing and cloning, so
    // `Box3.setFromObject(asset.scene)` right after load was wrong for quantized skinned models.
    scene.updateMatrixWorld(true);
    if (this.precompile) {
      // Issues the compile and link calls now; the GPU process works on them while other assets
      // load, and the first frame finds the programs ready (three checks them lazily).
      this.renderer.compile(scene, this.precompile.camera, this.precompile.scene);
    }
    let released = false;
    return {
      scene,
      animations: template.animations,
      assetId: target.resolved?.assetId,
      level: target.resolved?.level,
      cacheKey: target.cacheKey,
      release: () => {
        if (released) return;
        released = true;
        scene.removeFromParent();
        disposeClone(scene);
        handle.release();
      },
    };
  }

  /**
   * Builds a `THREE.LOD` from a manifest asset's LOD variants, switching at their distances (or
   * screen coverage). Progressive by default: resolves as soon as the coarsest allowed level is
   * shown, then swaps finer levels in as they arrive (`ready` settles when all are in). The
   * platform (`'mobile'`) caps the finest level.
   */
  loadLod(assetId: string, options: LoadLodOptions = {}): Promise<KilnLod> {
    this.assertUsable('loadLod');
    return buildLod(this, assetId, options);
  }

  /**
   * Loads an HDR (Radiance) or EXR environment map and prefilters it with PMREM, ready for
   * `scene.environment`. Cached and reference-counted like models.
   */
  async loadEnvironment(source: string, options: LoadEnvironmentOptions = {}): Promise<KilnEnvironment> {
    this.assertUsable('loadEnvironment');
    const label = `loadEnvironment(${JSON.stringify(source)})`;
    throwIfAborted(options.signal, label);
    // Compiled now, while nothing awaits, it is ready when the download ends (once per generator).
    this.pmremGenerator().compileEquirectangularShader();
    const target = await this.target(source, 0, label, options.signal, 'environment');
    const integrity = this.integrityFor(target, options.integrity);
    const handle = await this.cache.acquire<EnvironmentValue>(
      cacheKeyFor(target.cacheKey, integrity),
      (signal, progress) => this.createEnvironment(target, integrity, options.format, signal, progress),
      { signal: options.signal, onProgress: options.onProgress, label },
    );
    const value = handle.value;
    if (value.target === undefined) {
      value.target = this.pmremGenerator().fromEquirectangular(value.equirect);
      value.equirect.dispose();
    }
    let released = false;
    return {
      texture: value.target.texture,
      assetId: target.resolved?.assetId,
      cacheKey: target.cacheKey,
      release: () => {
        if (released) return;
        released = true;
        handle.release();
      },
    };
  }

  /** Cache counts and bytes. */
  stats(): KilnCacheStats {
    return this.cache.stats();
  }

  /** Evicts every idle cached asset now (assets in use stay). */
  clearCache(): void {
    this.cache.evictIdle();
  }

  /**
   * Stops pending downloads, frees idle assets, terminates the decoder workers and the PMREM
   * generator. Assets still in use stay valid until released. The loader cannot be used again.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.lifetime.abort();
    this.cache.clear();
    this.decoders.dispose();
    this.pmrem?.dispose();
    this.pmrem = undefined;
  }

  /** @internal Resolves a manifest asset (for the LOD builder). */
  async resolve(assetId: string, lod: LodSelector | undefined, signal: AbortSignal | undefined): Promise<{ manifest: Manifest; resolved: ResolvedAsset }> {
    const label = `load(${JSON.stringify(assetId)})`;
    const manifest = await this.getManifest(signal).catch((error: unknown) => {
      throw this.asLoadError(error, label);
    });
    return { manifest, resolved: this.resolveIn(manifest, assetId, lod, label) };
  }

  private assertUsable(method: string): void {
    if (this.disposed) throw new KilnLoadError('aborted', `${method}: the loader was disposed`);
  }

  private pmremGenerator(): PMREMGenerator {
    this.pmrem ??= new PMREMGenerator(this.renderer);
    return this.pmrem;
  }

  private integrityFor(target: Target, option: boolean | string | undefined): string | undefined {
    if (typeof option === 'string') return option.toLowerCase();
    const wanted = option ?? this.integrity;
    if (!wanted) return undefined;
    if (target.expectedSha256 === undefined) {
      throw new KilnLoadError('integrity', `${target.label}: integrity was requested but a URL load has no hash: pass integrity as the hex SHA-256`);
    }
    return target.expectedSha256;
  }

  private asLoadError(error: unknown, label: string): KilnLoadError {
    if (error instanceof KilnLoadError) return error;
    return new KilnLoadError('manifest', `${label}: ${messageOf(error)}`, { cause: error, details: isKilnError(error) ? { ...error.details } : {} });
  }

  private resolveIn(manifest: Manifest, assetId: string, lod: LodSelector | undefined, label: string): ResolvedAsset {
    try {
      if (typeof lod === 'number') return resolveAsset(manifest, assetId, this.cdnBase({ level: lod }));
      const measures = { ...(this.platform === undefined ? {} : { platform: this.platform }), ...lod };
      return resolveAsset(manifest, assetId, this.cdnBase(measures));
    } catch (error) {
      throw this.asLoadError(error, label);
    }
  }

  private cdnBase<T extends object>(options: T): T & { cdnBaseUrl?: string } {
    return this.cdnBaseUrl === undefined ? options : { ...options, cdnBaseUrl: this.cdnBaseUrl };
  }

  private async target(source: string, lod: LodSelector | undefined, label: string, signal: AbortSignal | undefined, kind: 'model' | 'environment'): Promise<Target> {
    if (typeof source !== 'string' || source === '') throw new KilnLoadError('manifest', `${label}: the source must be an asset id or a URL`);
    const suffix = kind === 'environment' ? '|env' : '';
    if (URL_PATTERN.test(source)) {
      if (lod !== undefined && lod !== 0) {
        throw new KilnLoadError('manifest', `${label}: lod applies to manifest asset ids, not to URLs`);
      }
      const url = absoluteUrl(source);
      return { label, cacheKey: `url:${url}${suffix}`, resolved: undefined, url, expectedSha256: undefined };
    }
    const { resolved } = await this.resolve(source, lod, signal);
    return { label, cacheKey: resolved.cacheKey + suffix, resolved, url: undefined, expectedSha256: resolved.sha256 };
  }

  private async fetchTarget(target: Target, integrity: string | undefined, signal: AbortSignal, progress: ProgressTracker): Promise<{ bytes: ArrayBuffer; url: string }> {
    const { label, resolved } = target;
    const resolveUrl = this.resolveUrl;
    const urlFor = async (reason: 'initial' | 'http-403' | 'http-401' | 'network'): Promise<string> => {
      if (resolved === undefined) return target.url as string;
      if (resolveUrl === undefined) return resolved.url;
      const url = await resolveUrl({ ...resolved, reason, signal });
      if (typeof url !== 'string' || url === '') throw new Error(`resolveUrl returned ${JSON.stringify(url)} instead of a URL`);
      return absoluteUrl(url);
    };
    let url: string;
    try {
      url = await urlFor('initial');
    } catch (error) {
      throw new KilnLoadError('http', `${label}: resolveUrl failed: ${messageOf(error)}`, { cause: error, details: { assetId: resolved?.assetId } });
    }
    let lastUrl = url;
    const bytes = await download(this.net, {
      label,
      url,
      signal,
      expectedBytes: resolved?.bytes,
      onProgress: (loaded, total) => progress.update(loaded, total),
      refresh:
        resolved !== undefined && resolveUrl !== undefined
          ? async (reason) => {
              lastUrl = await urlFor(reason);
              return lastUrl;
            }
          : undefined,
      details: resolved === undefined ? {} : { assetId: resolved.assetId, level: resolved.level },
    });
    if (integrity !== undefined) {
      const actual = await sha256Hex(bytes, label);
      if (actual !== integrity) {
        throw new KilnLoadError('integrity', `${label}: SHA-256 mismatch for ${stripQuery(lastUrl)}: expected ${integrity}, got ${actual}`, {
          details: { url: stripQuery(lastUrl), expected: integrity, actual, assetId: resolved?.assetId },
        });
      }
    }
    progress.finish(bytes.byteLength);
    return { bytes, url: lastUrl };
  }

  private async createModel(target: Target, integrity: string | undefined, signal: AbortSignal, progress: ProgressTracker): Promise<ModelTemplate> {
    const { label } = target;
    const { bytes, url } = await this.fetchTarget(target, integrity, signal, progress);
    const json = readGltfJson(bytes, label);
    try {
      await this.decoders.ensure(decoderNeeds(json), signal, label);
    } catch (error) {
      if (error instanceof KilnLoadError) throw error;
      throw new KilnLoadError('decode', `${label}: decoder failed to start: ${messageOf(error)}`, { cause: error });
    }
    return parseModel(this.gltf, bytes, url, json, {
      label,
      signal,
      missingTexture: this.missingTexture,
      warn: (message) => this.logger.warn(message),
      assetId: target.resolved?.assetId,
    });
  }

  private async createEnvironment(
    target: Target,
    integrity: string | undefined,
    format: EnvironmentFormat | undefined,
    signal: AbortSignal,
    progress: ProgressTracker,
  ): Promise<EnvironmentValue> {
    const { label } = target;
    const { bytes, url } = await this.fetchTarget(target, integrity, signal, progress);
    return decodeEnvironment(bytes, format, label, url);
  }
}

/**
 * Creates a loader for one renderer: one shared DRACOLoader, KTX2Loader (`detectSupport(renderer)`)
 * and meshopt decoder, with decoder files self-hosted from `decoderPath` and fetched through a
 * channel no caller's abort reaches; at most `maxWorkers` decoder workers.
 *
 * Nothing is fetched until `preload()` or the first `load()`.
 *
 * @example
 * ```ts
 * const loader = createKilnLoader({ renderer, manifestUrl: '/assets/manifest.json', decoderPath: '/kiln-decoders/' });
 * await loader.preload();
 * const chair = await loader.load('chair', { signal, onProgress: (p) => bar.set(p.fraction ?? 0) });
 * scene.add(chair.scene);
 * // later
 * chair.release();
 * ```
 * @throws {@link @kiln/manifest!KilnValidationError | KilnValidationError} for invalid options; {@link KilnLoadError} (`manifest`) for an invalid manifest.
 */
export function createKilnLoader(options: KilnLoaderOptions): KilnLoader {
  return new KilnLoader(options);
}

/**
 * Verified and unverified loads of the same asset are cached apart: a load that asks for
 * integrity must never join a download that nobody checked.
 */
function cacheKeyFor(key: string, integrity: string | undefined): string {
  return integrity === undefined ? key : `${key}!sha256`;
}
