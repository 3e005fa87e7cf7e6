import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { Ktx2Decoder } from './types.js';

/** The subset of the Basis Universal transcoder module (three's `basis_transcoder.js`) used here. */
interface BasisModule {
  initializeBasis(): void;
  KTX2File: new (bytes: Uint8Array) => {
    isValid(): boolean;
    getWidth(): number;
    getHeight(): number;
    startTranscoding(): boolean;
    getImageTranscodedSizeInBytes(level: number, layer: number, face: number, format: number): number;
    transcodeImage(dst: Uint8Array, level: number, layer: number, face: number, format: number, flags: number, channel0: number, channel1: number): number;
    close(): void;
    delete(): void;
  };
  transcoder_texture_format: { cTFRGBA32: { value: number } };
}

const TRANSCODER_PATH = 'three/examples/jsm/libs/basis/basis_transcoder.js';

/**
 * Creates a KTX2 decoder on the Basis Universal transcoder that `three` ships (a WASM build,
 * no download). Returns `null` when `three` is not installed. The module loads on first use.
 */
export function createBasisDecoder(): Ktx2Decoder | null {
  let jsPath: string;
  try {
    jsPath = createRequire(import.meta.url).resolve(TRANSCODER_PATH);
  } catch {
    return null;
  }
  let module: Promise<BasisModule> | undefined;
  const load = async (): Promise<BasisModule> => {
    const [source, wasmBinary] = await Promise.all([readFile(jsPath, 'utf8'), readFile(jsPath.replace(/\.js$/, '.wasm'))]);
    // The file is an Emscripten UMD script inside an ESM package, so it can be neither required
    // nor imported: evaluate it as the CommonJS module it also is.
    const holder: { exports: unknown } = { exports: {} };
    const require = createRequire(jsPath);
    new Function('module', 'exports', 'require', '__filename', '__dirname', source)(holder, holder.exports, require, jsPath, dirname(jsPath));
    const factory = holder.exports as (options: { wasmBinary: Uint8Array; print: () => void; printErr: () => void }) => Promise<BasisModule>;
    const basis = await factory({ wasmBinary, print: () => {}, printErr: () => {} });
    basis.initializeBasis();
    return basis;
  };
  return {
    async decode(ktx2: Uint8Array) {
      const basis = await (module ??= load());
      const file = new basis.KTX2File(ktx2);
      try {
        if (!file.isValid() || !file.startTranscoding()) throw new Error('invalid KTX2 file');
        const format = basis.transcoder_texture_format.cTFRGBA32.value;
        const rgba = new Uint8Array(file.getImageTranscodedSizeInBytes(0, 0, 0, format));
        if (!file.transcodeImage(rgba, 0, 0, 0, format, 0, -1, -1)) throw new Error('transcoding failed');
        return { width: file.getWidth(), height: file.getHeight(), rgba };
      } finally {
        file.close();
        file.delete();
      }
    },
  };
}
