import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { parseInput } from '@kiln/manifest';
import type { StorageDriver } from './driver.js';
import { assertTenantId } from './keys.js';
import { RETRY_DEFAULTS, type RetryOptions } from './retry.js';
import { createTenantStore, type TenantStore } from './tenant.js';
import { UploadRegistry, type UploadStatus } from './upload.js';

/** Options of {@link createAssetStore}. */
export interface AssetStoreOptions {
  /** Where the objects live: `s3Driver(…)` or `fsDriver(…)`. */
  driver: StorageDriver;
  /**
   * Public base URL of the CDN in front of the bucket (CloudFront, or the local CDN server).
   * With it, public artifacts get CDN URLs; without it, presigned URLs.
   */
  cdnBaseUrl?: string;
  /** `public` artifacts are delivered by CDN URL when `cdnBaseUrl` is set; `private` ones always by presigned URL. Default `public`. */
  visibility?: 'public' | 'private';
  /** Largest body accepted, in bytes. Default 5 GiB. */
  maxBytes?: number;
  /** Lifetime of presigned URLs, in seconds (at most 7 days). Default 3600. */
  presignExpiresIn?: number;
  /** Cache-Control of content-hashed objects. Default `public, max-age=31536000, immutable`. */
  immutableCacheControl?: string;
  /** Cache-Control of objects under mutable names (refs, manifests). Default `public, max-age=60`. */
  mutableCacheControl?: string;
  /** Folder for spool files of streamed bodies. Default `<os tmpdir>/kiln`. */
  tmpDir?: string;
  /** Retries of failed writes; see {@link RetryOptions}. */
  retry?: RetryOptions;
  /** Parallel requests of bulk operations (usage scans, sync). Default 8. */
  concurrency?: number;
  /** How many finished uploads `uploads.get()` still knows. Default 1000. */
  retainFinishedUploads?: number;
}

/** Defaults of {@link AssetStoreOptions}. */
export const ASSET_STORE_DEFAULTS = {
  visibility: 'public',
  maxBytes: 5 * 1024 ** 3,
  presignExpiresIn: 3600,
  immutableCacheControl: 'public, max-age=31536000, immutable',
  mutableCacheControl: 'public, max-age=60',
  concurrency: 8,
  retainFinishedUploads: 1000,
} as const;

const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

const optionsSchema = z.object({
  driver: z.custom<StorageDriver>(
    (value) => typeof (value as StorageDriver | undefined)?.putObject === 'function',
    'must be a storage driver such as s3Driver(…) or fsDriver(…)',
  ),
  cdnBaseUrl: z
    .url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' })
    .refine((url) => {
      // Kiln appends `/{tenant}/_blobs/…` to it: a query, fragment or credentials would end up
      // before the key (`…?token=abc/acme/_blobs/…`).
      const parsed = new URL(url);
      return parsed.search === '' && parsed.hash === '' && parsed.username === '' && parsed.password === '' && !url.includes('?') && !url.includes('#');
    }, 'must be a base URL without a query, fragment or credentials (Kiln appends the key to it)')
    .optional(),
  visibility: z.enum(['public', 'private']).optional(),
  maxBytes: z.number().int().positive().optional(),
  presignExpiresIn: z.number().int().min(1).max(MAX_PRESIGN_SECONDS, 'must be at most 604800 (7 days, the SigV4 limit)').optional(),
  immutableCacheControl: z.string().min(1).optional(),
  mutableCacheControl: z.string().min(1).optional(),
  tmpDir: z.string().min(1).optional(),
  retry: z
    .object({
      attempts: z.number().int().min(1).max(20).optional(),
      baseDelayMs: z.number().min(0).optional(),
      maxDelayMs: z.number().min(0).optional(),
    })
    .optional(),
  concurrency: z.number().int().min(1).max(256).optional(),
  retainFinishedUploads: z.number().int().min(0).optional(),
});

/** Resolved options shared by a store's tenant handles. @internal */
export interface StoreContext {
  driver: StorageDriver;
  cdnBaseUrl: string | undefined;
  visibility: 'public' | 'private';
  maxBytes: number;
  presignExpiresIn: number;
  immutableCacheControl: string;
  mutableCacheControl: string;
  tmpDir: string;
  retry: Required<RetryOptions>;
  concurrency: number;
  uploads: UploadRegistry;
}

/** An asset store: hand out tenant handles, follow uploads. */
export interface AssetStore {
  /** A handle that can read and write only this tenant's keys. Throws `invalid_key` for a bad id. */
  tenant(tenantId: string): TenantStore;
  /** Uploads of this store by id: `get(id)`, `list()`, `wait(id)`. */
  readonly uploads: Pick<UploadRegistry, 'get' | 'list' | 'wait'>;
  /** The driver, for bucket-level operations. */
  readonly driver: StorageDriver;
  /** Closes the driver. */
  close(): Promise<void>;
}

/**
 * Creates an asset store on a driver.
 *
 * @example
 * ```ts
 * import { createAssetStore, fsDriver } from '@kiln/storage';
 *
 * const store = createAssetStore({ driver: fsDriver({ root: './assets' }), cdnBaseUrl: 'http://127.0.0.1:8787' });
 * const tenant = store.tenant('acme');
 * const record = await tenant.put({ runId: 'run-1', artifactType: 'model_3d', filename: 'crate.glb' }, glbBytes);
 * console.log(record.url, record.deduplicated);
 * ```
 */
export function createAssetStore(options: AssetStoreOptions): AssetStore {
  const o = parseInput(optionsSchema, options, 'createAssetStore');
  const uploads = new UploadRegistry(o.retainFinishedUploads ?? ASSET_STORE_DEFAULTS.retainFinishedUploads);
  const context: StoreContext = {
    driver: o.driver,
    cdnBaseUrl: o.cdnBaseUrl?.replace(/\/+$/, ''),
    visibility: o.visibility ?? ASSET_STORE_DEFAULTS.visibility,
    maxBytes: o.maxBytes ?? ASSET_STORE_DEFAULTS.maxBytes,
    presignExpiresIn: o.presignExpiresIn ?? ASSET_STORE_DEFAULTS.presignExpiresIn,
    immutableCacheControl: o.immutableCacheControl ?? ASSET_STORE_DEFAULTS.immutableCacheControl,
    mutableCacheControl: o.mutableCacheControl ?? ASSET_STORE_DEFAULTS.mutableCacheControl,
    tmpDir: o.tmpDir ?? join(tmpdir(), 'kiln'),
    retry: {
      attempts: o.retry?.attempts ?? RETRY_DEFAULTS.attempts,
      baseDelayMs: o.retry?.baseDelayMs ?? RETRY_DEFAULTS.baseDelayMs,
      maxDelayMs: o.retry?.maxDelayMs ?? RETRY_DEFAULTS.maxDelayMs,
    },
    concurrency: o.concurrency ?? ASSET_STORE_DEFAULTS.concurrency,
    uploads,
  };
  return {
    tenant: (tenantId) => createTenantStore(context, assertTenantId(tenantId, 'store.tenant')),
    uploads,
    driver: o.driver,
    close: async () => {
      await o.driver.close?.();
    },
  };
}

export type { UploadStatus };
