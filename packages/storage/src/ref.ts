/**
 * Refs: the logical name of a deduplicated artifact.
 *
 * The bytes of an artifact live once per tenant in a content-addressed blob,
 * `{tenantId}/_blobs/{sha256}`. Its logical name, `{tenantId}/{runId}/{artifactType}/{filename}`,
 * is a zero-byte object whose metadata points at the blob. A second `put` of the same bytes under
 * any name writes only a new ref.
 */

/** Metadata keys of a ref object (S3 user metadata, lower case). */
export const REF_META = {
  /** Marks the object as a ref; value `1`. */
  ref: 'kiln-ref',
  /** Key of the blob that holds the bytes. */
  blob: 'kiln-blob',
  /** Content type of the artifact (the ref itself is empty). */
  contentType: 'kiln-content-type',
  /** Size of the artifact in bytes. */
  bytes: 'kiln-bytes',
  /** `public` or `private`: how `url()` delivers it. */
  visibility: 'kiln-visibility',
} as const;

/** Metadata key of the lower-case hex SHA-256 of the bytes, on blobs, refs and plain objects. */
export const SHA256_META = 'sha256';

/** Folder, under the tenant, of the content-addressed blobs. Run ids cannot start with `_`. */
export const BLOB_FOLDER = '_blobs';

/** Key of the blob holding bytes with this SHA-256 in this tenant. */
export function blobKey(tenantId: string, sha256: string): string {
  return `${tenantId}/${BLOB_FOLDER}/${sha256}`;
}

/** The ref fields of an object's metadata, or `undefined` when the object is not a ref. */
export function readRef(
  metadata: Record<string, string>,
): { blob: string; sha256: string; contentType: string; bytes: number } | undefined {
  if (metadata[REF_META.ref] !== '1') return undefined;
  const blob = metadata[REF_META.blob];
  const sha256 = metadata[SHA256_META];
  const contentType = metadata[REF_META.contentType];
  const bytes = Number(metadata[REF_META.bytes]);
  if (!blob || !sha256 || !contentType || !Number.isSafeInteger(bytes)) return undefined;
  return { blob, sha256, contentType, bytes };
}
