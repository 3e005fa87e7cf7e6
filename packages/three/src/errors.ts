import { KilnError, type KilnErrorOptions } from '@kiln/manifest';

/**
 * Codes of {@link KilnLoadError}:
 *
 * - `network`: the request failed without an HTTP answer (offline, DNS, CORS refused, connection
 *   reset), after every retry. Browsers report a CORS refusal as a network error.
 * - `http`: the server answered with an error status (4xx, or 5xx after every retry), or a 403
 *   that `resolveUrl` could not cure.
 * - `integrity`: the downloaded bytes do not match the manifest's SHA-256 (or SubtleCrypto is
 *   unavailable, outside a secure context).
 * - `decode`: the bytes are not a valid glTF/GLB/HDR/EXR, a decoder failed, or a texture could not
 *   be decoded while `missingTexture` is `'error'`.
 * - `aborted`: the caller's `AbortSignal` fired (or the loader was disposed).
 * - `manifest`: the manifest could not be fetched or parsed, or the asset id or LOD is not in it.
 */
export type KilnLoadErrorCode = 'network' | 'http' | 'integrity' | 'decode' | 'aborted' | 'manifest';

/**
 * A load failed. `code` says why ({@link KilnLoadErrorCode}), `details` carries the asset id,
 * the URL without its query (signatures never appear in messages) and the HTTP status when there
 * was one; `cause` holds the underlying error.
 */
export class KilnLoadError extends KilnError {
  override name = 'KilnLoadError';
  declare readonly code: KilnLoadErrorCode;

  constructor(code: KilnLoadErrorCode, message: string, options: KilnErrorOptions = {}) {
    super(code, message, options);
  }
}

const CODES: ReadonlySet<string> = new Set<KilnLoadErrorCode>(['network', 'http', 'integrity', 'decode', 'aborted', 'manifest']);

/**
 * True for a {@link KilnLoadError}, also from another copy of the package or another realm.
 * Pass `code` to test for one kind: `isKilnLoadError(error, 'aborted')`.
 */
export function isKilnLoadError(error: unknown, code?: KilnLoadErrorCode): error is KilnLoadError {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as { name?: unknown; code?: unknown };
  if (candidate.name !== 'KilnLoadError' || typeof candidate.code !== 'string' || !CODES.has(candidate.code)) return false;
  return code === undefined || candidate.code === code;
}
