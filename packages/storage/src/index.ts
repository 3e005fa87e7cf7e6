/**
 * `@kiln/storage`: tenant-scoped asset storage with content-hash dedup, presigned URLs and
 * multipart uploads, on S3 or a local folder.
 *
 * @module @kiln/storage
 */

export { createAssetStore, ASSET_STORE_DEFAULTS } from './store.js';
export type { AssetStore, AssetStoreOptions } from './store.js';

export { REF_CONTENT_TYPE } from './tenant.js';
export type { TenantStore, PutOptions, GetOptions, ListedArtifact, ArtifactRef } from './tenant.js';
export type { ArtifactRecord } from './artifact.js';

export { UploadHandle } from './upload.js';
export type { UploadState, UploadStatus, UploadEvents } from './upload.js';
export type { PutBody } from './source.js';

export {
  ARTIFACT_TYPES,
  MAX_FILENAME_BYTES,
  MAX_ID_LENGTH,
  TenantIdSchema,
  RunIdSchema,
  ArtifactTypeSchema,
  FilenameSchema,
  ArtifactNameSchema,
  artifactKey,
  parseArtifactKey,
  filenameProblem,
} from './keys.js';
export type { ArtifactType, ArtifactName } from './keys.js';

export {
  CONTENT_TYPE_OVERRIDES,
  DEFAULT_CONTENT_TYPE,
  SNIFF_BYTES,
  contentTypeFor,
  extensionOf,
  sniffFormat,
  resolveContentType,
} from './content-type.js';
export type { SniffedFormat } from './content-type.js';

export { ARCHIVED_STORAGE_CLASSES, BLOB_FOLDER, BLOB_REFRESH_AGE_MS, REF_META, SHA256_META, blobKey, blobNeedsRefresh, readRef } from './ref.js';

export { StorageError } from './errors.js';
export type { StorageErrorCode } from './errors.js';
export { KilnError, KilnValidationError, isKilnError } from '@kiln/manifest';

export { RETRY_DEFAULTS, backoffDelay, isRetryable } from './retry.js';
export type { RetryOptions } from './retry.js';

export type { PresignOptions } from './presign.js';
export type { UsageOptions, UsageCount, TenantUsage } from './usage.js';
export { MANIFEST_FILENAME } from './manifest-writer.js';
export type { ManifestAssetInput, WriteManifestOptions, WrittenManifest } from './manifest-writer.js';
export { ARTIFACT_TYPE_BY_EXTENSION } from './sync.js';
export type { SyncOptions, SyncProgress, SyncReport } from './sync.js';
export { GC_GRACE_MS } from './gc.js';
export type { GcOptions, GcReport } from './gc.js';

export { DEFAULT_PRICING, BYTES_PER_GB, STORAGE_CLASSES, estimateMonthlyCost } from './cost.js';
export type { Pricing, CostEstimate, CostLine, MonthlyUsage, StorageClassName } from './cost.js';

export type {
  StorageDriver,
  DriverCapabilities,
  DriverBody,
  ObjectInfo,
  ListedObject,
  PutObjectInput,
  PutObjectResult,
  GetObjectOptions,
  PresignInput,
} from './driver.js';

export { fsDriver, FS_META_DIR, FS_TMP_DIR, FS_PRESIGN_PARAMS, fsPresignSignature, verifyFsPresignSignature } from './drivers/fs.js';
export type { FsDriverOptions, FsObjectMeta } from './drivers/fs.js';
