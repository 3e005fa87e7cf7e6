import type { VersioningConfiguration } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { parseInput } from '@kiln/manifest';

const schema = z.boolean({ error: 'must be a boolean' });

/**
 * The bucket versioning configuration: `Enabled`, or `Suspended` with `enabled = false` (S3 cannot
 * return a bucket to "never versioned"). Pass it as `VersioningConfiguration` to
 * `PutBucketVersioningCommand`, or as `versioning` to {@link applyBucketSetup}.
 *
 * @throws KilnValidationError when `enabled` is not a boolean.
 * @example
 * ```ts
 * versioningConfiguration(); // { Status: 'Enabled' }
 * await client.send(new PutBucketVersioningCommand({ Bucket: 'assets', VersioningConfiguration: versioningConfiguration() }));
 * ```
 */
export function versioningConfiguration(enabled = true): VersioningConfiguration {
  const on = parseInput(schema, enabled, 'storage.versioningConfiguration');
  return { Status: on ? 'Enabled' : 'Suspended' };
}
