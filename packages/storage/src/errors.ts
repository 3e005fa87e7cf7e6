import { KilnError, type KilnErrorOptions } from '@kiln/manifest';

/**
 * Codes of {@link StorageError}. Stable: match on them, not on messages.
 *
 * - `invalid_key`: a tenant, run, artifact type or filename that would not make a safe key.
 * - `content_mismatch`: the body's magic bytes contradict its extension.
 * - `too_large`: the body is over `maxBytes`.
 * - `not_found`: no object under that name.
 * - `bucket_not_found`: the bucket does not exist.
 * - `access_denied`: wrong credentials, an expired or tampered signature, a forbidden key.
 * - `aborted`: the caller's `AbortSignal` fired.
 * - `upload_failed`: the server refused or lost the upload after retries.
 * - `unsupported`: the driver or server cannot do this (for example presign on a driver without it).
 * - `io`: any other storage failure; `cause` holds the original error.
 */
export type StorageErrorCode =
  | 'invalid_key'
  | 'content_mismatch'
  | 'too_large'
  | 'not_found'
  | 'bucket_not_found'
  | 'access_denied'
  | 'aborted'
  | 'upload_failed'
  | 'unsupported'
  | 'io';

/** Every failure of @kiln/storage. `code` says what went wrong; `details` holds the key or field. */
export class StorageError extends KilnError {
  override name = 'StorageError';
  declare readonly code: StorageErrorCode;

  constructor(code: StorageErrorCode, message: string, options: KilnErrorOptions = {}) {
    super(code, message, options);
  }
}

/** The error thrown when a caller's signal aborts an operation. */
export function abortError(operation: string, signal?: AbortSignal): StorageError {
  return new StorageError('aborted', `${operation}: aborted`, { cause: signal?.reason });
}

/** Throws {@link abortError} if `signal` has fired. */
export function throwIfAborted(operation: string, signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(operation, signal);
}
