/**
 * Refs: the logical name of a deduplicated artifact.
 *
 * The bytes of an artifact live once per tenant in a content-addressed blob,
 * `{tenantId}/_blobs/{sha256}.{ext}`. Its logical name, `{tenantId}/{runId}/{artifactType}/{filename}`,
 * is a zero-byte object whose metadata points at the blob. A second `put` of the same bytes, with
 * the same Content-Type, under any name writes only a new ref.
 */

import mime from 'mime-types';
import { CONTENT_TYPE_OVERRIDES } from './content-type.js';

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

/**
 * A deduplicated `put` writes the blob again when the stored copy is older than this (one day),
 * or archived, so that a bucket lifecycle rule, which counts days from an object's last write,
 * counts them from the last time any name used the bytes: without it, a new run that reuses
 * 100-day-old bytes would point at an object already moved to GLACIER (unreadable without a
 * restore), or about to expire. Writing the bytes again costs one PUT; S3 charges nothing for
 * data in.
 */
export const BLOB_REFRESH_AGE_MS = 24 * 60 * 60 * 1000;

/** Storage classes whose objects cannot be read without a restore. */
export const ARCHIVED_STORAGE_CLASSES: ReadonlySet<string> = new Set(['GLACIER', 'DEEP_ARCHIVE']);

/** Whether a deduplicated `put` should write a stored blob again (see {@link BLOB_REFRESH_AGE_MS}). */
export function blobNeedsRefresh(blob: { lastModified?: Date; storageClass?: string }, now = Date.now()): boolean {
  if (blob.storageClass !== undefined && ARCHIVED_STORAGE_CLASSES.has(blob.storageClass)) return true;
  return blob.lastModified !== undefined && now - blob.lastModified.getTime() > BLOB_REFRESH_AGE_MS;
}

/** Folder, under the tenant, of the content-addressed blobs. Run ids cannot start with `_`. */
export const BLOB_FOLDER = '_blobs';

/**
 * Key of the blob holding bytes with this SHA-256 and Content-Type in this tenant:
 * `{tenantId}/_blobs/{sha256}.{ext}`, where `ext` is the type's usual extension (`glb`, `png`,
 * `jpg`, `txt`, `bin` for unknown types).
 *
 * The type is part of the address because a CDN serves a blob with the Content-Type stored on it:
 * the same bytes uploaded as `scene.gltf` and as `scene.json` must not share one blob, or the
 * second name's CDN URL would serve the first name's type.
 */
export function blobKey(tenantId: string, sha256: string, contentType: string): string {
  return `${tenantId}/${BLOB_FOLDER}/${sha256}.${blobExtension(contentType)}`;
}

const EXTENSION_BY_TYPE: ReadonlyMap<string, string> = (() => {
  // Kiln's table, first extension of each type; text/plain is `txt`, not the table's first (`glsl`).
  const byType = new Map([['text/plain', 'txt']]);
  for (const [ext, type] of Object.entries(CONTENT_TYPE_OVERRIDES)) if (!byType.has(type)) byType.set(type, ext);
  return byType;
})();

/** The usual extension of a Content-Type: Kiln's table, then `mime-types`, else `bin`. */
function blobExtension(contentType: string): string {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return EXTENSION_BY_TYPE.get(type) ?? (mime.extension(type) || 'bin');
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
