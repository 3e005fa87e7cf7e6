import type { IntelligentTieringConfiguration, Tiering } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { parseInput } from '@kiln/manifest';

/** Options of {@link intelligentTieringConfiguration}. Give at least one of the two tiers. */
export interface IntelligentTieringOptions {
  /** Configuration `Id`: 1-64 letters, digits, `.`, `-` or `_`. */
  id: string;
  /** Days without access before the Archive Access tier (S3: 90-730). Default: tier not used. */
  archiveAfterDays?: number;
  /** Days without access before the Deep Archive Access tier (S3: 180-730). Default: tier not used. */
  deepArchiveAfterDays?: number;
  /** Only objects whose key starts with this prefix. Default: the whole bucket. */
  prefix?: string;
}

const OPERATION = 'storage.intelligentTieringConfiguration';

const tierDays = (min: number) =>
  z
    .number({ error: 'must be a number of days' })
    .int('must be a whole number of days')
    .min(min, `must be ${min}-730 days (S3 limit)`)
    .max(730, `must be ${min}-730 days (S3 limit)`)
    .optional();

const schema = z
  .object({
    id: z.string({ error: 'must be a string' }).regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 letters, digits, ".", "-" or "_"'),
    archiveAfterDays: tierDays(90),
    deepArchiveAfterDays: tierDays(180),
    prefix: z.string().min(1, 'must not be empty; leave it out for the whole bucket').max(1024).optional(),
  })
  .superRefine((o, ctx) => {
    if (o.archiveAfterDays === undefined && o.deepArchiveAfterDays === undefined) {
      ctx.addIssue({ code: 'custom', path: ['archiveAfterDays'], message: 'give archiveAfterDays, deepArchiveAfterDays or both' });
    }
    if (o.archiveAfterDays !== undefined && o.deepArchiveAfterDays !== undefined && o.deepArchiveAfterDays <= o.archiveAfterDays) {
      ctx.addIssue({
        code: 'custom',
        path: ['deepArchiveAfterDays'],
        message: `must be greater than archiveAfterDays (${o.archiveAfterDays})`,
      });
    }
  });

/**
 * An S3 Intelligent-Tiering archive configuration: objects stored in the `INTELLIGENT_TIERING`
 * class move to the opt-in Archive Access tier after `archiveAfterDays` without access, and to
 * Deep Archive Access after `deepArchiveAfterDays`. It affects only objects written with
 * `StorageClass: 'INTELLIGENT_TIERING'` (or transitioned there); archived objects need a restore
 * before a GET, so use it for sources and old runs, not for assets a game loads. Pass it as
 * `IntelligentTieringConfiguration` (with `Id` = `id`) to
 * `PutBucketIntelligentTieringConfigurationCommand`, or as `intelligentTiering` to
 * {@link applyBucketSetup}.
 *
 * @throws KilnValidationError naming the field, such as `archiveAfterDays: must be 90-730 days (S3 limit)`.
 * @example
 * ```ts
 * const tiering = intelligentTieringConfiguration({ id: 'archive-sources', prefix: 'sources/', archiveAfterDays: 90, deepArchiveAfterDays: 180 });
 * await client.send(new PutBucketIntelligentTieringConfigurationCommand({ Bucket: 'assets', Id: tiering.Id, IntelligentTieringConfiguration: tiering }));
 * ```
 */
export function intelligentTieringConfiguration(options: IntelligentTieringOptions): IntelligentTieringConfiguration {
  const o = parseInput(schema, options, OPERATION);
  const tierings: Tiering[] = [];
  if (o.archiveAfterDays !== undefined) tierings.push({ AccessTier: 'ARCHIVE_ACCESS', Days: o.archiveAfterDays });
  if (o.deepArchiveAfterDays !== undefined) tierings.push({ AccessTier: 'DEEP_ARCHIVE_ACCESS', Days: o.deepArchiveAfterDays });
  const configuration: IntelligentTieringConfiguration = { Id: o.id, Status: 'Enabled', Tierings: tierings };
  if (o.prefix !== undefined) configuration.Filter = { Prefix: o.prefix };
  return configuration;
}
