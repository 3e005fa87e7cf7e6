import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { KilnValidationError, parseInput } from '@kiln/manifest';
import type { ArtifactRecord } from './artifact.js';
import { resolveContentType } from './content-type.js';
import type { ObjectInfo } from './driver.js';
import { StorageError, throwIfAborted } from './errors.js';
import { type ArtifactName, parseArtifactKey, resolveKey } from './keys.js';
import { blobKey, blobNeedsRefresh, BLOB_FOLDER, readRef, REF_META, SHA256_META } from './ref.js';
import { withRetry } from './retry.js';
import { assertPutBody, prepareBody, type PutBody } from './source.js';
import type { StoreContext } from './store.js';
import { UploadHandle } from './upload.js';
import { presignArtifact, deliveryUrl, type PresignOptions } from './presign.js';
import { tenantUsage, type TenantUsage, type UsageOptions } from './usage.js';
import { writeRunManifest, type WriteManifestOptions, type WrittenManifest } from './manifest-writer.js';
import { syncFolder, type SyncOptions, type SyncReport } from './sync.js';
import { collectGarbage, type GcOptions, type GcReport } from './gc.js';

/** Content type of ref objects, the zero-byte objects at an artifact's logical key. */
export const REF_CONTENT_TYPE = 'application/vnd.kiln.ref';

/** Options of `put()` and `upload()`. */
export interface PutOptions {
  signal?: AbortSignal;
  /** Overrides the store's `visibility` for this artifact. */
  visibility?: 'public' | 'private';
}

/** Options of `get()`. */
export interface GetOptions {
  /** Inclusive byte range. */
  range?: { start: number; end?: number };
  signal?: AbortSignal;
}

/** One entry of `list()`. */
export interface ListedArtifact extends ArtifactName {
  key: string;
  lastModified?: Date;
}

/** A name: an {@link ArtifactName} or the full key string of this tenant. */
export type ArtifactRef = ArtifactName | string;

/**
 * A handle on one tenant of an asset store. Every key it reads or writes lies under
 * `{tenantId}/`: names are validated segment by segment, and key strings of another tenant are
 * refused.
 */
export interface TenantStore {
  readonly tenantId: string;
  /** Stores a body under a name and resolves with its record. Same as `upload(…).done()`. */
  put(name: ArtifactRef, body: PutBody, options?: PutOptions): Promise<ArtifactRecord>;
  /** Starts an upload and returns its handle (id, status, progress events, `done()`, `abort()`). */
  upload(name: ArtifactRef, body: PutBody, options?: PutOptions): UploadHandle;
  /** The record of a stored artifact, or `undefined`. */
  head(name: ArtifactRef, options?: { signal?: AbortSignal }): Promise<ArtifactRecord | undefined>;
  /** Streams an artifact's bytes. Throws `not_found`. */
  get(name: ArtifactRef, options?: GetOptions): Promise<{ record: ArtifactRecord; body: Readable }>;
  /** Reads an artifact whole and checks its SHA-256. Throws `not_found`, or `io` on a hash mismatch. */
  getBytes(name: ArtifactRef, options?: { signal?: AbortSignal }): Promise<Uint8Array>;
  /** Lists artifacts, optionally of one run and type, in key order. */
  list(filter?: { runId?: string; artifactType?: ArtifactName['artifactType']; signal?: AbortSignal }): AsyncIterable<ListedArtifact>;
  /**
   * Takes in an object that was uploaded straight to a name (through a presigned PUT URL): hashes
   * it, stores its bytes as the tenant's content-addressed blob (deduplicated) and turns the name
   * into a ref. A name that is already a ref is returned as it is. Throws `not_found`, or
   * `content_mismatch` when the uploaded bytes contradict the extension (the upload is kept).
   */
  ingest(name: ArtifactRef, options?: PutOptions): Promise<ArtifactRecord>;
  /** Deletes an artifact's name. Its bytes stay while other names use them; `gc()` reclaims the rest. */
  delete(name: ArtifactRef): Promise<void>;
  /** A presigned GET or PUT URL for a name of this tenant. */
  presign(name: ArtifactRef, options?: PresignOptions): Promise<string>;
  /** The delivery URL of a stored artifact: CDN URL when public and a CDN is set, else presigned GET. */
  url(name: ArtifactRef): Promise<string>;
  /** Bytes and objects per artifact type, with a monthly cost estimate. */
  usage(options?: UsageOptions): Promise<TenantUsage>;
  /** Writes the asset manifest of a run and returns it with its key and URL. */
  writeManifest(options: WriteManifestOptions): Promise<WrittenManifest>;
  /** Uploads a local folder into a run, skipping unchanged files (like `aws s3 sync`). */
  sync(options: SyncOptions): Promise<SyncReport>;
  /** Deletes blobs no name refers to any more. */
  gc(options?: GcOptions): Promise<GcReport>;
}

