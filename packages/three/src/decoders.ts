import { LoadingManager, type WebGLRenderer } from 'three';
import { DRACOLoader } from 'three/examples/jsm/loaders/DRACOLoader.js';
import type { GLTFLoader } from 'three/examples/jsm/loaders/GLTFLoader.js';
import { KTX2Loader } from 'three/examples/jsm/loaders/KTX2Loader.js';
import { isKilnLoadError, KilnLoadError } from './errors.js';
import { download, messageOf, type NetContext } from './fetch.js';
import { canGunzip, gunzipIfGzip } from './gunzip.js';
import { raceAbort } from './signal.js';
import { fromBase64, WARMUP_DRACO, WARMUP_KTX2 } from './warmup-data.js';

/** The meshopt decoder object `GLTFLoader.setMeshoptDecoder` takes. @internal */
export type MeshoptDecoderLike = NonNullable<Parameters<GLTFLoader['setMeshoptDecoder']>[0]>;

/** Which decoders an asset needs. @internal */
export interface DecoderNeeds {
  draco: boolean;
  ktx2: boolean;
  meshopt: boolean;
}

/**
 * How decoder files travel. `'gzip'` fetches the `<file>.gz` copies this package ships beside
 * each file (about 40% of the bytes: 335 KB instead of 835 KB for Draco and Basis) and inflates
 * them in the browser, whatever the server's compression; a missing `.gz` falls back to the plain
 * file with a warning. `'none'` fetches the plain files.
 */
export type DecoderCompression = 'gzip' | 'none';

/**
 * Files each decoder fetches, relative to `decoderPath` (copied from `three` into this package's
 * `decoders/`, each with a `.gz` copy beside it).
 */
export const DECODER_FILES = {
  draco: ['draco/draco_wasm_wrapper.js', 'draco/draco_decoder.wasm'],
  ktx2: ['basis/basis_transcoder.js', 'basis/basis_transcoder.wasm'],
} as const;

interface DracoInternals {
  decoderPending: Promise<void> | null;
}

/**
 * The loader's one set of decoders: a DRACOLoader, a KTX2Loader (`detectSupport(renderer)`) and
 * the meshopt decoder, on a private LoadingManager that nothing ever aborts.
 *
 * Decoder files are downloaded by Kiln itself (retries, never a caller's AbortSignal) and handed
 * to three's loaders as blob: URLs through the manager's URL modifier, so three's own decoder
 * fetch cannot fail or be aborted, and a failed download leaves the loaders untouched (three
 * caches a failed decoder download for good: an abort at that moment breaks a DRACOLoader).
 * @internal
 */
export class DecoderSet {
  readonly manager = new LoadingManager();
  readonly draco: DRACOLoader;
  readonly ktx2: KTX2Loader;
  private readonly blobUrls = new Map<string, string>();
  private readonly controller = new AbortController();
  private readonly renderer: WebGLRenderer;
  private dracoReady: Promise<void> | undefined;
  private ktx2Ready: Promise<void> | undefined;
  private meshoptReady: Promise<MeshoptDecoderLike> | undefined;
  private ktx2Initialized = false;
  private ktx2InitPending = false;
  private ktx2Detected = false;
  private warmed: Promise<void> | undefined;
  private disposed = false;

  constructor(
    renderer: WebGLRenderer,
    private readonly decoderPath: string,
    readonly limits: { draco: number; ktx2: number },
    private readonly net: NetContext,
    private readonly onMeshopt: (decoder: MeshoptDecoderLike) => void,
    private readonly compression: DecoderCompression,
    private readonly warn: (message: string) => void,
  ) {
    this.manager.setURLModifier((url) => this.blobUrls.get(url) ?? url);
    this.draco = new DRACOLoader(this.manager).setDecoderPath(`${decoderPath}draco/`).setWorkerLimit(limits.draco);
    this.ktx2 = new KTX2Loader(this.manager).setTranscoderPath(`${decoderPath}basis/`).setWorkerLimit(limits.ktx2);
    // detectSupport() waits in ensureKtx2(): its WebGL queries are synchronous round trips to the
    // GPU process, better spent while the Basis files download than before they start.
    this.renderer = renderer;
  }

