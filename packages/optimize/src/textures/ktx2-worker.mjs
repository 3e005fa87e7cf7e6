// KTX2 encoding worker (worker_threads), one Basis Universal WASM instance per worker. Plain
// JavaScript so that Node runs it from the sources as well as from dist/ (tsup copies it to
// dist/ktx2-worker.js). The pool (ktx2-pool.ts) sends raw RGBA and settings, and receives
// the .ktx2 bytes. The encoder writes progress lines to stdout; the pool starts this worker with
// `stdout: true` and drops them, so they never reach the host's output.
import { parentPort } from 'node:worker_threads';

/** @type {Promise<typeof import('ktx2-encoder')> | undefined} */
let encoderModule;

parentPort?.on('message', async (/** @type {any} */ message) => {
  const { id, rgba, width, height, settings } = message;
  try {
    encoderModule ??= import('ktx2-encoder');
    const { encodeToKTX2 } = await encoderModule;
    const bytes = await encodeToKTX2(new Uint8Array(0), {
      enableDebug: false,
      isUASTC: settings.uastc,
      isSetKTX2SRGBTransferFunc: settings.srgb,
      isPerceptual: settings.srgb,
      isNormalMap: settings.normalMap,
      generateMipmap: settings.mipmaps,
      qualityLevel: settings.etc1sQuality,
      compressionLevel: settings.etc1sEffort,
      uastcLDRQualityLevel: settings.uastcQuality,
      needSupercompression: settings.zstd,
      enableRDO: settings.rdo,
      isYFlip: false,
      imageDecoder: async () => ({ width, height, data: rgba }),
    });
    parentPort?.postMessage({ id, ok: true, bytes }, [bytes.buffer]);
  } catch (error) {
    parentPort?.postMessage({ id, ok: false, message: error instanceof Error ? error.message : String(error) });
  }
});
