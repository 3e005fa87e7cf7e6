import type { BucketLifecycleConfiguration, LifecycleRule, Transition } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { parseInput } from '@kiln/manifest';

/**
 * Options of {@link lifecycleRules}. Every step is a number of days after the object's creation;
 * `false` leaves the step out. `undefined` takes the default from {@link LIFECYCLE_DEFAULTS}.
 */
export interface LifecycleOptions {
  /** Rule `ID` (1-255 characters). Default: `'kiln-assets'`. */
  id?: string;
  /** Only objects whose key starts with this prefix. Default: `''` (the whole bucket). */
  prefix?: string;
  /** Move to `STANDARD_IA` after this many days (S3 minimum: 30). Default: `30`. */
  standardIaAfterDays?: number | false;
  /** Move to `GLACIER` (Flexible Retrieval) after this many days. Default: `90`. */
  glacierAfterDays?: number | false;
  /** Delete objects after this many days. Default: `400`. */
  expireAfterDays?: number | false;
  /** Abort multipart uploads still incomplete after this many days. Default: `7`. */
  abortIncompleteMultipartUploadAfterDays?: number | false;
}

/**
 * The operators' runbook preset: `STANDARD_IA` at 30 days, `GLACIER` at 90, deletion at 400, and
 * incomplete multipart uploads aborted after 7 days.
 * @example
 * ```ts
 * lifecycleRules({ expireAfterDays: LIFECYCLE_DEFAULTS.expireAfterDays * 2 });
 * ```
 */
export const LIFECYCLE_DEFAULTS: Required<LifecycleOptions> = {
  id: 'kiln-assets',
  prefix: '',
  standardIaAfterDays: 30,
  glacierAfterDays: 90,
  expireAfterDays: 400,
  abortIncompleteMultipartUploadAfterDays: 7,
};

const OPERATION = 'storage.lifecycleRules';

const days = (min: number) =>
  z.union([z.number().int('must be a whole number of days').min(min, `must be at least ${min}`), z.literal(false)], {
    error: 'must be a whole number of days or false',
  });

const schema = z
  .object({
    id: z.string().min(1, 'must not be empty').max(255, 'must be at most 255 characters').default(LIFECYCLE_DEFAULTS.id),
    prefix: z.string().max(1024, 'must be at most 1024 characters').default(LIFECYCLE_DEFAULTS.prefix),
    standardIaAfterDays: days(30).default(LIFECYCLE_DEFAULTS.standardIaAfterDays),
    glacierAfterDays: days(0).default(LIFECYCLE_DEFAULTS.glacierAfterDays),
    expireAfterDays: days(1).default(LIFECYCLE_DEFAULTS.expireAfterDays),
    abortIncompleteMultipartUploadAfterDays: days(1).default(LIFECYCLE_DEFAULTS.abortIncompleteMultipartUploadAfterDays),
  })
  .default({ ...LIFECYCLE_DEFAULTS })
  .superRefine((o, ctx) => {
    const ia = o.standardIaAfterDays;
    const glacier = o.glacierAfterDays;
    const expire = o.expireAfterDays;
    if (ia !== false && glacier !== false && glacier < ia + 30) {
      ctx.addIssue({
        code: 'custom',
        path: ['glacierAfterDays'],
        message: `must be at least 30 days after standardIaAfterDays (${ia}); S3 keeps objects 30 days in STANDARD_IA before GLACIER`,
      });
    }
    const lastTransition = glacier !== false ? glacier : ia;
    if (expire !== false && lastTransition !== false && expire <= lastTransition) {
      const field = glacier !== false ? 'glacierAfterDays' : 'standardIaAfterDays';
      ctx.addIssue({ code: 'custom', path: ['expireAfterDays'], message: `must be greater than ${field} (${lastTransition})` });
    }
    if (ia === false && glacier === false && expire === false && o.abortIncompleteMultipartUploadAfterDays === false) {
      ctx.addIssue({ code: 'custom', path: [], message: 'every step is false; a lifecycle rule needs at least one action' });
    }
  });

/**
 * The bucket lifecycle configuration: one rule over `prefix` with the transitions, expiry and
 * multipart clean-up of {@link LIFECYCLE_DEFAULTS}, each overridable or `false` to leave it out.
 * Validates the rules S3 enforces: `STANDARD_IA` at 30 days or later, `GLACIER` at least 30 days
 * after `STANDARD_IA`, expiry after the last transition. Pass it as `LifecycleConfiguration` to
 * `PutBucketLifecycleConfigurationCommand`, or as `lifecycle` to {@link applyBucketSetup}.
 *
 * Servers without the storage classes (a Ceph RGW zone without `STANDARD_IA`/`GLACIER` placement
 * targets) refuse the transitions; `{ standardIaAfterDays: false, glacierAfterDays: false }` keeps
 * only expiry and the multipart clean-up.
 *
 * @throws KilnValidationError naming the field, such as `glacierAfterDays: must be at least 30 days after …`.
 * @example
 * ```ts
 * const lifecycle = lifecycleRules({ prefix: 'tenants/', expireAfterDays: 730 });
 * await client.send(new PutBucketLifecycleConfigurationCommand({ Bucket: 'assets', LifecycleConfiguration: lifecycle }));
 * ```
 */
export function lifecycleRules(options?: LifecycleOptions): BucketLifecycleConfiguration {
  const o = parseInput(schema, options, OPERATION);
  const transitions: Transition[] = [];
  if (o.standardIaAfterDays !== false) transitions.push({ Days: o.standardIaAfterDays, StorageClass: 'STANDARD_IA' });
  if (o.glacierAfterDays !== false) transitions.push({ Days: o.glacierAfterDays, StorageClass: 'GLACIER' });
  const rule: LifecycleRule = { ID: o.id, Status: 'Enabled', Filter: { Prefix: o.prefix } };
  if (transitions.length > 0) rule.Transitions = transitions;
  if (o.expireAfterDays !== false) rule.Expiration = { Days: o.expireAfterDays };
  if (o.abortIncompleteMultipartUploadAfterDays !== false) {
    rule.AbortIncompleteMultipartUpload = { DaysAfterInitiation: o.abortIncompleteMultipartUploadAfterDays };
  }
  return { Rules: [rule] };
}
