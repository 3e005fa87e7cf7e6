import type { ArtifactType } from './keys.js';

/** What `put()` and `head()` return for a stored artifact. */
export interface ArtifactRecord {
  /** The artifact's logical key: `{tenantId}/{runId}/{artifactType}/{filename}`. */
  key: string;
  tenantId: string;
  runId: string;
  artifactType: ArtifactType;
  filename: string;
  /** Key of the object that holds the bytes: the content-addressed blob, or `key` itself for plain objects. */
  storageKey: string;
  /** Lower-case hex SHA-256 of the bytes. */
  sha256: string;
  bytes: number;
  contentType: string;
  /** Cache-Control of the object that holds the bytes. */
  cacheControl: string;
  /** `public` artifacts are delivered by CDN URL when the store has a `cdnBaseUrl`; `private` ones by presigned URL. */
  visibility: 'public' | 'private';
  /** Delivery URL: the CDN URL of the hashed blob when public and a CDN is configured, else a presigned GET URL. */
  url?: string;
  /** True when the bytes were already stored in this tenant, so no new blob was made. */
  deduplicated: boolean;
  /**
   * Bytes actually sent to storage by this call: 0 when deduplicated, except when the stored blob
   * was over a day old or archived and was written again (see `BLOB_REFRESH_AGE_MS`).
   */
  uploadedBytes: number;
}
