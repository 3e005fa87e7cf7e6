import {
  type BucketLifecycleConfiguration,
  type CORSConfiguration,
  type IntelligentTieringConfiguration,
  type PublicAccessBlockConfiguration,
  PutBucketCorsCommand,
  PutBucketEncryptionCommand,
  PutBucketIntelligentTieringConfigurationCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
  type ServerSideEncryptionConfiguration,
  type VersioningConfiguration,
} from '@aws-sdk/client-s3';
import { z } from 'zod';
import { parseInput } from '@kiln/manifest';
import { throwIfAborted } from '../errors.js';
import type { BucketPolicyDocument } from './cloudfront-oac-policy.js';
import { classifyOrThrow, isUnsupported, type ServerErrorInfo } from './server-errors.js';

/**
 * Everything {@link applyBucketSetup} can configure; each item is optional and is the exact input
 * object of its S3 command (build them with the helpers of this module).
 */
export interface BucketSetup {
  /** `PutBucketCors`; see {@link corsRules}. */
  cors?: CORSConfiguration;
  /** `PutBucketLifecycleConfiguration`; see {@link lifecycleRules}. */
  lifecycle?: BucketLifecycleConfiguration;
  /** `PutBucketIntelligentTieringConfiguration` (its `Id` is the configuration's); see {@link intelligentTieringConfiguration}. */
  intelligentTiering?: IntelligentTieringConfiguration;
  /** `PutBucketVersioning`; see {@link versioningConfiguration}. */
  versioning?: VersioningConfiguration;
  /** `PutBucketEncryption`; see {@link defaultEncryption}. */
  encryption?: ServerSideEncryptionConfiguration;
  /** `PutPublicAccessBlock`; see {@link publicAccessBlock}. */
  publicAccessBlock?: PublicAccessBlockConfiguration;
  /** `PutBucketPolicy`: a policy document (sent as JSON) or its JSON text; see {@link cloudFrontOacBucketPolicy}. */
  policy?: BucketPolicyDocument | string;
}

/** The name of one item of a {@link BucketSetup}. */
export type BucketSetupItem = keyof BucketSetup;

/**
 * The order {@link applyBucketSetup} applies items in: data protection first, then Block Public
 * Access before the policy (so a policy S3 considers public is refused rather than briefly live),
 * then CORS, lifecycle and tiering.
 */
export const BUCKET_SETUP_ORDER: readonly BucketSetupItem[] = [
  'versioning',
  'encryption',
  'publicAccessBlock',
  'policy',
  'cors',
  'lifecycle',
  'intelligentTiering',
];

/**
 * What happened to one item: `applied` (the server accepted it), `unsupported` (the server does not
 * implement the request: HTTP 501 `NotImplemented` or 405 `MethodNotAllowed`) or `failed` (the
 * server refused this configuration, such as `InvalidArgument` for a storage class it does not
 * have). `error` holds the server's answer for the last two.
 */
export interface BucketSetupItemReport {
  item: BucketSetupItem;
  status: 'applied' | 'unsupported' | 'failed';
  error?: ServerErrorInfo;
}

/** Options of {@link applyBucketSetup}. */
export interface ApplyBucketSetupOptions {
  /** Stops between items and cancels the request in flight; throws `StorageError` `aborted`. */
  signal?: AbortSignal;
}

const OPERATION = 'storage.applyBucketSetup';

const inputSchema = z.object({
  bucket: z.string({ error: 'must be a string' }).min(1, 'must not be empty'),
  setup: z
    .object(
      {
        cors: z.object({}, { error: 'must be a CORSConfiguration object' }).loose().optional(),
        lifecycle: z.object({}, { error: 'must be a BucketLifecycleConfiguration object' }).loose().optional(),
        intelligentTiering: z
          .object({ Id: z.string({ error: 'must be a string (the configuration Id)' }).min(1) }, { error: 'must be an IntelligentTieringConfiguration object' })
          .loose()
          .optional(),
        versioning: z.object({}, { error: 'must be a VersioningConfiguration object' }).loose().optional(),
        encryption: z.object({}, { error: 'must be a ServerSideEncryptionConfiguration object' }).loose().optional(),
        publicAccessBlock: z.object({}, { error: 'must be a PublicAccessBlockConfiguration object' }).loose().optional(),
        policy: z
          .union([z.string().min(1), z.object({}).loose()], { error: 'must be a policy document or its JSON text' })
          .optional(),
      },
      { error: (issue) => (issue.code === 'invalid_type' ? 'must be an object' : undefined) },
    )
    .strict(),
});

