import {
  type BucketLifecycleConfiguration,
  type CORSConfiguration,
  GetBucketCorsCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketPolicyCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  type IntelligentTieringConfiguration,
  ListBucketIntelligentTieringConfigurationsCommand,
  type PublicAccessBlockConfiguration,
  type S3Client,
  type ServerSideEncryptionConfiguration,
  type VersioningConfiguration,
} from '@aws-sdk/client-s3';
import { z } from 'zod';
import { parseInput } from '@kiln/manifest';
import { throwIfAborted } from '../errors.js';
import { assertBucketExists, BUCKET_SETUP_ORDER, type BucketSetupItem } from './apply.js';
import type { BucketPolicyDocument } from './cloudfront-oac-policy.js';
import { classifyOrThrow, isUnsupported, type ServerErrorInfo } from './server-errors.js';

/**
 * One item as the server holds it: `present` with its value, `absent` (the server answered "none
 * configured"), `unsupported` (501 / 405) or `failed` (any other refusal, with the answer).
 * @example
 * ```ts
 * const item: BucketSetupReadItem<VersioningConfiguration> = { status: 'present', value: { Status: 'Enabled' } };
 * ```
 */
export type BucketSetupReadItem<T> =
  | { status: 'present'; value: T }
  | { status: 'absent' }
  | { status: 'unsupported' | 'failed'; error: ServerErrorInfo };

/**
 * What {@link readBucketSetup} found, one entry per {@link BucketSetupItem}.
 * @example
 * ```ts
 * const { cors } = await readBucketSetup(client, 'kiln-assets');
 * const origins = cors.status === 'present' ? cors.value.CORSRules?.[0]?.AllowedOrigins : [];
 * ```
 */
export interface BucketSetupReadback {
  cors: BucketSetupReadItem<CORSConfiguration>;
  lifecycle: BucketSetupReadItem<BucketLifecycleConfiguration>;
  /** Every Intelligent-Tiering configuration of the bucket (the S3 API lists them; each has an `Id`). */
  intelligentTiering: BucketSetupReadItem<IntelligentTieringConfiguration[]>;
  versioning: BucketSetupReadItem<VersioningConfiguration>;
  encryption: BucketSetupReadItem<ServerSideEncryptionConfiguration>;
  publicAccessBlock: BucketSetupReadItem<PublicAccessBlockConfiguration>;
  /** The policy parsed from its JSON text (the text itself when it is not JSON). */
  policy: BucketSetupReadItem<BucketPolicyDocument | string>;
}

/**
 * Options of {@link readBucketSetup}.
 * @example
 * ```ts
 * await readBucketSetup(client, 'kiln-assets', { signal: AbortSignal.timeout(10_000) });
 * ```
 */
export interface ReadBucketSetupOptions {
  /** Stops between items and cancels the request in flight; throws `StorageError` `aborted`. */
  signal?: AbortSignal;
}

/** Error codes that mean "nothing configured" for an item. */
const ABSENT_CODES: ReadonlySet<string> = new Set([
  'NoSuchCORSConfiguration',
  'NoSuchLifecycleConfiguration',
  'NoSuchConfiguration',
  'ServerSideEncryptionConfigurationNotFoundError',
  'NoSuchPublicAccessBlockConfiguration',
  'NoSuchBucketPolicy',
]);

const OPERATION = 'storage.readBucketSetup';

type Reader = (client: S3Client, bucket: string, abortSignal: { abortSignal?: AbortSignal }) => Promise<unknown | undefined>;