/** @internal */
export function createTenantStore(context: StoreContext, tenantId: string): TenantStore {
  const { driver } = context;

  function recordFrom(key: string, info: ObjectInfo, blob: ObjectInfo | undefined, extra: Pick<ArtifactRecord, 'deduplicated' | 'uploadedBytes'>): ArtifactRecord {
    const name = parseArtifactKey(tenantId, key);
    if (!name) throw new StorageError('invalid_key', `storage: ${key} is not an artifact key of tenant ${tenantId}`);
    const ref = readRef(info.metadata);
    return {
      key,
      tenantId,
      ...name,
      storageKey: ref ? ref.blob : key,
      sha256: ref ? ref.sha256 : (info.metadata[SHA256_META] ?? ''),
      bytes: ref ? ref.bytes : info.bytes,
      contentType: ref ? ref.contentType : info.contentType,
      cacheControl: (ref ? blob?.cacheControl : info.cacheControl) ?? context.immutableCacheControl,
      visibility: visibilityOf(info.metadata[REF_META.visibility]) ?? context.visibility,
      ...extra,
    };
  }

  async function withUrl(record: ArtifactRecord): Promise<ArtifactRecord> {
    const url = await deliveryUrl(context, record).catch(() => undefined);
    return url === undefined ? record : { ...record, url };
  }

  async function store(handle: UploadHandle, key: string, body: PutBody, visibility: 'public' | 'private', signal: AbortSignal): Promise<ArtifactRecord> {
    const operation = `storage.put ${key}`;
    handle.update({ state: 'hashing' });
    const prepared = await prepareBody(body, {
      operation,
      maxBytes: context.maxBytes,
      tmpDir: context.tmpDir,
      signal,
      onHashProgress: (bytes) => handle.update({ bytesDone: bytes }),
    });
    try {
      const filename = key.slice(key.lastIndexOf('/') + 1);
      const contentType = resolveContentType(filename, prepared.head, 'storage.put');
      const blob = blobKey(tenantId, prepared.sha256, contentType);
      const retry = { ...context.retry, signal, name: operation };
      handle.update({ state: 'uploading', bytesDone: 0, bytesTotal: prepared.bytes });

      // Dedup: the blob key is the content hash, so the bucket itself is the index. A HEAD finds
      // stored content; `If-None-Match: *` settles the race between two writers of new content.
      const existing = await withRetry(() => driver.headObject(blob, { signal }), retry);
      let created = false;
      let sent = 0;
      if (!existing || blobNeedsRefresh(existing)) {
        // A stale or archived blob is written again, same bytes, same key (see BLOB_REFRESH_AGE_MS).
        const refresh = existing !== undefined;
        const result = await withRetry(
          () =>
            driver.putObject({
              key: blob,
              body: prepared.body,
              bytes: prepared.bytes,
              sha256: prepared.sha256,
              contentType,
              cacheControl: context.immutableCacheControl,
              metadata: { [SHA256_META]: prepared.sha256 },
              ifNoneMatch: !refresh,
              signal,
              onProgress: (loaded) => handle.update({ bytesDone: loaded }),
            }),
          retry,
        );
        created = result.created && !refresh;
        sent = result.created ? prepared.bytes : 0;
      }
      throwIfAborted(operation, signal);
      // The name is written after the bytes, so it never points at missing content.
      const refInfo = {
        contentType: REF_CONTENT_TYPE,
        cacheControl: context.mutableCacheControl,
        metadata: {
          [REF_META.ref]: '1',
          [REF_META.blob]: blob,
          [REF_META.contentType]: contentType,
          [REF_META.bytes]: String(prepared.bytes),
          [REF_META.visibility]: visibility,
          [SHA256_META]: prepared.sha256,
        },
      };
      await withRetry(
        () => driver.putObject({ key, body: { kind: 'bytes', data: new Uint8Array(0) }, bytes: 0, sha256: EMPTY_SHA256, ...refInfo, signal }),
        retry,
      );
      const record = recordFrom(
        key,
        { key, bytes: 0, ...refInfo },
        { key: blob, bytes: prepared.bytes, contentType, cacheControl: existing?.cacheControl ?? context.immutableCacheControl, metadata: {} },
        { deduplicated: !created, uploadedBytes: sent },
      );
      return await withUrl(record);
    } finally {
      await prepared.cleanup();
    }
  }

  async function head(nameOrKey: ArtifactRef, input: { signal?: AbortSignal } = {}): Promise<ArtifactRecord | undefined> {
    const key = resolveKey(tenantId, nameOrKey, 'storage.head');
    const { signal } = parseInput(signalOptionsSchema, input, 'storage.head');
    const options = signal ? { signal } : {};
    const info = await driver.headObject(key, options);
    if (!info) return undefined;
    const ref = readRef(info.metadata);
    const blob = ref ? await driver.headObject(ref.blob, options) : undefined;
    if (ref && !blob) return undefined; // the blob is gone (deleted by hand): treat the name as missing
    return withUrl(recordFrom(key, info, blob, { deduplicated: false, uploadedBytes: 0 }));
  }

  async function get(nameOrKey: ArtifactRef, input: GetOptions = {}): Promise<{ record: ArtifactRecord; body: Readable }> {
    const options = parseInput(getOptionsSchema, input, 'storage.get');
    const record = await head(nameOrKey, options.signal ? { signal: options.signal } : {});
    if (!record) throw new StorageError('not_found', `storage.get: no artifact ${resolveKey(tenantId, nameOrKey, 'storage.get')}`);
    const { range } = options;
    if (range && range.start >= record.bytes) {
      // S3 answers 416 and the fs driver an empty body: one answer for both, before the request.
      const message = `range start ${range.start} is past the end of the ${record.bytes}-byte artifact`;
      throw new KilnValidationError(`storage.get: invalid input: range.start: ${message}`, [{ path: 'range.start', message }]);
    }
    const clamped = range ? { start: range.start, end: Math.min(range.end ?? record.bytes - 1, record.bytes - 1) } : undefined;
    const { body } = await driver.getObject(record.storageKey, { ...(clamped ? { range: clamped } : {}), ...(options.signal ? { signal: options.signal } : {}) });
    return { record, body };
  }

  const tenant: TenantStore = {
    tenantId,
    put: async (name, body, options) => tenant.upload(name, body, options).done(),

    upload(name, body, options = {}) {
      const key = resolveKey(tenantId, name, 'storage.put');
      assertPutBody(body, 'storage.put');
      const { visibility = context.visibility, signal } = parseInput(putOptionsSchema, options, 'storage.put');
      const handle = new UploadHandle(key, (h, abort) => store(h, key, body, visibility, abort), signal);
      context.uploads.add(handle);
      return handle;
    },

    head,
    get,

    async getBytes(name, input = {}) {
      const { signal } = parseInput(signalOptionsSchema, input, 'storage.getBytes');
      const { record, body } = await get(name, signal ? { signal } : {});
      const chunks: Buffer[] = [];
      const hash = createHash('sha256');
      for await (const chunk of body as AsyncIterable<Buffer>) {
        chunks.push(chunk);
        hash.update(chunk);
      }
      const digest = hash.digest('hex');
      if (record.sha256 && digest !== record.sha256) {
        throw new StorageError('io', `storage.getBytes ${record.key}: content hash ${digest} does not match the stored sha256 ${record.sha256}`, {
          details: { key: record.key },
        });
      }
      return new Uint8Array(Buffer.concat(chunks));
    },

    async *list(filter = {}) {
      const prefix = [tenantId, filter.runId, filter.runId === undefined ? undefined : filter.artifactType]
        .filter((part) => part !== undefined)
        .join('/');
      // Validates the run id and the artifact type, whichever are given.
      resolveKey(tenantId, { runId: filter.runId ?? 'any', artifactType: filter.artifactType ?? 'bundle', filename: 'x' }, 'storage.list');
      for await (const item of driver.listObjects(`${prefix}/`, filter.signal ? { signal: filter.signal } : {})) {
        if (item.key.startsWith(`${tenantId}/${BLOB_FOLDER}/`)) continue;
        const parsed = parseArtifactKey(tenantId, item.key);
        if (!parsed || (filter.artifactType !== undefined && parsed.artifactType !== filter.artifactType)) continue;
        yield { key: item.key, ...parsed, ...(item.lastModified ? { lastModified: item.lastModified } : {}) };
      }
    },

    async ingest(name, options = {}) {
      const key = resolveKey(tenantId, name, 'storage.ingest');
      const info = await driver.headObject(key, options.signal ? { signal: options.signal } : {});
      if (!info) throw new StorageError('not_found', `storage.ingest: no object ${key}`, { details: { key } });
      if (readRef(info.metadata)) {
        const record = await head(key, options.signal ? { signal: options.signal } : {});
        if (record) return record;
      }
      const { body } = await driver.getObject(key, options.signal ? { signal: options.signal } : {});
      return tenant.put(key, body, options);
    },

    async delete(name) {
      await driver.deleteObjects([resolveKey(tenantId, name, 'storage.delete')]);
    },

    presign: (name, options) => presignArtifact(context, tenantId, name, options, head),

    async url(name) {
      const record = await head(name);
      if (!record) throw new StorageError('not_found', `storage.url: no artifact ${resolveKey(tenantId, name, 'storage.url')}`);
      return deliveryUrl(context, record);
    },

    usage: (options) => tenantUsage(context, tenantId, options),
    writeManifest: (options) => writeRunManifest(context, tenant, options),
    sync: (options) => syncFolder(context, tenant, options),
    gc: (options) => collectGarbage(context, tenantId, options),
  };
  return tenant;
}

const signalSchema = z.instanceof(AbortSignal, { message: 'must be an AbortSignal' }).optional();

const signalOptionsSchema = z.object({ signal: signalSchema });

const getOptionsSchema = z.object({
  range: z
    .object({
      start: z.number().int('must be a whole number').min(0, 'must be 0 or more'),
      end: z.number().int('must be a whole number').min(0, 'must be 0 or more').optional(),
    })
    .refine((r) => r.end === undefined || r.end >= r.start, { message: 'end must not be before start (the range is inclusive)', path: ['end'] })
    .optional(),
  signal: signalSchema,
});

const putOptionsSchema = z.object({
  signal: signalSchema,
  visibility: z.enum(['public', 'private']).optional(),
});

function visibilityOf(value: string | undefined): 'public' | 'private' | undefined {
  return value === 'public' || value === 'private' ? value : undefined;
}

/** SHA-256 of zero bytes. */
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
