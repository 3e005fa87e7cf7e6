import {
  type BucketLifecycleConfiguration,
  type CORSConfiguration,
  HeadBucketCommand,
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
import { StorageError, throwIfAborted } from '../errors.js';
import type { BucketPolicyDocument } from './cloudfront-oac-policy.js';
import { classifyOrThrow, isMisroutedToCreateBucket, isUnsupported, type ServerErrorInfo } from './server-errors.js';

/**
 * Everything {@link applyBucketSetup} can configure; each item is optional and is the exact input
 * object of its S3 command (build them with the helpers of this module).
 * @example
 * ```ts
 * const setup: BucketSetup = { versioning: versioningConfiguration(), cors: corsRules({ origins: ['https://game.example.com'] }) };
 * ```
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

/**
 * The name of one item of a {@link BucketSetup}.
 * @example
 * ```ts
 * const item: BucketSetupItem = 'lifecycle';
 * ```
 */
export type BucketSetupItem = keyof BucketSetup;

/**
 * The order {@link applyBucketSetup} applies items in: data protection first, then Block Public
 * Access before the policy (so a policy S3 considers public is refused rather than briefly live),
 * then CORS, lifecycle and tiering.
 * @example
 * ```ts
 * BUCKET_SETUP_ORDER; // ['versioning', 'encryption', 'publicAccessBlock', 'policy', 'cors', 'lifecycle', 'intelligentTiering']
 * ```
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
 * What happened to one item:
 * - `applied`: the server accepted the request (read it back with {@link readBucketSetup} to see
 *   what it kept);
 * - `unsupported`: the server does not implement it: HTTP 501 `NotImplemented`, 405
 *   `MethodNotAllowed`, or a CreateBucket answer (`BucketAlreadyExists`/`BucketAlreadyOwnedByYou`)
 *   from a server that ignored the subresource (s3rver does, for versioning and tiering);
 * - `failed`: the server refused this configuration, such as `InvalidArgument` for an encryption it
 *   has no keys for, or `AccessDenied` on `policy` after Block Public Access was applied in the
 *   same call (`error.hint` says so).
 *
 * `error` holds the server's answer for the last two.
 * @example
 * ```ts
 * // s3rver:
 * { item: 'lifecycle', status: 'unsupported', error: { code: 'NotImplemented', httpStatus: 501, message: '…' } }
 * ```
 */
export interface BucketSetupItemReport {
  item: BucketSetupItem;
  status: 'applied' | 'unsupported' | 'failed';
  error?: ServerErrorInfo;
}

/**
 * Options of {@link applyBucketSetup}.
 * @example
 * ```ts
 * await applyBucketSetup(client, 'kiln-assets', setup, { signal: AbortSignal.timeout(30_000) });
 * ```
 */
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
 * It starts with a HeadBucket. Throws `StorageError` and stops for a missing bucket
 * (`bucket_not_found`), refused credentials (`AccessDenied`, `InvalidAccessKeyId`,
 * `SignatureDoesNotMatch`: code `access_denied`), a request that got no answer (`io`) or an abort
 * (`aborted`); `details.report` holds the items done before. The one exception: `AccessDenied` on
 * `policy` right after this call applied Block Public Access with `BlockPublicPolicy` is reported
 * as `failed` with a `hint`, since it is that block refusing the policy, not the credentials.
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
  await assertBucketExists(client, bucket, OPERATION, signal);
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
      const blockingPolicies = item === 'policy' && blockPublicPolicyApplied(setup, report);
      const info = classifyOrThrow(error, OPERATION, {
        bucket,
        item,
        signal,
        details: { report: [...report] },
        allowAccessDenied: blockingPolicies,
      });
      if (blockingPolicies && info.code === 'AccessDenied') {
        const hint =
          'Block Public Access (BlockPublicPolicy), applied just before, refused the policy: S3 refuses policies it considers public, some servers (Ceph RGW 16) every policy';
        report.push({ item, status: 'failed', error: { ...info, hint } });
      } else if (isUnsupported(info) || isMisroutedToCreateBucket(info)) {
        report.push({ item, status: 'unsupported', error: info });
      } else {
        report.push({ item, status: 'failed', error: info });
      }
    }
  }
  return report;
}

/** True when this call applied a public access block with `BlockPublicPolicy`. */
function blockPublicPolicyApplied(setup: BucketSetup, report: readonly BucketSetupItemReport[]): boolean {
  return (
    setup.publicAccessBlock?.BlockPublicPolicy === true &&
    report.some((entry) => entry.item === 'publicAccessBlock' && entry.status === 'applied')
  );
}

/**
 * HeadBucket before anything else: a missing bucket throws `bucket_not_found` (and a server that
 * takes configuration `PUT`s for CreateBucket never gets the chance to create it), refused
 * credentials throw `access_denied`.
 * @internal
 */
export async function assertBucketExists(client: S3Client, bucket: string, operation: string, signal: AbortSignal | undefined): Promise<void> {
  throwIfAborted(operation, signal);
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }), signal === undefined ? {} : { abortSignal: signal });
  } catch (error) {
    const info = classifyOrThrow(error, operation, { bucket, item: 'bucket', signal });
    throw new StorageError('io', `${operation}: HeadBucket on "${bucket}" answered ${info.httpStatus} ${info.code}: ${info.message}`, {
      cause: error,
      details: { bucket, httpStatus: info.httpStatus, serverCode: info.code },
    });
  }
}
