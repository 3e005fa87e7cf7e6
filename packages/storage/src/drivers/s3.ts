import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  paginateListObjectsV2,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { z } from 'zod';
import { parseInput } from '@kiln/manifest';
import type {
  GetObjectOptions,
  ListedObject,
  ObjectInfo,
  PresignInput,
  PutObjectInput,
  PutObjectResult,
  StorageDriver,
} from '../driver.js';
import { abortError, throwIfAborted } from '../errors.js';
import { isPreconditionFailed, toStorageError } from './s3-errors.js';

/** Options of {@link s3Driver}. */
export interface S3DriverOptions {
  /** The client; build one with {@link createS3Client} for non-AWS servers. */
  client: S3Client;
  bucket: string;
  /** Bodies larger than this go through a multipart upload. Default 5 MiB. */
  multipartThreshold?: number;
  /** Multipart part size. Default 8 MiB (memory use is about `partSize × queueSize`). */
  partSize?: number;
  /** Parts in flight per upload. Default 4. */
  queueSize?: number;
  /**
   * Whether the server enforces `If-None-Match: *` (AWS S3, Ceph RGW, MinIO: yes; s3rver: no).
   * Without it, two processes storing the same new content at once may both upload it; the
   * content is identical, so nothing is lost, but the second upload is not saved. Default true.
   */
  conditionalWrites?: boolean;
  /** Send the body's SHA-256 as `ChecksumSHA256` on single-part uploads. Default true. */
  checksumSha256?: boolean;
}

/** Defaults of {@link S3DriverOptions}. */
export const S3_DRIVER_DEFAULTS = {
  multipartThreshold: 5 * 1024 * 1024,
  partSize: 8 * 1024 * 1024,
  queueSize: 4,
  conditionalWrites: true,
  checksumSha256: true,
} as const satisfies Required<Omit<S3DriverOptions, 'client' | 'bucket'>>;

const MIN_PART_SIZE = 5 * 1024 * 1024;

const optionsSchema = z.object({
  client: z.custom<S3Client>((value) => typeof (value as S3Client | undefined)?.send === 'function', 'must be an S3Client'),
  bucket: z.string().min(3, 'must be at least 3 characters').max(63),
  multipartThreshold: z.number().int().min(MIN_PART_SIZE, 'must be at least 5 MiB, the S3 minimum part size').optional(),
  partSize: z.number().int().min(MIN_PART_SIZE, 'must be at least 5 MiB, the S3 minimum part size').optional(),
  queueSize: z.number().int().min(1).max(64).optional(),
  conditionalWrites: z.boolean().optional(),
  checksumSha256: z.boolean().optional(),
});

/** Options of {@link createS3Client}. */
export interface CreateS3ClientOptions {
  /** Leave out for AWS S3; set for RGW, MinIO, R2, … */
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Path-style addressing; default true when `endpoint` is set. */
  forcePathStyle?: boolean;
  /** SDK attempts per request (retries with exponential backoff and jitter). Default 4. */
  maxAttempts?: number;
  /** Any other S3ClientConfig, applied last. */
  config?: S3ClientConfig;
}

/**
 * An S3 client configured to work the same on AWS S3 and on S3-compatible servers.
 *
 * Both checksum options are `WHEN_REQUIRED`. Since client-s3 3.729 the default
 * (`WHEN_SUPPORTED`) adds CRC32 checksums to every upload: streamed bodies then go out as
 * `aws-chunked` with a trailer, which Ceph RGW 16 refuses (411) and s3rver stores as corrupted
 * data, and presigned PUT URLs carry the CRC32 of an empty body, which R2 and MinIO reject.
 * Integrity does not suffer: Kiln hashes every body with SHA-256 itself, stores the hash in the
 * object metadata and sends it as `ChecksumSHA256` on single-part uploads.
 */
export function createS3Client(options: CreateS3ClientOptions = {}): S3Client {
  return new S3Client({
    region: options.region ?? 'us-east-1',
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
    maxAttempts: options.maxAttempts ?? 4,
    retryMode: 'standard',
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...options.config,
  });
}

/**
 * A storage driver on S3 or an S3-compatible server, with AWS SDK v3. The client is injected
 * and is never closed by the driver.
 *
 * @example
 * ```ts
 * const driver = s3Driver({ client: createS3Client({ region: 'eu-north-1' }), bucket: 'game-assets' });
 * ```
 */
