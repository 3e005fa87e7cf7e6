import { KilnError, type KilnErrorOptions } from '@kiln/manifest';

/**
 * Codes of {@link OptimizeError}.
 *
 * - `not_gltf`: the input is neither a GLB nor glTF 2.0 JSON.
 * - `truncated_glb`: a GLB shorter than its header or chunk lengths say, or a buffer view past
 *   the end of its buffer.
 * - `missing_resource`: a `.gltf` (or GLB) refers to an external `.bin` or image that was not given.
 * - `unsupported_extension`: `extensionsRequired` names an extension Kiln cannot read.
 * - `invalid_gltf`: glTF the reader rejects for another reason (the message says which).
 * - `image_decode`: an embedded or external image that cannot be decoded.
 * - `budget_unreachable`: `maxTriangles` cannot be met within the simplification error bound.
 * - `validation_failed`: the output has validator errors or warnings the input did not have.
 * - `encoder_failed`: a texture or geometry encoder failed.
 * - `aborted`: the caller's `signal` fired.
 */
export type OptimizeErrorCode =
  | 'not_gltf'
  | 'truncated_glb'
  | 'missing_resource'
  | 'unsupported_extension'
  | 'invalid_gltf'
  | 'image_decode'
  | 'budget_unreachable'
  | 'validation_failed'
  | 'encoder_failed'
  | 'aborted';

/** `optimize` or a helper rejected its input or could not meet a requested guarantee. */
export class OptimizeError extends KilnError {
  override name = 'OptimizeError';
  declare readonly code: OptimizeErrorCode;

  constructor(code: OptimizeErrorCode, message: string, options: KilnErrorOptions = {}) {
    super(code, message, options);
  }
}

/** @internal Throws `OptimizeError` (`aborted`) when `signal` has fired. */
export function throwIfAborted(signal: AbortSignal | null | undefined, label: string): void {
  if (signal?.aborted) throw new OptimizeError('aborted', `${label}: aborted`, { cause: signal.reason });
}
