import { z } from 'zod';
import { parseInput } from '@kiln/manifest';

/** The asset types of a request, from the seeds' standard input. */
export const REQUEST_ASSET_TYPES = ['3D_CHARACTER', '2D_SPRITE', 'BACKGROUND', 'PROP'] as const;
/** One of {@link REQUEST_ASSET_TYPES}. */
export type RequestAssetType = (typeof REQUEST_ASSET_TYPES)[number];
/** Target platforms of a request. */
export const REQUEST_PLATFORMS = ['MOBILE', 'PC', 'CONSOLE'] as const;
/** Rig types of a request. */
export const RIG_TYPES = ['HUMANOID', 'QUADRUPED', 'STATIC'] as const;

/** `required` for a missing value, `message` for a wrong one. */
const orRequired = (message: string) => (issue: { input?: unknown }) => (issue.input === undefined ? 'required' : message);
const oneOf = (values: readonly string[]) => (issue: { input?: unknown }) =>
  issue.input === undefined ? 'required' : `must be one of ${values.join(', ')}; got ${JSON.stringify(issue.input)}`;
const text = (max: number) =>
  z
    .string({ error: orRequired('must be a string') })
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`);

/** A project id: it becomes the storage tenant, so it follows the tenant id rules. */
export const ProjectIdSchema = z
  .string({ error: orRequired('must be a string') })
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must start with a letter or digit and hold only A-Z a-z 0-9 . _ -')
  .refine((value) => !value.includes('..'), 'must not contain ".."');

/** A `#RRGGBB` colour. */
export const HexColorSchema = z.string().regex(/^#[0-9A-Fa-f]{6}$/, 'must be a #RRGGBB colour such as #FF5733');

/**
 * Locked style parameters: fixed for a project or a batch, appended to every prompt as style
 * modifiers (`with colors #FF5733, #33FF57`).
 */
export const StyleLockSchema = z.object({
  colors: z.array(HexColorSchema).max(16, 'at most 16 colours').optional(),
  art_style: text(200).optional(),
  lighting: text(200).optional(),
  camera: text(200).optional(),
  /** Free modifiers appended as they are. */
  modifiers: z.array(text(200)).max(16, 'at most 16 modifiers').optional(),
});
/** Locked style parameters; see {@link StyleLockSchema}. */
export type StyleLock = z.infer<typeof StyleLockSchema>;

/**
 * Schema of an asset request, the seeds' standard input. Fields beyond the seeds' (`name`,
 * `category`, `variant`, `seed`, `style_lock`) are optional.
 */
export const AssetRequestSchema = z
  .object({
    project_id: ProjectIdSchema,
    asset_type: z.enum(REQUEST_ASSET_TYPES, { error: oneOf(REQUEST_ASSET_TYPES) }),
    prompt: z.object(
      {
        core_concept: text(500),
        style: text(200),
        details: z.string({ error: 'must be a string' }).max(2000, 'must be at most 2000 characters').optional(),
      },
      { error: orRequired('must be an object with core_concept, style and details') },
    ),
    constraints: z.object(
      {
        poly_count_budget: z
          .int({ error: orRequired('must be an integer') })
          .positive('must be > 0')
          .max(10_000_000, 'must be at most 10000000')
          .optional(),
        platform: z.enum(REQUEST_PLATFORMS, { error: oneOf(REQUEST_PLATFORMS) }),
        rig_type: z.enum(RIG_TYPES, { error: oneOf(RIG_TYPES) }).default('STATIC'),
      },
      { error: orRequired('must be an object with poly_count_budget, platform and rig_type') },
    ),
    reference_image_url: z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' }).optional(),
    /** Asset name for the file names (`archer`); default: from `core_concept`. */
    name: z
      .string()
      .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be lower-case words joined by "-", such as "archer" or "fire-mage"')
      .max(64, 'must be at most 64 characters')
      .optional(),
    /** File name category (`unit`, `building`, `tile`, `effect`); default: from `asset_type`. */
    category: z.string().regex(/^[a-z0-9]+$/, 'must be lower-case letters and digits, such as "unit"').max(32).optional(),
    /** File name variant (`blue`, `v2`); default `base`. */
    variant: z
      .string()
      .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be lower-case words joined by "-", such as "blue"')
      .max(32)
      .optional(),
    /** Generation seed; default: derived from the request, so a re-import gets the same seed. */
    seed: z.int({ error: 'must be an integer' }).min(0, 'must be >= 0').max(2 ** 32 - 1, 'must be < 2^32').optional(),
    style_lock: StyleLockSchema.optional(),
  })
  .superRefine((request, ctx) => {
    if (request.asset_type === '3D_CHARACTER' && request.constraints.poly_count_budget === undefined) {
      ctx.addIssue({ code: 'custom', path: ['constraints', 'poly_count_budget'], message: 'required for asset_type 3D_CHARACTER' });
    }
  });

/** A validated asset request (defaults applied). */
export type AssetRequest = z.output<typeof AssetRequestSchema>;
/** An asset request as callers write it. */
export type AssetRequestInput = z.input<typeof AssetRequestSchema>;

/**
 * Validates an asset request.
 *
 * @example
 * ```ts
 * const request = parseAssetRequest({
 *   project_id: 'tower-defense',
 *   asset_type: '2D_SPRITE',
 *   prompt: { core_concept: 'archer unit', style: 'pixel art', details: 'blue cloak' },
 *   constraints: { platform: 'MOBILE', rig_type: 'STATIC' },
 * });
 * ```
 * @throws `KilnValidationError` whose message and `issues` name each offending field, such as
 *   `assetRequest: invalid input: constraints.platform: must be one of MOBILE, PC, CONSOLE; got "TV"`.
 */
export function parseAssetRequest(input: unknown, prefix = 'assetRequest'): AssetRequest {
  return parseInput(AssetRequestSchema, input, prefix);
}