  /** Makes the decoders in `needs` ready; `signal` only stops the waiting, never the download. */
  async ensure(needs: DecoderNeeds, signal: AbortSignal | undefined, label: string): Promise<void> {
    const pending: Promise<unknown>[] = [];
    if (needs.draco) pending.push(this.ensureDraco());
    if (needs.ktx2) pending.push(this.ensureKtx2());
    if (needs.meshopt) pending.push(this.ensureMeshopt());
    await raceAbort(Promise.all(pending), signal, label);
  }

  /**
   * Downloads every decoder and starts the workers up to their limits (once). Each decoder's
   * workers start as soon as that decoder is in, without waiting for the others.
   */
  warm(): Promise<void> {
    // dispose() terminates workers in the middle of their warm-up decodes, whose callbacks then
    // never run: stop waiting for them on dispose.
    const start = (name: string, count: number, parse: Parameters<typeof startWorkers>[1]) => {
      this.assertLive(name);
      return raceAbort(startWorkers(count, parse), this.controller.signal, name);
    };
    this.warmed ??= Promise.all([
      this.ensureDraco().then(() => start('Draco decoder', this.limits.draco, (done, fail) => this.draco.parse(fromBase64(WARMUP_DRACO), done, fail))),
      this.ensureKtx2().then(() => start('Basis transcoder', this.limits.ktx2, (done, fail) => this.ktx2.parse(fromBase64(WARMUP_KTX2), done, fail))),
      this.ensureMeshopt(),
    ]).then(
      () => undefined,
      (error: unknown) => {
        this.warmed = undefined;
        throw error;
      },
    );
    return this.warmed;
  }

  private ensureDraco(): Promise<void> {
    this.dracoReady ??= (async () => {
      await this.fetchAsBlobs(DECODER_FILES.draco, 'Draco decoder');
      this.draco.preload();
      await (this.draco as unknown as DracoInternals).decoderPending;
      this.revoke(DECODER_FILES.draco);
      this.assertLive('Draco decoder');
    })().catch((error: unknown) => {
      this.dracoReady = undefined;
      throw error;
    });
    return this.dracoReady;
  }

  private ensureKtx2(): Promise<void> {
    this.ktx2Ready ??= (async () => {
      const files = this.fetchAsBlobs(DECODER_FILES.ktx2, 'Basis transcoder');
      if (!this.ktx2Detected) {
        this.ktx2.detectSupport(this.renderer);
        this.ktx2Detected = true;
      }
      await files;
      this.ktx2Initialized = true;
      this.ktx2InitPending = true;
      try {
        await this.ktx2.init();
      } finally {
        this.ktx2InitPending = false;
      }
      this.revoke(DECODER_FILES.ktx2);
      if (this.disposed) {
        // dispose() left it to us: init() had not finished setting the loader up.
        this.ktx2.dispose();
        this.assertLive('Basis transcoder');
      }
    })().catch((error: unknown) => {
      this.ktx2Ready = undefined;
      throw error;
    });
    return this.ktx2Ready;
  }

  private ensureMeshopt(): Promise<MeshoptDecoderLike> {
    this.meshoptReady ??= (async () => {
      // Imported on first use: the module compiles its WASM when it is evaluated.
      const module = (await import('three/examples/jsm/libs/meshopt_decoder.module.js')) as { MeshoptDecoder: MeshoptDecoderLike };
      const decoder = module.MeshoptDecoder;
      await decoder.ready;
      this.onMeshopt(decoder);
      return decoder;
    })().catch((error: unknown) => {
      this.meshoptReady = undefined;
      throw new KilnLoadError('decode', `meshopt decoder: could not load: ${messageOf(error)}`, { cause: error });
    });
    return this.meshoptReady;
  }

