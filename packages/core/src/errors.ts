import { KilnError, KilnValidationError, type KilnErrorOptions } from '@kiln/manifest';

/**
 * Codes of {@link CoreError}. Stable: match on them, not on messages.
 *
 * - `template_invalid`: a prompt template that does not parse (an unclosed `{`, an empty name).
 * - `template_unknown_variable`: a template names a variable that has no value and no default.
 * - `csv_invalid`: a CSV file that is not RFC 4180 (an unclosed quote, a ragged row, no header).
 * - `csv_missing_columns`: the header lacks a column the template or the request needs.
 * - `csv_row_invalid`: a row's values fail the asset request schema (the message names row and column).
 * - `asset_name_invalid`: a name that breaks `[category]_[asset-name]_[variant]_[size].[ext]`.
 * - `pipeline_invalid`: a DAG with a cycle, a missing dependency, a duplicate or unknown step.
 * - `backend_unknown`: a step names a backend the client was not given.
 * - `not_found`: no run or step with that id.
 * - `conflict`: a compare-and-set lost (the record's version moved on); reread and retry.
 * - `invalid_transition`: a state change the step state machine forbids.
 * - `review_conflict`: a review decision that contradicts the one already applied.
 * - `backpressure`: the queue is deeper than `limits.maxQueued`; `details.etaMs` says when to retry.
 * - `store_locked`: another live process holds the journal's lock file.
 * - `store_corrupt`: the journal or snapshot fails its checksum before its tail.
 * - `store_failed`: an earlier write or fsync failed; the store refuses further writes.
 * - `closed`: the client or store was closed.
 */
export type CoreErrorCode =
  | 'template_invalid'
  | 'template_unknown_variable'
  | 'csv_invalid'
  | 'csv_missing_columns'
  | 'csv_row_invalid'
  | 'asset_name_invalid'
  | 'pipeline_invalid'
  | 'backend_unknown'
  | 'not_found'
  | 'conflict'
  | 'invalid_transition'
  | 'review_conflict'
  | 'backpressure'
  | 'store_locked'
  | 'store_corrupt'
  | 'store_failed'
  | 'closed';

/** Every failure of @kiln/core other than input validation and backend failures. */
export class CoreError extends KilnError {
  override name = 'CoreError';
  declare readonly code: CoreErrorCode;

  constructor(code: CoreErrorCode, message: string, options: KilnErrorOptions = {}) {
    super(code, message, options);
  }
}

/** True for a {@link CoreError} with this code (works across package copies: checks `name` and `code`). */
export function isCoreError(error: unknown, code?: CoreErrorCode): error is CoreError {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: unknown; code?: unknown };
  return e.name === 'CoreError' && (code === undefined || e.code === code);
}

/**
 * A bad option or configuration given to a Kiln constructor (a backend, a webhook receiver, a
 * style profile): a {@link KilnValidationError} (code `invalid_input`) whose message names the
 * field. Thrown before anything is sent or written. @internal
 */
export function invalidOption(message: string, options: KilnErrorOptions & { path?: string } = {}): KilnValidationError {
  // Messages read `<who>: <field> …`; `path` names the field where the sentence does not start with it.
  const { path, ...rest } = options;
  const field = path ?? /^[^:]*: ([A-Za-z_][\w.]*)/.exec(message)?.[1];
  return new KilnValidationError(message, [{ path: field ?? 'options', message }], rest);
}
