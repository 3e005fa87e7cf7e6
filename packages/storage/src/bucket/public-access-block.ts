import type { PublicAccessBlockConfiguration } from '@aws-sdk/client-s3';

/**
 * Block Public Access with all four settings on: public ACLs are refused and ignored, public
 * bucket policies are refused and cut off. Assets reach players through CloudFront with Origin
 * Access Control ({@link cloudFrontOacBucketPolicy}, a policy S3 does not count as public) or
 * through presigned URLs, never through public objects. Pass it as
 * `PublicAccessBlockConfiguration` to `PutPublicAccessBlockCommand`, or as `publicAccessBlock` to
 * {@link applyBucketSetup}.
 *
 * @example
 * ```ts
 * await client.send(new PutPublicAccessBlockCommand({ Bucket: 'assets', PublicAccessBlockConfiguration: publicAccessBlock() }));
 * ```
 */
export function publicAccessBlock(): PublicAccessBlockConfiguration {
  return { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };
}
