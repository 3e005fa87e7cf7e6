import { StorageError, abortError } from '../errors.js';

/**
 * What an S3-compatible server answered when it refused a bucket configuration request.
 * @example
 * ```ts
 * { code: 'InvalidArgument', httpStatus: 400, message: 'UnknownError' } // Ceph RGW 16, SSE-S3 without a key backend
 * ```
 */
export interface ServerErrorInfo {
  /** The S3 error code, such as `NotImplemented`, `InvalidArgument`, `MalformedXML`. */
  code: string;
  /** HTTP status of the answer. */
  httpStatus: number;
  /** The server's message (or the SDK's, when the server sent none). */
  message: string;
  /** Kiln's reading of the answer, when the code alone would mislead. */
  hint?: string;
}

/** Codes that mean the server does not implement the request at all. */
const UNSUPPORTED_CODES: ReadonlySet<string> = new Set(['NotImplemented', 'MethodNotAllowed']);
/**
 * CreateBucket's answers. A bucket configuration `PUT` (`?versioning`, `?intelligent-tiering`) only
 * gets them from a server that ignores the subresource and takes the request for CreateBucket
 * (s3rver does): the server does not implement the item.
 */
const CREATE_BUCKET_CODES: ReadonlySet<string> = new Set(['BucketAlreadyExists', 'BucketAlreadyOwnedByYou']);
/** Codes that mean the credentials or the signature are refused. */
const ACCESS_CODES: ReadonlySet<string> = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AllAccessDisabled',
  'ExpiredToken',
  'InvalidToken',
]);

interface SdkErrorShape {
  name?: unknown;
  Code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/**
 * The server's answer inside an SDK error, or `undefined` when the request never got one (network
 * failure, abort, a bug).
 * @internal
 */
export function serverErrorOf(error: unknown): ServerErrorInfo | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as SdkErrorShape;
  const status = e.$metadata?.httpStatusCode;
  if (typeof status !== 'number') return undefined;
  const code = typeof e.Code === 'string' ? e.Code : typeof e.name === 'string' ? e.name : 'Unknown';
  const message = typeof e.message === 'string' && e.message !== '' ? e.message : code;
  return { code, httpStatus: status, message };
}

/**
 * True when the server says it does not implement the request: HTTP 501, or `NotImplemented` /
 * `MethodNotAllowed`.
 * @internal
 */
export function isUnsupported(info: ServerErrorInfo): boolean {
  return info.httpStatus === 501 || UNSUPPORTED_CODES.has(info.code);
}

/**
 * True when a configuration `PUT` got a CreateBucket answer (`BucketAlreadyExists`,
 * `BucketAlreadyOwnedByYou`): the server ignored the subresource.
 * @internal
 */
export function isMisroutedToCreateBucket(info: ServerErrorInfo): boolean {
  return CREATE_BUCKET_CODES.has(info.code);
}

/** Codes of refused credentials or permissions. @internal */
export function isAccessCode(code: string): boolean {
  return ACCESS_CODES.has(code);
}

/**
 * Rethrows what must stop a whole bucket setup as a {@link StorageError}: an abort (`aborted`),
 * a missing bucket (`bucket_not_found`), refused credentials (`access_denied`), and failures with
 * no server answer (`io`). Returns the server's answer for everything else.
 * @internal
 */
export function classifyOrThrow(
  error: unknown,
  operation: string,
  context: {
    bucket: string;
    /** The setup item, or `'bucket'` for the HeadBucket check (whose 404/403 answers have no code). */
    item: string;
    signal?: AbortSignal | undefined;
    details?: Record<string, unknown>;
    /** Return `AccessDenied` instead of throwing it (the caller knows a better reading). */
    allowAccessDenied?: boolean;
  },
): ServerErrorInfo {
  const details = { bucket: context.bucket, item: context.item, ...context.details };
  if (context.signal?.aborted || (error instanceof Error && error.name === 'AbortError')) {
    const aborted = abortError(operation, context.signal);
    throw new StorageError('aborted', aborted.message, { cause: error, details });
  }
  const info = serverErrorOf(error);
  if (info === undefined) {
    const message = error instanceof Error ? error.message : String(error);
    throw new StorageError('io', `${operation}: ${context.item} on bucket "${context.bucket}" failed without a server answer: ${message}`, {
      cause: error,
      details,
    });
  }
  if (info.code === 'NoSuchBucket' || (context.item === 'bucket' && info.httpStatus === 404)) {
    throw new StorageError('bucket_not_found', `${operation}: bucket "${context.bucket}" does not exist`, {
      cause: error,
      details: { ...details, httpStatus: info.httpStatus, serverCode: info.code },
    });
  }
  if (context.allowAccessDenied && info.code === 'AccessDenied') return info;
  if (ACCESS_CODES.has(info.code) || (context.item === 'bucket' && info.httpStatus === 403)) {
    throw new StorageError(
      'access_denied',
      `${operation}: ${info.code} on ${context.item} of bucket "${context.bucket}": check the credentials and their permissions`,
      { cause: error, details: { ...details, httpStatus: info.httpStatus, serverCode: info.code } },
    );
  }
  return info;
}