  private async fetchAsBlobs(files: readonly string[], name: string): Promise<void> {
    const buffers = await Promise.all(files.map((file) => this.fetchFile(file, name)));
    if (this.disposed) throw new KilnLoadError('aborted', `${name}: the loader was disposed`);
    files.forEach((file, i) => {
      this.blobUrls.set(this.decoderPath + file, URL.createObjectURL(new Blob([buffers[i] as ArrayBuffer])));
    });
  }

  /** One decoder file: its `.gz` copy when compression is on and the browser can inflate it. */
  private async fetchFile(file: string, name: string): Promise<ArrayBuffer> {
    const get = (path: string) =>
      download(this.net, { label: `${name} ${path}`, url: this.decoderPath + path, signal: this.controller.signal, details: { decoder: path }, priority: 'high' });
    if (this.compression === 'gzip' && canGunzip()) {
      let why: string;
      try {
        const bytes = await gunzipIfGzip(await get(`${file}.gz`), `${name} ${file}.gz`);
        if (looksLikeDecoderFile(file, bytes)) return bytes;
        why = "answered with neither gzip nor the file (a single-page app's fallback page?)";
      } catch (error) {
        const status = isKilnLoadError(error) ? error.details?.['status'] : undefined;
        // 403: S3 and CloudFront answer a missing key with 403 when listing is not allowed.
        if (status !== 404 && status !== 403) throw error;
        why = `answered ${String(status)}`;
      }
      this.warn(
        `@kiln/three: ${this.decoderPath}${file}.gz ${why}; fetching the uncompressed ${file} instead. ` +
          "Serve the whole decoders/ folder of @kiln/three (it has a .gz beside each file), or set decoderCompression: 'none'.",
      );
    }
    return get(file);
  }

  private revoke(files: readonly string[]): void {
    for (const file of files) {
      const url = this.blobUrls.get(this.decoderPath + file);
      if (url !== undefined) URL.revokeObjectURL(url);
      this.blobUrls.delete(this.decoderPath + file);
    }
  }

  /** Throws the `aborted` error once the set is disposed: nothing may start a worker after that. */
  private assertLive(name: string): void {
    if (this.disposed) throw new KilnLoadError('aborted', `${name}: the loader was disposed`);
  }

  /**
   * Terminates the workers, stops decoder downloads, frees the blob URLs. A decode that three
   * has already been asked for cannot start a worker afterwards: both limits drop to zero (three
   * would otherwise start one once its decoder files are in, and nothing would terminate it).
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.controller.abort();
    this.draco.setWorkerLimit(0).dispose();
    this.ktx2.setWorkerLimit(0);
    // KTX2Loader counts its active instances in init() and uncounts in dispose(); while init()
    // is still under way, ensureKtx2() disposes once it returns.
    if (this.ktx2Initialized && !this.ktx2InitPending) this.ktx2.dispose();
    for (const url of this.blobUrls.values()) URL.revokeObjectURL(url);
    this.blobUrls.clear();
  }
}

/**
 * Runs `count` tiny decodes at once, so that a three.js decoder loader starts that many workers
 * (it starts one per concurrent task, up to its limit), and disposes of what they decode.
 */
function startWorkers(count: number, parse: (done: (decoded: { dispose(): void }) => void, fail: (error: unknown) => void) => void): Promise<void> {
  const one = () =>
    new Promise<void>((resolve, reject) => {
      parse((decoded) => {
        decoded.dispose();
        resolve();
      }, reject);
    });
  return Promise.all(Array.from({ length: count }, one)).then(() => undefined);
}

/**
 * A cheap check that `bytes` are the decoder file they claim to be: WebAssembly starts with
 * `\0asm`; JavaScript does not start with `<` (an HTML page served for a path the host lacks).
 * @internal
 */
export function looksLikeDecoderFile(file: string, bytes: ArrayBuffer): boolean {
  const head = new Uint8Array(bytes, 0, Math.min(64, bytes.byteLength));
  if (file.endsWith('.wasm')) return head[0] === 0x00 && head[1] === 0x61 && head[2] === 0x73 && head[3] === 0x6d;
  const first = head.find((byte) => byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d && byte !== 0xef && byte !== 0xbb && byte !== 0xbf);
  return first !== undefined && first !== 0x3c;
}
