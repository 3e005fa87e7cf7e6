import type { ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { parseInput } from '@kiln/manifest';

/** Options of {@link defaultEncryption}. */
export interface EncryptionOptions {
  /** `AES256` (SSE-S3, keys managed by S3) or `aws:kms` (SSE-KMS). */
  algorithm: 'AES256' | 'aws:kms';
  /** KMS key id, key ARN or alias ARN; only with `aws:kms`. Default: the account's `aws/s3` key. */
  kmsKeyId?: string;
  /** Use an S3 Bucket Key to cut KMS requests (and cost); only with `aws:kms`. Default: `true`. */
  bucketKeyEnabled?: boolean;
}

const schema = z
  .object({
    algorithm: z.enum(['AES256', 'aws:kms'], { error: 'must be "AES256" or "aws:kms"' }),
    kmsKeyId: z.string().min(1, 'must not be empty').max(2048).optional(),
    bucketKeyEnabled: z.boolean().optional(),
  })
  .superRefine((o, ctx) => {
    if (o.algorithm === 'AES256' && o.kmsKeyId !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['kmsKeyId'], message: 'only applies to algorithm "aws:kms"' });
    }
    if (o.algorithm === 'AES256' && o.bucketKeyEnabled !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['bucketKeyEnabled'], message: 'only applies to algorithm "aws:kms"' });
    }
  });

/**
 * The bucket's default server-side encryption, applied to every new object that does not ask for
 * another. Pass it as `ServerSideEncryptionConfiguration` to `PutBucketEncryptionCommand`, or as
 * `encryption` to {@link applyBucketSetup}.
 *
 * @throws KilnValidationError naming the field, such as `kmsKeyId: only applies to algorithm "aws:kms"`.
 * @example
 * ```ts
 * defaultEncryption({ algorithm: 'AES256' });
 * // { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] }
 * defaultEncryption({ algorithm: 'aws:kms', kmsKeyId: 'arn:aws:kms:eu-north-1:123456789012:alias/kiln' });
 * ```
 */
export function defaultEncryption(options: EncryptionOptions): ServerSideEncryptionConfiguration {
  const o = parseInput(schema, options, 'storage.defaultEncryption');
  if (o.algorithm === 'AES256') return { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] };
  const byDefault: ServerSideEncryptionByDefault = { SSEAlgorithm: 'aws:kms' };
  if (o.kmsKeyId !== undefined) byDefault.KMSMasterKeyID = o.kmsKeyId;
  return { Rules: [{ ApplyServerSideEncryptionByDefault: byDefault, BucketKeyEnabled: o.bucketKeyEnabled ?? true }] };
}