export function s3Driver(options: S3DriverOptions): StorageDriver {
  const parsed = parseInput(optionsSchema, options, 's3Driver');
  const { client, bucket } = parsed;
  const o = {
    multipartThreshold: parsed.multipartThreshold ?? S3_DRIVER_DEFAULTS.multipartThreshold,
    partSize: parsed.partSize ?? S3_DRIVER_DEFAULTS.partSize,
    queueSize: parsed.queueSize ?? S3_DRIVER_DEFAULTS.queueSize,
    conditionalWrites: parsed.conditionalWrites ?? S3_DRIVER_DEFAULTS.conditionalWrites,
    checksumSha256: parsed.checksumSha256 ?? S3_DRIVER_DEFAULTS.checksumSha256,
  };
  const where = (key: string) => ({ bucket, key });

  async function putObject(input: PutObjectInput): Promise<PutObjectResult> {
    throwIfAborted('s3Driver.putObject', input.signal);
    const params: PutObjectCommandInput = {
      Bucket: bucket,
      Key: input.key,
      ContentType: input.contentType,
      CacheControl: input.cacheControl,
      Metadata: input.metadata,
      ContentLength: input.bytes,
      ...(input.ifNoneMatch ? { IfNoneMatch: '*' } : {}),
    };
    try {
      if (input.bytes <= o.multipartThreshold) {
        const data = input.body.kind === 'bytes' ? input.body.data : await readSmallFile(input.body.path);
        const result = await client.send(
          new PutObjectCommand({
            ...params,
            Body: data,
            ...(o.checksumSha256 ? { ChecksumSHA256: Buffer.from(input.sha256, 'hex').toString('base64') } : {}),
          }),
          input.signal ? { abortSignal: input.signal } : {},
        );
        input.onProgress?.(input.bytes);
        return { created: true, ...(result.ETag ? { etag: unquote(result.ETag) } : {}) };
      }
      return await multipart(params, input);
    } catch (error) {
      if (input.signal?.aborted) throw abortError(`s3Driver.putObject ${input.key}`, input.signal);
      if (input.ifNoneMatch && isPreconditionFailed(error)) return { created: false };
      throw toStorageError(error, 's3Driver.putObject', where(input.key));
    }
  }

  async function multipart(params: PutObjectCommandInput, input: PutObjectInput): Promise<PutObjectResult> {
    const abortController = new AbortController();
    const onAbort = () => abortController.abort(input.signal?.reason);
    input.signal?.addEventListener('abort', onAbort, { once: true });
    const upload = new Upload({
      client,
      params: { ...params, Body: input.body.kind === 'bytes' ? input.body.data : createReadStream(input.body.path, { highWaterMark: 1 << 20 }) },
      partSize: o.partSize,
      queueSize: o.queueSize,
      leavePartsOnError: false,
      abortController,
    });
    upload.on('httpUploadProgress', (progress) => {
      if (progress.loaded !== undefined) input.onProgress?.(progress.loaded);
    });
    try {
      const result = await upload.done();
      return { created: true, ...(result.ETag ? { etag: unquote(result.ETag) } : {}) };
    } catch (error) {
      await abortLeftoverParts(upload, input.key);
      throw error;
    } finally {
      input.signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * lib-storage rejects `done()` on abort before its part uploads have settled, and aborts the
   * multipart upload only when they have; a part that lands after that abort can leave an
   * orphan. So once `done()` has failed, wait for lib-storage's uploaders (an internal field,
   * read defensively), then abort the upload ourselves and check that none is left for the key.
   */
  async function abortLeftoverParts(upload: Upload, key: string): Promise<void> {
    const internals = upload as unknown as { concurrentUploaders?: Promise<unknown>[]; uploadId?: string };
    await Promise.allSettled(internals.concurrentUploaders ?? []);
    const ids = new Set<string>(internals.uploadId ? [internals.uploadId] : []);
    try {
      const listed = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }));
      for (const entry of listed.Uploads ?? []) if (entry.Key === key && entry.UploadId) ids.add(entry.UploadId);
    } catch {
      // Servers without ListMultipartUploads (s3rver): abort the one we know.
    }
    for (const UploadId of ids) {
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId })).catch(() => undefined);
    }
  }

  return {
    name: 's3',
    capabilities: { conditionalWrites: o.conditionalWrites, presign: true },
    putObject,

    async headObject(key, options = {}): Promise<ObjectInfo | undefined> {
      try {
        const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), options.signal ? { abortSignal: options.signal } : {});
        return toInfo(key, head);
      } catch (error) {
        const mapped = toStorageError(error, 's3Driver.headObject', where(key));
        if (mapped.code === 'not_found') return undefined;
        throw mapped;
      }
    },

    async getObject(key, options: GetObjectOptions = {}): Promise<{ info: ObjectInfo; body: Readable }> {
      const range = options.range ? `bytes=${options.range.start}-${options.range.end ?? ''}` : undefined;
      try {
        const result = await client.send(
          new GetObjectCommand({ Bucket: bucket, Key: key, ...(range ? { Range: range } : {}) }),
          options.signal ? { abortSignal: options.signal } : {},
        );
        return { info: toInfo(key, result), body: result.Body as Readable };
      } catch (error) {
        if (options.signal?.aborted) throw abortError(`s3Driver.getObject ${key}`, options.signal);
        throw toStorageError(error, 's3Driver.getObject', where(key));
      }
    },

    async deleteObjects(keys): Promise<void> {
      for (let i = 0; i < keys.length; i += 1000) {
        const batch = keys.slice(i, i + 1000);
        try {
          const result = await client.send(
            new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
          );
          const failed = (result.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
          if (failed.length > 0) {
            throw Object.assign(new Error(`${failed[0]?.Code}: ${failed[0]?.Message}`), { name: failed[0]?.Code ?? 'DeleteFailed' });
          }
        } catch (error) {
          throw toStorageError(error, 's3Driver.deleteObjects', { bucket, key: batch[0] ?? '' });
        }
      }
    },

    async *listObjects(prefix, options = {}): AsyncIterable<ListedObject> {
      try {
        for await (const page of paginateListObjectsV2({ client, pageSize: 1000 }, { Bucket: bucket, Prefix: prefix })) {
          throwIfAborted('s3Driver.listObjects', options.signal);
          for (const item of page.Contents ?? []) {
            if (item.Key === undefined) continue;
            yield { key: item.Key, bytes: item.Size ?? 0, ...(item.LastModified ? { lastModified: item.LastModified } : {}) };
          }
        }
      } catch (error) {
        throw toStorageError(error, 's3Driver.listObjects', { bucket, key: prefix });
      }
    },

    async presign(input: PresignInput): Promise<string> {
      const command =
        input.method === 'PUT'
          ? new PutObjectCommand({ Bucket: bucket, Key: input.key, ...(input.contentType ? { ContentType: input.contentType } : {}) })
          : new GetObjectCommand({
              Bucket: bucket,
              Key: input.key,
              ...(input.responseContentType ? { ResponseContentType: input.responseContentType } : {}),
              ...(input.responseContentDisposition ? { ResponseContentDisposition: input.responseContentDisposition } : {}),
            });
      // Content-Type is not signed unless asked for: a PUT URL would accept any type.
      return getSignedUrl(client, command, {
        expiresIn: input.expiresIn,
        ...(input.method === 'PUT' && input.contentType ? { signableHeaders: new Set(['content-type']) } : {}),
      });
    },
  };
}

async function readSmallFile(path: string): Promise<Uint8Array> {
  const { readFile } = await import('node:fs/promises');
  return readFile(path);
}

function unquote(etag: string): string {
  return etag.replace(/^W\//, '').replace(/^"|"$/g, '');
}

function toInfo(
  key: string,
  head: {
    ContentLength?: number | undefined;
    ContentType?: string | undefined;
    CacheControl?: string | undefined;
    Metadata?: Record<string, string> | undefined;
    ETag?: string | undefined;
    LastModified?: Date | undefined;
    StorageClass?: string | undefined;
  },
): ObjectInfo {
  return {
    key,
    bytes: head.ContentLength ?? 0,
    contentType: head.ContentType ?? 'application/octet-stream',
    ...(head.CacheControl ? { cacheControl: head.CacheControl } : {}),
    metadata: lowerKeys(head.Metadata ?? {}),
    ...(head.ETag ? { etag: unquote(head.ETag) } : {}),
    ...(head.LastModified ? { lastModified: head.LastModified } : {}),
    ...(head.StorageClass && head.StorageClass !== 'STANDARD' ? { storageClass: head.StorageClass } : {}),
  };
}

function lowerKeys(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k.toLowerCase(), v]));
}