function commandFor(bucket: string, item: BucketSetupItem, setup: BucketSetup) {
  switch (item) {
    case 'cors':
      return new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: setup.cors });
    case 'lifecycle':
      return new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: setup.lifecycle });
    case 'intelligentTiering':
      return new PutBucketIntelligentTieringConfigurationCommand({
        Bucket: bucket,
        Id: setup.intelligentTiering?.Id,
        IntelligentTieringConfiguration: setup.intelligentTiering,
      });
    case 'versioning':
      return new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: setup.versioning });
    case 'encryption':
      return new PutBucketEncryptionCommand({ Bucket: bucket, ServerSideEncryptionConfiguration: setup.encryption });
    case 'publicAccessBlock':
      return new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: setup.publicAccessBlock });
    case 'policy':
      return new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: typeof setup.policy === 'string' ? setup.policy : JSON.stringify(setup.policy),
      });
  }
}

/**
 * Applies each present item of `setup` to `bucket` with its S3 command, one after the other in
 * {@link BUCKET_SETUP_ORDER}, and reports per item what the server did. A server that does not
 * implement an item (s3rver: lifecycle, 501) or refuses it (a storage class it does not have) is
 * reported, not thrown, so one call works on AWS S3, Ceph RGW and test servers alike; check the
 * report, or read the bucket back with {@link readBucketSetup}.
 *
 * Throws `StorageError` and stops at the first item for a missing bucket (`bucket_not_found`),
 * refused credentials (`AccessDenied`, `InvalidAccessKeyId`, `SignatureDoesNotMatch`: code
 * `access_denied`; on AWS that includes a policy refused by Block Public Access), a request that got
 * no answer (`io`) or an abort (`aborted`); `details.report` holds the items done before.
 *
 * @throws KilnValidationError when `bucket` is empty or `setup` has an unknown item.
 * @example
 * ```ts
 * const report = await applyBucketSetup(client, 'kiln-assets', {
 *   versioning: versioningConfiguration(),
 *   publicAccessBlock: publicAccessBlock(),
 *   cors: corsRules({ origins: ['https://game.example.com'] }),
 *   lifecycle: lifecycleRules(),
 * });
 * for (const r of report) if (r.status !== 'applied') logger.warn(`${r.item}: ${r.status} (${r.error?.code})`);
 * ```
 */
export async function applyBucketSetup(
  client: S3Client,
  bucket: string,
  setup: BucketSetup,
  options: ApplyBucketSetupOptions = {},
): Promise<BucketSetupItemReport[]> {
  parseInput(inputSchema, { bucket, setup }, OPERATION);
  const { signal } = options;
  const report: BucketSetupItemReport[] = [];
  for (const item of BUCKET_SETUP_ORDER) {
    if (setup[item] === undefined) continue;
    throwIfAborted(OPERATION, signal);
    try {
      // One command type per item; `send` is generic over the command, so widen it here.
      const command = commandFor(bucket, item, setup) as Parameters<S3Client['send']>[0];
      await client.send(command, signal === undefined ? {} : { abortSignal: signal });
      report.push({ item, status: 'applied' });
    } catch (error) {
      const info = classifyOrThrow(error, OPERATION, { bucket, item, signal, details: { report: [...report] } });
      report.push({ item, status: isUnsupported(info) ? 'unsupported' : 'failed', error: info });
    }
  }
  return report;
}
