import { z } from 'zod';
import { ManifestSchema, manifestDocs } from './schema.js';

/**
 * @internal Builds the JSON Schema (draft 2020-12) of the manifest wire format from
 * {@link ManifestSchema} with zod's own `z.toJSONSchema`. `scripts/write-schema.ts` writes it to
 * `schema/manifest.schema.json`; a test keeps that file equal to a fresh build.
 *
 * Cross-field rules (unique asset ids, one LOD measure per asset, monotonic thresholds) are not
 * expressible in JSON Schema and are only described; `parseManifest` enforces them.
 */
export function toManifestJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ManifestSchema, {
    target: 'draft-2020-12',
    io: 'input',
    metadata: manifestDocs,
    unrepresentable: 'throw',
  }) as Record<string, unknown>;
}
