import { StorageError, type StorageErrorCode } from '../errors.js';

interface S3LikeError {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const CODE_BY_NAME: Readonly<Record<string, StorageErrorCode>> = {
  NoSuchBucket: 'bucket_not_found',
  NoSuchKey: 'not_found',
  NotFound: 'not_found',
  AccessDenied: 'access_denied',
  InvalidAccessKeyId: 'access_denied',
  SignatureDoesNotMatch: 'access_denied',
  ExpiredToken: 'access_denied',
  Forbidden: 'access_denied',
  AbortError: 'aborted',
  NotImplemented: 'unsupported',
};

/** True for S3's 412 answer to `If-None-Match: *` on an existing key. */
export function isPreconditionFailed(error: unknown): boolean {
  const e = error as S3LikeError | undefined;
  return e?.name === 'PreconditionFailed' || e?.$metadata?.httpStatusCode === 412;
}

/** Maps an AWS SDK error to a {@link StorageError}, keeping it as `cause`. */
export function toStorageError(error: unknown, operation: string, where: { bucket: string; key: string }): StorageError {
  if (error instanceof StorageError) return error;
  const e = (error ?? {}) as S3LikeError;
  const name = e.name ?? e.Code ?? e.code ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  let code: StorageErrorCode = CODE_BY_NAME[name] ?? 'io';
  if (code === 'io' && status === 404) code = 'not_found';
  if (code === 'io' && status === 403) code = 'access_denied';
  if (code === 'io' && status === 501) code = 'unsupported';
  const what = code === 'bucket_not_found' ? `bucket ${where.bucket} does not exist` : `${name}${status ? ` (HTTP ${status})` : ''}: ${e.message ?? ''}`.trim();
  return new StorageError(code, `${operation} ${where.bucket}/${where.key}: ${what}`, {
    cause: error,
    details: { bucket: where.bucket, key: where.key, ...(status ? { status } : {}), s3Code: name },
  });
}
