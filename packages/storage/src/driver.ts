import type { Readable } from 'node:stream';

/** What a driver knows about one stored object. */
export interface ObjectInfo {
  key: string;
  bytes: number;
  contentType: string;
  cacheControl?: string;
  /** User metadata (`x-amz-meta-*` on S3), lower-case keys. */
  metadata: Record<string, string>;
  /** Entity tag without quotes. Never an MD5 for multipart objects. */
  etag?: string;
  lastModified?: Date;
  /** S3 storage class when not `STANDARD` (S3 omits it for STANDARD objects). */
  storageClass?: string;
}

/** One entry of a listing. */
export interface ListedObject {
  key: string;
  bytes: number;
  lastModified?: Date;
}

/**
 * A replayable body: bytes in memory, or a file that can be opened again for every attempt.
 * Drivers never receive one-shot streams, so a failed attempt can always be retried.
 */
export type DriverBody = { kind: 'bytes'; data: Uint8Array } | { kind: 'file'; path: string };

/** A write of one whole object. */
export interface PutObjectInput {
  key: string;
  body: DriverBody;
  bytes: number;
  contentType: string;
  cacheControl: string;
  metadata: Record<string, string>;
  /** Lower-case hex SHA-256 of the body; S3 drivers also send it as `ChecksumSHA256` where supported. */
  sha256: string;
  /** Create only: when the key exists the write does not happen and `created` is false. */
  ifNoneMatch?: boolean;
  signal?: AbortSignal;
  /** Bytes sent so far. */
  onProgress?: (loaded: number) => void;
}

export interface PutObjectResult {
  /** False when `ifNoneMatch` was set and the object already existed. */
  created: boolean;
  etag?: string;
}

export interface GetObjectOptions {
  /** Inclusive byte range. */
  range?: { start: number; end?: number };
  signal?: AbortSignal;
}

export interface PresignInput {
  key: string;
  method: 'GET' | 'PUT';
  expiresIn: number;
  /** PUT: the Content-Type the uploader must send; it is signed. */
  contentType?: string;
  /** GET: response header overrides. */
  responseContentType?: string;
  responseContentDisposition?: string;
}

/** What a driver can do; the store adapts (and tests skip with a stated reason) where it cannot. */
export interface DriverCapabilities {
  /** `ifNoneMatch` is enforced atomically by the server. */
  conditionalWrites: boolean;
  /** `presign()` returns URLs the server verifies. */
  presign: boolean;
}

/**
 * The storage back end under an asset store. Keys are already validated and tenant-scoped when
 * they reach a driver: drivers do no key policy of their own. Implementations: `s3Driver`
 * (AWS SDK v3) and `fsDriver` (a local directory).
 */
export interface StorageDriver {
  readonly name: string;
  readonly capabilities: DriverCapabilities;
  putObject(input: PutObjectInput): Promise<PutObjectResult>;
  /** `undefined` when there is no such object. */
  headObject(key: string, options?: { signal?: AbortSignal }): Promise<ObjectInfo | undefined>;
  /** Throws `not_found` when there is no such object. */
  getObject(key: string, options?: GetObjectOptions): Promise<{ info: ObjectInfo; body: Readable }>;
  /** Deleting a missing key is not an error. */
  deleteObjects(keys: readonly string[]): Promise<void>;
  listObjects(prefix: string, options?: { signal?: AbortSignal }): AsyncIterable<ListedObject>;
  presign(input: PresignInput): Promise<string>;
  /** Releases sockets and handles. */
  close?(): Promise<void>;
}
