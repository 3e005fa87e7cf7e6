import { KilnLoadError } from './errors.js';

/** SHA-256 of `bytes` as lowercase hex, with SubtleCrypto (secure contexts only). @internal */
export async function sha256Hex(bytes: ArrayBuffer, label: string): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle === undefined) {
    throw new KilnLoadError(
      'integrity',
      `${label}: integrity needs SubtleCrypto, which browsers only offer in secure contexts (https:// or http://localhost)`,
    );
  }
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes));
  let hex = '';
  for (const byte of digest) hex += byte.toString(16).padStart(2, '0');
  return hex;
}
