// The S3 client the tests (and the RGW readiness check) use; free of any `vitest` import so the
// global setup can load it too.
import { S3Client } from '@aws-sdk/client-s3';
import type { S3Target } from './types.js';

/**
 * A path-style client for a test target. Both checksum options are 'WHEN_REQUIRED': with the SDK
 * default (WHEN_SUPPORTED) streamed bodies go out aws-chunked with a CRC32 trailer, which s3rver
 * stores verbatim (corrupted objects) and radosgw 16.2 rejects (411).
 */
export function makeS3Client(target: S3Target, overrides: { secretAccessKey?: string } = {}): S3Client {
  return new S3Client({
    region: target.region,
    endpoint: target.endpoint,
    forcePathStyle: true,
    credentials: {
      accessKeyId: target.accessKeyId,
      secretAccessKey: overrides.secretAccessKey ?? target.secretAccessKey,
    },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
