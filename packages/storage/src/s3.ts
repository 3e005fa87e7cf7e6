/**
 * `@kiln/storage/s3`: the S3 driver and bucket setup. A subpath of its own so that only hosts
 * that use S3 load the AWS SDK (an optional peer dependency).
 *
 * @module @kiln/storage/s3
 */
export { s3Driver, createS3Client, S3_DRIVER_DEFAULTS } from './drivers/s3.js';
export type { S3DriverOptions, CreateS3ClientOptions } from './drivers/s3.js';
export * from './bucket/index.js';
