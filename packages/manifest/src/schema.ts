import { z } from 'zod';
import { CURRENT_MANIFEST_MAJOR } from './version.js';

/**
 * @internal Documentation of the schemas (descriptions, `$defs` ids, JSON-Schema-only keywords),
 * kept in a registry of this package rather than zod's global one so that importing the schema
 * changes no global state. `toManifestJsonSchema` reads it.
 */
export const manifestDocs = z.registry<z.core.JSONSchemaMeta>();

/** The asset types a manifest can hold. Adding one is a MAJOR change (readers reject unknown values). */
export const ASSET_TYPES = [
  'model_3d',
  'texture',
  'image',
  'environment_map',
  'video',
  'audio',
  'bundle',
  'shader',
] as const;

/** The platforms a player can report to pick a LOD floor (`platformMinLod`). */
export const PLATFORMS = ['mobile', 'pc', 'console', 'web'] as const;

/** Texture encodings an asset can ship. */
export const TEXTURE_CODECS = ['ktx2-etc1s', 'ktx2-uastc', 'webp', 'png', 'jpeg', 'avif'] as const;

/** Pattern of an asset id: 1-200 characters of `A-Z a-z 0-9 . _ : -`. */
export const ASSET_ID_PATTERN = /^[A-Za-z0-9._:-]{1,200}$/;

/** Pattern of a SHA-256 digest: 64 lowercase hexadecimal characters. */
export const SHA256_PATTERN = /^[0-9a-f]{64}$/;

/**
 * Pattern of a storage key: not empty, no leading `/`, no `..` path segment, no control character.
 * Each `/`-separated segment is percent-encoded when the key is joined to a CDN base URL.
 */
// `[\s\S]`, not `.`: `.` stops at line separators (U+2028), which would let `a\u2028/../x` through.
export const STORAGE_KEY_PATTERN = /^(?!\/)(?![\s\S]*?(?:^|\/)\.\.(?:\/|$))[^\x00-\x1f\x7f]+$/;

const LONE_SURROGATE = /\p{Cs}/u;
const CONTENT_TYPE_PATTERN = /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(?:\s*;.*)?$/;
const MANIFEST_VERSION_PATTERN = new RegExp(`^${CURRENT_MANIFEST_MAJOR}\\.(?:0|[1-9]\\d*)$`);

