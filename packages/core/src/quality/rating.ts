import { imageSize, inspectGlb } from '../media.js';
import type { QualityInfo } from '../store/types.js';

/** A quality rating, best first. */
export type QualityRating = QualityInfo['rating'];
/** Ratings from best to worst. */
export const QUALITY_RATINGS: readonly QualityRating[] = ['AAA', 'AA', 'A', 'Poor'];
/** The rating as a 0-5 score, for the manifest's `qualityRating`. */
export const QUALITY_SCORE: Readonly<Record<QualityRating, number>> = { AAA: 5, AA: 4, A: 3, Poor: 1 };

/** Options of {@link rateOutput}. */
export interface QualityOptions {
  /** Shortest side of an image (or texture) per tier. Default AAA 1024, AA 512, A 256; under `poor` (128) is Poor. */
  tiers?: { AAA?: number; AA?: number; A?: number; poor?: number };
  /** Poor outputs are regenerated (new seed) up to this many times. Default 2. */
  maxRegenerations?: number;
  /** A style score under this lowers the rating one tier. Default 0.85 (the cosine threshold). */
  styleThreshold?: number;
  /** Validates a GLB beyond the built-in structural check (for example the Khronos validator); returns error messages. */
  validateGlb?: (data: Uint8Array) => Promise<string[]> | string[];
  /** Scores an image against the project's style profile, 0..1 (see `styleScorer`). */
  styleScore?: (data: Uint8Array, context: { projectId: string }) => Promise<number | undefined> | number | undefined;
}

/** Defaults of {@link QualityOptions}. */
export const QUALITY_DEFAULTS = {
  tiers: { AAA: 1024, AA: 512, A: 256, poor: 128 },
  maxRegenerations: 2,
  styleThreshold: 0.85,
} as const;

/** What is rated: one output, with the request's triangle budget for models. */
export interface RateInput {
  data: Uint8Array;
  contentType: string;
  /** `constraints.poly_count_budget` of the request. */
  polyBudget?: number;
  projectId: string;
}

/** A rating and why. */
export interface RatingResult {
  rating: QualityRating;
  reasons: string[];
  styleScore?: number;
  /** Image width/height, model triangles. */
  measures: Record<string, number>;
}

function lower(rating: QualityRating, steps = 1): QualityRating {
  const index = Math.min(QUALITY_RATINGS.length - 1, QUALITY_RATINGS.indexOf(rating) + steps);
  return QUALITY_RATINGS[index] as QualityRating;
}

function tierOf(side: number, tiers: Required<NonNullable<QualityOptions['tiers']>>): QualityRating {
  if (side >= tiers.AAA) return 'AAA';
  if (side >= tiers.AA) return 'AA';
  if (side >= tiers.poor) return 'A';
  return 'Poor';
}

/**
 * Rates one output from measurable checks:
 * - images: the shortest side against the tiers (AAA ≥ 1024², AA ≥ 512², A ≥ 256²; 128-255 is
 *   still A but noted; under 128² is Poor);
 * - models (GLB): the largest texture like an image, then the triangle budget (over budget lowers
 *   one tier, over twice the budget is Poor) and structural or validator errors (Poor);
 * - an optional style score under the threshold lowers one tier.
 * Other content types are rated A ("not rated").
 */
export async function rateOutput(input: RateInput, options: QualityOptions = {}): Promise<RatingResult> {
  const tiers = { ...QUALITY_DEFAULTS.tiers, ...definedOnly(options.tiers ?? {}) };
  const reasons: string[] = [];
  const measures: Record<string, number> = {};
  let rating: QualityRating;
  if (input.contentType.startsWith('image/')) {
    const size = imageSize(input.data);
    if (!size) return { rating: 'Poor', reasons: ['the image header does not parse'], measures };
    measures['width'] = size.width;
    measures['height'] = size.height;
    const side = Math.min(size.width, size.height);
    rating = tierOf(side, tiers);
    reasons.push(`${size.width}x${size.height}: ${rating}${rating === 'A' && side < tiers.A ? ` (under the ${tiers.A}² tier)` : ''}`);
  } else if (input.contentType === 'model/gltf-binary') {
    const info = inspectGlb(input.data);
    measures['triangles'] = info.triangles;
    const errors = [...info.errors, ...((await options.validateGlb?.(input.data)) ?? [])];
    const texture = Math.max(0, ...info.textureSizes.map((t) => Math.min(t.width, t.height)));
    rating = texture > 0 ? tierOf(texture, tiers) : 'A';
    reasons.push(texture > 0 ? `texture ${texture}²: ${rating}` : 'no embedded texture: A');
    if (texture > 0) measures['texture'] = texture;
    if (input.polyBudget !== undefined) {
      if (info.triangles > 2 * input.polyBudget) {
        rating = 'Poor';
        reasons.push(`${info.triangles} triangles, over twice the budget of ${input.polyBudget}`);
      } else if (info.triangles > input.polyBudget) {
        rating = lower(rating);
        reasons.push(`${info.triangles} triangles, over the budget of ${input.polyBudget}`);
      }
    }
    if (info.triangles === 0) {
      rating = 'Poor';
      reasons.push('no triangles');
    }
    if (errors.length > 0) {
      rating = 'Poor';
      reasons.push(`validator: ${errors.slice(0, 3).join('; ')}`);
    }
  } else {
    return { rating: 'A', reasons: [`${input.contentType}: not rated`], measures };
  }
  let styleScore: number | undefined;
  if (options.styleScore && input.contentType.startsWith('image/')) {
    styleScore = await options.styleScore(input.data, { projectId: input.projectId });
    const threshold = options.styleThreshold ?? QUALITY_DEFAULTS.styleThreshold;
    if (styleScore !== undefined && styleScore < threshold) {
      rating = lower(rating);
      reasons.push(`style score ${styleScore.toFixed(3)} < ${threshold}`);
    }
  }
  return { rating, reasons, measures, ...(styleScore === undefined ? {} : { styleScore }) };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The worst of several ratings. */
export function worstRating(ratings: readonly QualityRating[]): QualityRating {
  return ratings.reduce<QualityRating>((worst, r) => (QUALITY_RATINGS.indexOf(r) > QUALITY_RATINGS.indexOf(worst) ? r : worst), 'AAA');
}
