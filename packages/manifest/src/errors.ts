import type { z } from 'zod';

/** Options shared by every {@link KilnError}. */
export interface KilnErrorOptions {
  /** The underlying error, kept for debugging (`error.cause`). */
  cause?: unknown;
  /** Structured context: the offending field, the key, the HTTP status, … */
  details?: Record<string, unknown>;
}

const KILN_ERROR = Symbol.for('kiln.error');

/**
 * Base class of every error Kiln throws on purpose. Each error has a stable, machine-readable
 * `code` (snake_case) and a message that names the operation and the offending input.
 *
 * Use {@link isKilnError} rather than `instanceof`: it also recognises errors from another copy
 * of the package or another realm (a worker, an iframe).
 */
export class KilnError extends Error {
  override name = 'KilnError';
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>>;
  readonly [KILN_ERROR] = true;

  constructor(code: string, message: string, options: KilnErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** One problem found while validating input, with the path of the offending field. */
export interface ValidationIssue {
  /** Dotted path of the field, such as `assets.0.sha256`; empty for the input itself. */
  path: string;
  message: string;
}

/** Input failed validation at a public edge. `issues` names every offending field. */
export class KilnValidationError extends KilnError {
  override name = 'KilnValidationError';
  readonly issues: readonly ValidationIssue[];

  constructor(message: string, issues: readonly ValidationIssue[], options: KilnErrorOptions = {}) {
    super('invalid_input', message, { ...options, details: { ...options.details, issues } });
    this.issues = issues;
  }
}

/** True for any error thrown by Kiln, across package copies and realms. */
export function isKilnError(error: unknown): error is KilnError {
  return typeof error === 'object' && error !== null && (error as { [KILN_ERROR]?: unknown })[KILN_ERROR] === true;
}

/** Formats a zod issue path as `a.b.0.c`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((part) => (typeof part === 'symbol' ? part.toString() : String(part))).join('.');
}

/**
 * Parses `input` with `schema`, throwing a {@link KilnValidationError} whose message starts with
 * `prefix` and names each offending field, such as
 * `storage.put: invalid input: runId: must not be ".."`.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, prefix: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
  const summary = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
  throw new KilnValidationError(`${prefix}: invalid input: ${summary}`, issues, { cause: result.error });
}

/** Codes of {@link ManifestError}. */
export type ManifestErrorCode = 'manifest_invalid' | 'manifest_version_unsupported';

/**
 * A manifest was rejected.
 *
 * - `manifest_invalid`: not JSON, not an object, a missing or malformed `manifestVersion`, or a
 *   field that breaks the schema. `issues` names every offending field (`assets.0.sha256`).
 * - `manifest_version_unsupported`: a MAJOR version newer than this reader, or an older MAJOR
 *   with no registered migration. Upgrade the reader (or register the migration).
 */
export class ManifestError extends KilnError {
  override name = 'ManifestError';
  declare readonly code: ManifestErrorCode;
  /** Every offending field, with its dotted path; empty when the problem is not one field's. */
  readonly issues: readonly ValidationIssue[];

  constructor(
    code: ManifestErrorCode,
    message: string,
    issues: readonly ValidationIssue[] = [],
    options: KilnErrorOptions = {},
  ) {
    super(code, message, { ...options, details: { ...options.details, issues } });
    this.issues = issues;
  }
}

/** Codes of {@link ResolveError}. */
export type ResolveErrorCode = 'asset_not_found' | 'lod_not_found' | 'manifest_unresolvable';

/**
 * An asset of a valid manifest could not be resolved to a URL.
 *
 * - `asset_not_found`: no asset has the requested id.
 * - `lod_not_found`: an explicit `level` beyond the asset's LOD variants.
 * - `manifest_unresolvable`: the chosen level has no `url` and neither the options nor the
 *   manifest give a `cdnBaseUrl` to join its `key` to.
 */
export class ResolveError extends KilnError {
  override name = 'ResolveError';
  declare readonly code: ResolveErrorCode;

  constructor(code: ResolveErrorCode, message: string, options: KilnErrorOptions = {}) {
    super(code, message, options);
  }
}