/** A custom message for a wrong value, `required` for a missing one. */
const orRequired = (message: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? 'required' : message;

const nonNegativeInt = () => z.int({ error: orRequired('must be an integer') }).min(0, 'must be >= 0');

/** An absolute `http:` or `https:` URL (lowercase scheme). */
const HttpUrlSchema = z
  .url({ protocol: /^https?$/, error: orRequired('must be an absolute http(s) URL'), abort: true })
  .regex(/^https?:\/\/\S+$/, 'must be an absolute http(s) URL (lowercase scheme, no whitespace)');

/** @internal The `cdnBaseUrl` field: an absolute http(s) URL without query string or fragment. */
export const CdnBaseUrlSchema = z
  .url({ protocol: /^https?$/, error: orRequired('must be an absolute http(s) URL'), abort: true })
  .regex(/^https?:\/\/[^\s?#]+$/, 'must be an absolute http(s) URL without query string or fragment')
  .register(manifestDocs, {
    description:
      'Absolute http(s) URL, without query string or fragment, that storage keys are relative to. Trailing slashes are ignored.',
  });

const Sha256Schema = z
  .string()
  .regex(SHA256_PATTERN, 'must be 64 lowercase hexadecimal characters (a SHA-256 digest)')
  .register(manifestDocs, { description: 'SHA-256 of the file, 64 lowercase hexadecimal characters.' });

const StorageKeySchema = z
  .string()
  .regex(STORAGE_KEY_PATTERN, 'must be a relative storage key: not empty, no leading "/", no ".." segment, no control character')
  .refine((key) => !LONE_SURROGATE.test(key), 'must be well-formed Unicode (no lone surrogate)')
  .register(manifestDocs, {
    description:
      'Storage key relative to the CDN base URL: no leading "/", no ".." segment. Each "/"-separated segment is percent-encoded (encodeURIComponent) when joined to the base.',
  });

const PresignedUrlSchema = HttpUrlSchema.register(manifestDocs, {
  description: 'Absolute http(s) URL of the file (for example presigned). Takes precedence over key.',
});

/** Schema of one asset type, such as `model_3d`. */
export const AssetTypeSchema = z.enum(ASSET_TYPES);
/** An asset type, such as `model_3d`. */
export type AssetType = z.infer<typeof AssetTypeSchema>;

/** Schema of a platform name. */
export const PlatformSchema = z.enum(PLATFORMS);
/** A platform name: `mobile`, `pc`, `console` or `web`. */
export type Platform = z.infer<typeof PlatformSchema>;

/** Schema of a texture codec name. */
export const TextureCodecSchema = z.enum(TEXTURE_CODECS);
/** A texture codec name, such as `ktx2-etc1s`. */
export type TextureCodec = z.infer<typeof TextureCodecSchema>;

/**
 * Schema of one reduced LOD variant of an asset. A variant sets exactly one switch measure:
 * `switchDistance` (camera distance, like `THREE.LOD`) or `screenCoverage` (the object's
 * projected height as a fraction of the screen height, like Unity's `LODGroup`; a player with
 * vertical field of view `fov` switches at distance `radius / (tan(fov / 2) × screenCoverage)`).
 */
export const LodVariantSchema = z
  .looseObject({
    key: StorageKeySchema,
    url: PresignedUrlSchema.optional(),
    sha256: Sha256Schema,
    bytes: nonNegativeInt(),
    triangles: nonNegativeInt(),
    switchDistance: z
      .number({ error: orRequired('must be a finite number') })
      .min(0, 'must be >= 0')
      .register(manifestDocs, {
        description: 'Camera distance from which this variant is used (>= 0). Strictly increasing across lods.',
      })
      .optional(),
    screenCoverage: z
      .number({ error: orRequired('must be a finite number') })
      .gt(0, 'must be > 0')
      .lte(1, 'must be <= 1')
      .register(manifestDocs, {
        description:
          "Screen coverage (0, 1]: the object's projected height as a fraction of the screen height (Unity LODGroup's convention), at and below which this variant is used. Strictly decreasing across lods.",
      })
      .optional(),
  })
  .superRefine((variant, ctx) => {
    const hasDistance = variant.switchDistance !== undefined;
    const hasCoverage = variant.screenCoverage !== undefined;
    if (hasDistance === hasCoverage) {
      ctx.addIssue({
        code: 'custom',
        input: variant,
        message: hasDistance
          ? 'set exactly one of switchDistance or screenCoverage, not both'
          : 'set exactly one of switchDistance or screenCoverage',
      });
    }
  })
  .register(manifestDocs, {
    id: 'LodVariant',
    description:
      'A reduced level of detail. Exactly one of switchDistance or screenCoverage; all variants of an asset use the same one.',
    oneOf: [{ required: ['switchDistance'] }, { required: ['screenCoverage'] }],
  });
/** One reduced LOD variant (`asset.lods[i]` is level `i + 1`). */
export type LodVariant = z.infer<typeof LodVariantSchema>;

/** @internal The switch measure of a variant, or `undefined` if it sets none or both. */
export function lodMeasure(variant: LodVariant): 'switchDistance' | 'screenCoverage' | undefined {
  const hasDistance = variant.switchDistance !== undefined;
  const hasCoverage = variant.screenCoverage !== undefined;
  if (hasDistance === hasCoverage) return undefined;
  return hasDistance ? 'switchDistance' : 'screenCoverage';
}

const LodListSchema = z.array(LodVariantSchema).superRefine((lods, ctx) => {
  let mode: 'switchDistance' | 'screenCoverage' | undefined;
  let modeIndex = -1;
  let previous = -1;
  lods.forEach((variant, index) => {
    const measure = lodMeasure(variant);
    if (measure === undefined) return; // reported by the variant itself
    if (mode === undefined) {
      mode = measure;
      modeIndex = index;
    } else if (measure !== mode) {
      ctx.addIssue({
        code: 'custom',
        input: variant[measure],
        path: [index, measure],
        message: `uses ${measure} but lods.${modeIndex} uses ${mode}: all variants of an asset use the same measure`,
      });
      return;
    }
    const value = variant[measure] as number;
    if (previous >= 0) {
      const before = lods[previous]?.[measure] as number;
      const ordered = measure === 'switchDistance' ? value > before : value < before;
      if (!ordered) {
        ctx.addIssue({
          code: 'custom',
          input: value,
          path: [index, measure],
          message:
            measure === 'switchDistance'
              ? `must be greater than lods.${previous}.switchDistance (${before}): distances increase strictly, most detailed variant first`
              : `must be less than lods.${previous}.screenCoverage (${before}): coverages decrease strictly, most detailed variant first`,
        });
      }
    }
    previous = index;
  });
});

/** Schema of an asset's lineage: where it came from. Unknown fields are kept. */
export const AssetLineageSchema = z
  .looseObject({
    parentIds: z.array(z.string()).optional(),
    pipeline: z.string().optional(),
    steps: z.array(z.string()).optional(),
  })
  .register(manifestDocs, { description: 'Where the asset came from: parent assets, pipeline, steps.' });
/** An asset's lineage. */
export type AssetLineage = z.infer<typeof AssetLineageSchema>;

/** Schema of an asset's free metadata. Known fields are typed; any other field is kept as is. */
export const AssetMetadataSchema = z
  .looseObject({
    prompt: z.string().optional(),
    negativePrompt: z.string().optional(),
    tags: z.array(z.string()).optional(),
    qualityRating: z
      .number({ error: orRequired('must be a finite number') })
      .min(0, 'must be >= 0')
      .max(5, 'must be <= 5')
      .optional(),
    version: z.union([z.string(), z.int()], { error: orRequired('must be a string or an integer') }).optional(),
    lineage: AssetLineageSchema.optional(),
  })
  .register(manifestDocs, {
    id: 'AssetMetadata',
    description: 'Free metadata: generation prompt, tags, quality, lineage; any other field is kept.',
  });
/** An asset's free metadata. */
export type AssetMetadata = z.infer<typeof AssetMetadataSchema>;

/**
 * Schema of one asset. Level 0 is the asset itself (`key`, `url`, `sha256`, `triangles`);
 * `lods` lists the reduced variants, most detailed first.
 */
export const AssetSchema = z
  .looseObject({
    id: z
      .string()
      .min(1, { error: 'must not be empty', abort: true })
      .max(200, { error: 'must be at most 200 characters', abort: true })
      .regex(ASSET_ID_PATTERN, 'must contain only A-Z a-z 0-9 . _ : -')
      .register(manifestDocs, { description: 'Unique within the manifest: 1-200 characters of A-Z a-z 0-9 . _ : -' }),
    type: AssetTypeSchema,
    contentType: z
      .string()
      .regex(CONTENT_TYPE_PATTERN, 'must be a media type such as "model/gltf-binary"')
      .register(manifestDocs, { description: 'Media type of the file, such as model/gltf-binary.' }),
    bytes: nonNegativeInt(),
    sha256: Sha256Schema,
    key: StorageKeySchema,
    url: PresignedUrlSchema.optional(),
    triangles: nonNegativeInt()
      .register(manifestDocs, { description: 'Triangle count of the asset itself (LOD0).' })
      .optional(),
    lods: LodListSchema.register(manifestDocs, {
      description:
        'Reduced variants only, most detailed first: lods[i] is level i + 1. switchDistance strictly increasing or screenCoverage strictly decreasing.',
    }).optional(),
    platformMinLod: z
      .partialRecord(PlatformSchema, nonNegativeInt())
      .register(manifestDocs, {
        description:
          'Lowest level a platform may use (overrides the defaults: mobile 1, others 0); clamped to the number of variants.',
      })
      .optional(),
    textureCodecs: z.array(TextureCodecSchema).optional(),
    metadata: AssetMetadataSchema.optional(),
  })
  .register(manifestDocs, { id: 'Asset', description: 'One asset and its LOD variants. Unknown fields are kept.' });
/** One asset of a manifest. */
export type Asset = z.infer<typeof AssetSchema>;

/**
 * Schema of an asset manifest of the current MAJOR version. Unknown fields are allowed and
 * kept everywhere (a newer MINOR may add them). Asset ids are unique.
 */
export const ManifestSchema = z
  .looseObject({
    manifestVersion: z
      .string()
      .regex(MANIFEST_VERSION_PATTERN, `must be "${CURRENT_MANIFEST_MAJOR}.MINOR"`)
      .register(manifestDocs, {
        description: `"MAJOR.MINOR". Readers accept any MINOR of their MAJOR (${CURRENT_MANIFEST_MAJOR}).`,
      }),
    tenantId: z.string().min(1, 'must not be empty'),
    runId: z.string().min(1, 'must not be empty').optional(),
    generatedAt: z.iso
      .datetime({ offset: true, error: orRequired('must be an ISO 8601 date-time such as 2025-01-31T12:00:00Z') })
      .register(manifestDocs, { description: 'ISO 8601 date-time, with Z or an offset.' }),
    cdnBaseUrl: CdnBaseUrlSchema.optional(),
    assets: z.array(AssetSchema).superRefine((assets, ctx) => {
      const seen = new Map<string, number>();
      assets.forEach((asset, index) => {
        const first = seen.get(asset.id);
        if (first === undefined) {
          seen.set(asset.id, index);
          return;
        }
        ctx.addIssue({
          code: 'custom',
          input: asset.id,
          path: [index, 'id'],
          message: `duplicate asset id ${JSON.stringify(asset.id)} (also assets.${first}.id)`,
        });
      });
    }),
  })
  .register(manifestDocs, {
    title: 'Kiln asset manifest',
    description: `Kiln asset manifest, MAJOR version ${CURRENT_MANIFEST_MAJOR}. Asset ids are unique (not expressible in JSON Schema).`,
  });
/** An asset manifest, as returned by `parseManifest`. */
export type Manifest = z.infer<typeof ManifestSchema>;
