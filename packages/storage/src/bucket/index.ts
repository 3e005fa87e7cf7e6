// Bucket setup for Kiln asset buckets: pure builders of S3 (and CloudFront) configuration objects,
// and applyBucketSetup/readBucketSetup, which send them with an injected S3Client.
export { corsRules, CORS_DEFAULTS, CORS_RULE_ID, CORS_ALLOWED_HEADERS, CORS_EXPOSE_HEADERS } from './cors.js';
export type { CorsOptions } from './cors.js';
export { lifecycleRules, LIFECYCLE_DEFAULTS } from './lifecycle.js';
export type { LifecycleOptions } from './lifecycle.js';
export { intelligentTieringConfiguration } from './intelligent-tiering.js';
export type { IntelligentTieringOptions } from './intelligent-tiering.js';
export { versioningConfiguration } from './versioning.js';
export { defaultEncryption } from './encryption.js';
export type { EncryptionOptions } from './encryption.js';
export { publicAccessBlock } from './public-access-block.js';
export { cloudFrontOacBucketPolicy } from './cloudfront-oac-policy.js';
export type { BucketPolicyDocument, BucketPolicyStatement, OacBucketPolicyOptions } from './cloudfront-oac-policy.js';
export { cloudFrontResponseHeadersPolicy } from './cloudfront-headers.js';
export type { CloudFrontList, ResponseHeadersPolicyConfig, ResponseHeadersPolicyOptions } from './cloudfront-headers.js';
export { cloudFrontCompression, shouldCompress } from './cloudfront-compression.js';
export type { CompressionRules } from './cloudfront-compression.js';
export { originProblem } from './origins.js';
export type { OriginRules } from './origins.js';
export { applyBucketSetup, BUCKET_SETUP_ORDER } from './apply.js';
export type { ApplyBucketSetupOptions, BucketSetup, BucketSetupItem, BucketSetupItemReport } from './apply.js';
export { readBucketSetup } from './read.js';
export type { BucketSetupReadback, BucketSetupReadItem, ReadBucketSetupOptions } from './read.js';
export type { ServerErrorInfo } from './server-errors.js';
