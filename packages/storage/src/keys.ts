import { z } from 'zod';
import { StorageError } from './errors.js';
import { BLOB_FOLDER } from './ref.js';

/** The kinds of artifact a key can hold; the third segment of every key. */
export const ARTIFACT_TYPES = [
  'image',
  'video',
  'audio',
  'bundle',
  'model_3d',
  'texture',
  'environment_map',
  'shader',
] as const;

/** One of {@link ARTIFACT_TYPES}. */
export type ArtifactType = (typeof ARTIFACT_TYPES)[number];

/** Longest filename, in UTF-8 bytes (the common file-system limit). */
export const MAX_FILENAME_BYTES = 255;
/** Longest tenant or run id, in characters. */
export const MAX_ID_LENGTH = 128;

/** The logical name of an artifact: `{tenantId}/{runId}/{artifactType}/{filename}`. */
export interface ArtifactName {
  runId: string;
  artifactType: ArtifactType;
  filename: string;
}

// Ids are plain ASCII: they become folder names, URL path segments and metric labels.
// They cannot start with `_` (reserved for `_blobs`) or `.`.
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function idSchema(field: string) {
  return z
    .string({ error: `${field} must be a string` })
    .min(1, `${field} must not be empty`)
    .max(MAX_ID_LENGTH, `${field} must be at most ${MAX_ID_LENGTH} characters`)
    .regex(ID_PATTERN, `${field} must start with a letter or digit and hold only A-Z a-z 0-9 . _ -`)
    .refine((value) => !value.includes('..'), `${field} must not contain ".."`);
}

/** A tenant id: 1-128 of `A-Z a-z 0-9 . _ -`, starting with a letter or digit, no `..`. */
export const TenantIdSchema = idSchema('tenantId');
/** A run id, with the rules of {@link TenantIdSchema}. */
export const RunIdSchema = idSchema('runId');
/** One of {@link ARTIFACT_TYPES}. */
export const ArtifactTypeSchema = z.enum(ARTIFACT_TYPES, {
  error: (issue) => `artifactType must be one of ${ARTIFACT_TYPES.join(', ')}; got ${JSON.stringify(issue.input)}`,
});

/**
 * Why a filename is unsafe, or `undefined` when it is safe. Filenames may hold any printable
 * Unicode, but neither they nor their NFKC compatibility form (which folds `／` into `/` and `‥`
 * into `..`) may hold a separator, a control or format character, a percent-encoded byte, or be
 * `.`/`..`-like; they may not start with `.` or white space either.
 */
export function filenameProblem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (new TextEncoder().encode(name).length > MAX_FILENAME_BYTES) return `must be at most ${MAX_FILENAME_BYTES} bytes of UTF-8`;
  if (name !== name.normalize('NFC')) return 'must be in Unicode NFC form';
  for (const form of new Set([name, name.normalize('NFKC'), name.normalize('NFKD')])) {
    if (form === '.' || form === '..') return 'must not be "." or ".."';
    if (/[/\\]/.test(form)) return 'must not contain "/" or "\\" (also after Unicode compatibility normalisation)';
    if (/[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\u2028\u2029]/u.test(form)) return 'must not contain control, format or unassigned characters';
    if (/%[0-9A-Fa-f]{2}/.test(form)) return 'must not contain percent-encoded bytes';
    if (form.startsWith('.')) return 'must not start with "."';
    if (/^\s|\s$/u.test(form)) return 'must not start or end with white space';
  }
  return undefined;
}

/** A safe filename; see {@link filenameProblem} for the rules. */
export const FilenameSchema = z
  .string({ error: 'filename must be a string' })
  .superRefine((value, ctx) => {
    const problem = filenameProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: `filename ${problem}` });
  });

/** Schema of an {@link ArtifactName}. */
export const ArtifactNameSchema = z.object({
  runId: RunIdSchema,
  artifactType: ArtifactTypeSchema,
  filename: FilenameSchema,
});

/** Throws `StorageError` (code `invalid_key`) naming the field when `value` is not a safe id. */
export function assertTenantId(value: unknown, operation: string): string {
  const result = TenantIdSchema.safeParse(value);
  if (result.success) return result.data;
  throw keyError(operation, 'tenantId', result.error.issues[0]?.message ?? 'invalid');
}

/**
 * Validates an artifact name and returns its key, `{tenantId}/{runId}/{artifactType}/{filename}`.
 * Every segment is checked, so the key always lies under `{tenantId}/` and never under the blob
 * folder.
 */
export function artifactKey(tenantId: string, name: unknown, operation: string): string {
  const tenant = assertTenantId(tenantId, operation);
  const result = ArtifactNameSchema.safeParse(name);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue?.path.length ? issue.path.join('.') : 'name';
    throw keyError(operation, field, issue?.message ?? 'invalid');
  }
  const { runId, artifactType, filename } = result.data;
  return `${tenant}/${runId}/${artifactType}/${filename}`;
}

/** Splits a key of this tenant back into its name, or `undefined` when it is not an artifact key. */
export function parseArtifactKey(tenantId: string, key: string): ArtifactName | undefined {
  const parts = key.split('/');
  if (parts.length !== 4 || parts[0] !== tenantId || parts[1] === BLOB_FOLDER) return undefined;
  const result = ArtifactNameSchema.safeParse({ runId: parts[1], artifactType: parts[2], filename: parts[3] });
  return result.success ? result.data : undefined;
}

/**
 * Accepts either an {@link ArtifactName} or a full key string of this tenant and returns the
 * validated key. A key string of another tenant is refused.
 */
export function resolveKey(tenantId: string, nameOrKey: ArtifactName | string, operation: string): string {
  if (typeof nameOrKey !== 'string') return artifactKey(tenantId, nameOrKey, operation);
  const parts = nameOrKey.split('/');
  if (parts.length !== 4 || parts[0] !== tenantId) {
    throw keyError(operation, 'key', `must be "${tenantId}/{runId}/{artifactType}/{filename}" in this tenant`);
  }
  return artifactKey(tenantId, { runId: parts[1], artifactType: parts[2], filename: parts[3] }, operation);
}

function keyError(operation: string, field: string, message: string): StorageError {
  const text = message.startsWith(field) ? message : `${field}: ${message}`;
  return new StorageError('invalid_key', `${operation}: invalid key: ${text}`, { details: { field } });
}
