// Helpers for tests that run against the S3 servers started by test/setup/servers.ts.
import { inject } from 'vitest';
import type { S3Target } from './types.js';

export { makeS3Client } from './client.js';
export { createTestBucket, httpStatus, type TestBucket } from './bucket.js';
export type { S3Target } from './types.js';

/** The servers this run started (KILN_TEST_S3 decides which); empty for KILN_TEST_S3=none. */
export function s3Targets(): S3Target[] {
  return inject('s3Targets') ?? [];
}
