import { KilnLoadError } from './errors.js';

/** True when `bytes` start with the gzip magic number (RFC 1952: 1f 8b). @internal */
export function isGzip(bytes: ArrayBuffer): boolean {
  const head = new Uint8Array(bytes, 0, Math.min(2, bytes.byteLength));
  return head[0] === 0x1f && head[1] === 0x8b;
}

/** True where the browser can inflate gzip itself (`DecompressionStream`). @internal */
export function canGunzip(): boolean {
  return typeof globalThis.DecompressionStream === 'function';
}

/**
 * Inflates a `.gz` file's bytes with the browser's `DecompressionStream` (no library needed).
 * Bytes that are not gzip are returned as they are: a server that labels `.gz` files with
 * `Content-Encoding: gzip` has the browser inflate them before we see them.
 * @internal
 */
export async function gunzipIfGzip(bytes: ArrayBuffer, label: string): Promise<ArrayBuffer> {
  if (!isGzip(bytes)) return bytes;
  try {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    return await new Response(stream).arrayBuffer();
  } catch (error) {
    throw new KilnLoadError('decode', `${label}: not a valid gzip file: ${(error as Error).message}`, { cause: error });
  }
}
