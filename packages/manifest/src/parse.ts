import type { z } from 'zod';
import { formatPath, ManifestError, type ValidationIssue } from './errors.js';
import { ManifestSchema, type Asset, type Manifest } from './schema.js';
import { CURRENT_MANIFEST_VERSION, isPlainObject, MANIFEST_MIGRATIONS, migrate, type MigrationRegistry } from './version.js';

/** Options of {@link parseManifest} and {@link safeParseManifest}. */
export interface ParseManifestOptions {
  /** Migration steps for manifests of an older MAJOR. Default: {@link MANIFEST_MIGRATIONS}. */
  migrations?: MigrationRegistry;
}

/** Defaults of {@link ParseManifestOptions}. */
export const PARSE_MANIFEST_DEFAULTS: Required<ParseManifestOptions> = { migrations: MANIFEST_MIGRATIONS };

/**
 * Reads a manifest: parses JSON text if given a string, checks `manifestVersion`, migrates an
 * older MAJOR, then validates every field. Unknown fields are kept.
 *
 * @example
 * ```ts
 * const manifest = parseManifest(await (await fetch(manifestUrl)).text());
 * ```
 * @throws {@link ManifestError} `manifest_invalid` (the message and `issues` name every
 *   offending field path) or `manifest_version_unsupported`.
 */
export function parseManifest(input: unknown, options: ParseManifestOptions = {}): Manifest {
  const value = toObject(input, 'parseManifest');
  const migrated = migrate(value, options.migrations ?? PARSE_MANIFEST_DEFAULTS.migrations, 'parseManifest');
  return validate(migrated, 'parseManifest');
}

/** Result of {@link safeParseManifest}. */
export type SafeParseManifestResult =
  | { success: true; data: Manifest; error?: undefined }
  | { success: false; data?: undefined; error: ManifestError };

/**
 * {@link parseManifest} that returns `{ success: false, error }` instead of throwing a
 * {@link ManifestError}.
 */
export function safeParseManifest(input: unknown, options: ParseManifestOptions = {}): SafeParseManifestResult {
  try {
    return { success: true, data: parseManifest(input, options) };
  } catch (error) {
    if (error instanceof ManifestError) return { success: false, error };
    throw error;
  }
}

/** Options of {@link createManifest}. */
export interface CreateManifestOptions {
  /** Tenant the assets belong to. */
  tenantId: string;
  /** Generation run that produced the assets. */
  runId?: string;
  /** Absolute http(s) URL that asset keys are relative to (no query string or fragment). */
  cdnBaseUrl?: string;
  /** The assets; ids must be unique. */
  assets: readonly Asset[];
  /** Generation time. Default: the current time. */
  generatedAt?: string | Date;
}

/**
 * Builds and validates a manifest of the current version ({@link CURRENT_MANIFEST_VERSION}),
 * for producers. `generatedAt` defaults to the current time (pass it for reproducible output).
 *
 * @example
 * ```ts
 * const manifest = createManifest({ tenantId: 'acme', cdnBaseUrl: 'https://cdn.example.com', assets });
 * const json = JSON.stringify(manifest);
 * ```
 * @throws {@link ManifestError} `manifest_invalid`, naming every offending field path.
 */
export function createManifest(options: CreateManifestOptions): Manifest {
  const generatedAt = options.generatedAt ?? new Date();
  if (generatedAt instanceof Date && Number.isNaN(generatedAt.getTime())) {
    const message = 'must be a valid Date or ISO 8601 date-time';
    throw new ManifestError('manifest_invalid', `createManifest: invalid manifest: generatedAt: ${message}`, [
      { path: 'generatedAt', message },
    ]);
  }
  const manifest: Record<string, unknown> = {
    manifestVersion: CURRENT_MANIFEST_VERSION,
    tenantId: options.tenantId,
    generatedAt: generatedAt instanceof Date ? generatedAt.toISOString() : generatedAt,
    assets: options.assets,
  };
  if (options.runId !== undefined) manifest['runId'] = options.runId;
  if (options.cdnBaseUrl !== undefined) manifest['cdnBaseUrl'] = options.cdnBaseUrl;
  return validate(manifest, 'createManifest');
}

function toObject(input: unknown, prefix: string): Readonly<Record<string, unknown>> {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (error) {
      const message = `not valid JSON (${error instanceof Error ? error.message : String(error)})`;
      throw new ManifestError('manifest_invalid', `${prefix}: invalid manifest: ${message}`, [{ path: '', message }], {
        cause: error,
      });
    }
  }
  if (!isPlainObject(value)) {
    const message = 'expected a manifest object or its JSON text';
    throw new ManifestError('manifest_invalid', `${prefix}: invalid manifest: ${message}`, [{ path: '', message }]);
  }
  return value;
}

function validate(value: unknown, prefix: string): Manifest {
  const result = ManifestSchema.safeParse(value, { error: requiredError });
  if (result.success) return result.data;
  const issues = toIssues(result.error);
  const summary = issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join('; ');
  throw new ManifestError('manifest_invalid', `${prefix}: invalid manifest: ${summary}`, issues, {
    cause: result.error,
  });
}

/** Names a missing field `required` rather than "expected string, received undefined". */
function requiredError(issue: z.core.$ZodRawIssue): string | undefined {
  const missing = issue.input === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_value');
  return missing ? 'required' : undefined;
}

function toIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}
