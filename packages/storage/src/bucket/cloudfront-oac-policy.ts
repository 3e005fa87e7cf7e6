import { z } from 'zod';
import { parseInput } from '@kiln/manifest';

/** Options of {@link cloudFrontOacBucketPolicy}. */
export interface OacBucketPolicyOptions {
  /** The S3 bucket CloudFront reads from. */
  bucket: string;
  /** ARN of the distribution, `arn:aws:cloudfront::<12-digit account>:distribution/<ID>`. */
  distributionArn: string;
}

/** One statement of a {@link BucketPolicyDocument}. */
export interface BucketPolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal: '*' | Record<string, string | string[]>;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** An S3 bucket policy as a JSON object; `JSON.stringify` it for `PutBucketPolicyCommand`. */
export interface BucketPolicyDocument {
  Version: '2012-10-17';
  Id?: string;
  Statement: BucketPolicyStatement[];
}

/** S3 general purpose bucket naming rules (the ones that matter for a policy ARN). */
export const BucketNameSchema = z
  .string({ error: 'must be a string' })
  .min(3, 'must be 3-63 characters')
  .max(63, 'must be 3-63 characters')
  .regex(/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/, 'must be lower-case letters, digits, "." and "-", starting and ending with a letter or digit')
  .refine((name) => !name.includes('..'), 'must not contain ".."')
  .refine((name) => !/^\d+\.\d+\.\d+\.\d+$/.test(name), 'must not look like an IP address');

const DISTRIBUTION_ARN = /^arn:(aws|aws-cn):cloudfront::\d{12}:distribution\/[A-Z0-9]{1,64}$/;

const schema = z.object({
  bucket: BucketNameSchema,
  distributionArn: z
    .string({ error: 'must be a string' })
    .regex(DISTRIBUTION_ARN, 'must be a CloudFront distribution ARN, arn:aws:cloudfront::<12-digit account id>:distribution/<ID>'),
});

/**
 * The bucket policy that lets one CloudFront distribution read objects through Origin Access
 * Control, as documented by AWS: service principal `cloudfront.amazonaws.com`, `s3:GetObject` on
 * every object of `bucket`, only when `AWS:SourceArn` equals `distributionArn`. S3 does not treat
 * this policy as public, so it works with {@link publicAccessBlock}. Pass it as `policy` to
 * {@link applyBucketSetup}, or `JSON.stringify` it for `PutBucketPolicyCommand`.
 *
 * @throws KilnValidationError naming the field, such as `distributionArn: must be a CloudFront distribution ARN, …`.
 * @example
 * ```ts
 * const policy = cloudFrontOacBucketPolicy({ bucket: 'kiln-assets', distributionArn: 'arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE' });
 * await client.send(new PutBucketPolicyCommand({ Bucket: 'kiln-assets', Policy: JSON.stringify(policy) }));
 * ```
 */
export function cloudFrontOacBucketPolicy(options: OacBucketPolicyOptions): BucketPolicyDocument {
  const o = parseInput(schema, options, 'storage.cloudFrontOacBucketPolicy');
  const partition = o.distributionArn.split(':')[1] ?? 'aws';
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AllowCloudFrontServicePrincipalReadOnly',
        Effect: 'Allow',
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Action: 's3:GetObject',
        Resource: `arn:${partition}:s3:::${o.bucket}/*`,
        Condition: { StringEquals: { 'AWS:SourceArn': o.distributionArn } },
      },
    ],
  };
}