/** Each reader returns the value, or `undefined` for "none configured". */
const READERS: Record<BucketSetupItem, Reader> = {
  cors: async (client, Bucket, o) => {
    const out = await client.send(new GetBucketCorsCommand({ Bucket }), o);
    return out.CORSRules && out.CORSRules.length > 0 ? { CORSRules: out.CORSRules } : undefined;
  },
  lifecycle: async (client, Bucket, o) => {
    const out = await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket }), o);
    return out.Rules && out.Rules.length > 0 ? { Rules: out.Rules } : undefined;
  },
  intelligentTiering: async (client, Bucket, o) => {
    const configurations: IntelligentTieringConfiguration[] = [];
    let ContinuationToken: string | undefined;
    do {
      const out = await client.send(new ListBucketIntelligentTieringConfigurationsCommand({ Bucket, ContinuationToken }), o);
      configurations.push(...(out.IntelligentTieringConfigurationList ?? []));
      ContinuationToken = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (ContinuationToken !== undefined);
    return configurations.length > 0 ? configurations : undefined;
  },
  versioning: async (client, Bucket, o) => {
    const out = await client.send(new GetBucketVersioningCommand({ Bucket }), o);
    if (out.Status === undefined) return undefined;
    const value: VersioningConfiguration = { Status: out.Status };
    if (out.MFADelete !== undefined) value.MFADelete = out.MFADelete;
    return value;
  },
  encryption: async (client, Bucket, o) => {
    const out = await client.send(new GetBucketEncryptionCommand({ Bucket }), o);
    return out.ServerSideEncryptionConfiguration?.Rules?.length ? out.ServerSideEncryptionConfiguration : undefined;
  },
  publicAccessBlock: async (client, Bucket, o) => {
    const out = await client.send(new GetPublicAccessBlockCommand({ Bucket }), o);
    return out.PublicAccessBlockConfiguration;
  },
  policy: async (client, Bucket, o) => {
    const out = await client.send(new GetBucketPolicyCommand({ Bucket }), o);
    if (out.Policy === undefined || out.Policy === '') return undefined;
    try {
      return JSON.parse(out.Policy) as BucketPolicyDocument;
    } catch {
      return out.Policy;
    }
  },
};

/**
 * Reads back every item {@link applyBucketSetup} can write, as the server holds it, for round-trip
 * checks and audits. Each item is `present`, `absent`, `unsupported` or `failed`; a missing bucket
 * or refused credentials throw `StorageError` (`bucket_not_found`, `access_denied`) as in
 * {@link applyBucketSetup}. Values are the server's, not normalised: servers may reorder lists,
 * add defaults (`MFADelete: 'Disabled'`, an all-`false` public access block on a bucket that never
 * had one) or return a rule's filter as the legacy `Prefix`. A server that ignores a subresource
 * and answers the `GET` as a bucket listing (s3rver, for versioning and tiering) reads as `absent`.
 *
 * @example
 * ```ts
 * const held = await readBucketSetup(client, 'kiln-assets');
 * held.versioning; // { status: 'present', value: { Status: 'Enabled' } }
 * held.lifecycle; // { status: 'unsupported', error: { code: 'NotImplemented', httpStatus: 501, … } } on s3rver
 * ```
 */
export async function readBucketSetup(client: S3Client, bucket: string, options: ReadBucketSetupOptions = {}): Promise<BucketSetupReadback> {
  parseInput(z.object({ bucket: z.string({ error: 'must be a string' }).min(1, 'must not be empty') }), { bucket }, OPERATION);
  const { signal } = options;
  await assertBucketExists(client, bucket, OPERATION, signal);
  const sendOptions = signal === undefined ? {} : { abortSignal: signal };
  const result: Partial<Record<BucketSetupItem, BucketSetupReadItem<unknown>>> = {};
  for (const item of BUCKET_SETUP_ORDER) {
    throwIfAborted(OPERATION, signal);
    try {
      const value = await READERS[item](client, bucket, sendOptions);
      result[item] = value === undefined ? { status: 'absent' } : { status: 'present', value };
    } catch (error) {
      const info = classifyOrThrow(error, OPERATION, { bucket, item, signal });
      if (ABSENT_CODES.has(info.code)) result[item] = { status: 'absent' };
      else result[item] = { status: isUnsupported(info) ? 'unsupported' : 'failed', error: info };
    }
  }
  return result as BucketSetupReadback;
}
