import { decodeImage, type RawImage } from '../backends/procedural/image.js';
import { rng } from '../backends/procedural/rng.js';
import type { AutoTagger } from './tagger.js';
import { invalidOption } from '../errors.js';

/** Computes an image embedding (for example CLIP, supplied by the host). */
export interface EmbeddingProvider {
  readonly name: string;
  embed(image: Uint8Array): Promise<number[]>;
}

/** One colour of a palette: `#RRGGBB` and its share of the pixels. */
export interface PaletteColor {
  color: string;
  weight: number;
}

/** A project's style reference, measured from reference images. */
export interface StyleProfile {
  /** Dominant colours (k-means, k = 5), most common first. */
  palette: PaletteColor[];
  /** Luminance histogram, 16 bins, sums to 1. */
  brightness: number[];
  /** Local contrast histogram (|pixel − mean of its 4 neighbours|), 16 bins, sums to 1. */
  contrast: number[];
  /** RGB histogram, 4×4×4 bins, sums to 1: the model-free check. */
  colors: number[];
  /** Mean embedding of the references, when an embedding provider was given. */
  embedding?: number[];
  embeddingModel?: string;
}

/** Options of {@link buildStyleProfile} and {@link compareToStyle}. */
export interface StyleOptions {
  /** Palette size. Default 5. */
  k?: number;
  /** Pixels sampled per image for k-means. Default 4096. */
  samples?: number;
  embedder?: EmbeddingProvider;
  /** Cosine similarity an output needs to match the profile. Default 0.85. */
  threshold?: number;
  /** Largest colour-histogram distance (Hellinger, 0..1) that still matches. Default 0.5. */
  maxHistogramDistance?: number;
}

/** Defaults of {@link StyleOptions}. */
export const STYLE_DEFAULTS = { k: 5, samples: 4096, threshold: 0.85, maxHistogramDistance: 0.5 } as const;

function pixels(image: RawImage): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let i = 0; i < image.data.length; i += 4) if (image.data[i + 3]! >= 128) out.push([image.data[i]!, image.data[i + 1]!, image.data[i + 2]!]);
  return out;
}

/** The k dominant colours of RGB pixels by k-means (k-means++ seeding, deterministic). */
export function kMeansPalette(points: readonly (readonly [number, number, number])[], k: number = STYLE_DEFAULTS.k, iterations = 12): PaletteColor[] {
  if (points.length === 0) return [];
  const random = rng(points.length * 2654435761);
  const d2 = (a: readonly number[], b: readonly number[]) => (a[0]! - b[0]!) ** 2 + (a[1]! - b[1]!) ** 2 + (a[2]! - b[2]!) ** 2;
  const centroids: number[][] = [[...points[Math.floor(random() * points.length)]!]];
  while (centroids.length < Math.min(k, points.length)) {
    const distances = points.map((p) => Math.min(...centroids.map((c) => d2(p, c))));
    const total = distances.reduce((a, b) => a + b, 0);
    if (total === 0) break;
    let pick = random() * total;
    let index = 0;
    while (index < distances.length - 1 && (pick -= distances[index]!) > 0) index++;
    centroids.push([...points[index]!]);
  }
  const assign = new Array<number>(points.length).fill(0);
  for (let it = 0; it < iterations; it++) {
    points.forEach((p, i) => {
      let best = 0;
      for (let c = 1; c < centroids.length; c++) if (d2(p, centroids[c]!) < d2(p, centroids[best]!)) best = c;
      assign[i] = best;
    });
    const sums = centroids.map(() => [0, 0, 0, 0]);
    points.forEach((p, i) => {
      const s = sums[assign[i]!]!;
      s[0]! += p[0];
      s[1]! += p[1];
      s[2]! += p[2];
      s[3]! += 1;
    });
    sums.forEach((s, c) => {
      if (s[3]! > 0) centroids[c] = [s[0]! / s[3]!, s[1]! / s[3]!, s[2]! / s[3]!];
    });
  }
  const counts = centroids.map((_, c) => assign.filter((a) => a === c).length);
  return centroids
    .map((c, i) => ({ color: `#${c.map((v) => Math.round(v).toString(16).padStart(2, '0')).join('').toUpperCase()}`, weight: counts[i]! / points.length }))
    .filter((p) => p.weight > 0)
    .sort((a, b) => b.weight - a.weight);
}

function histograms(image: RawImage) {
  const brightness = new Array<number>(16).fill(0);
  const contrast = new Array<number>(16).fill(0);
  const colors = new Array<number>(64).fill(0);
  const { width, height, data } = image;
  const lum = new Float32Array(width * height);
  for (let i = 0; i < width * height; i++) lum[i] = 0.2126 * data[i * 4]! + 0.7152 * data[i * 4 + 1]! + 0.0722 * data[i * 4 + 2]!;
  let n = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (data[i * 4 + 3]! < 128) continue;
      n++;
      brightness[Math.min(15, Math.floor(lum[i]! / 16))]! += 1;
      colors[(data[i * 4]! >> 6) * 16 + (data[i * 4 + 1]! >> 6) * 4 + (data[i * 4 + 2]! >> 6)]! += 1;
      const around = [x > 0 ? lum[i - 1] : lum[i], x < width - 1 ? lum[i + 1] : lum[i], y > 0 ? lum[i - width] : lum[i], y < height - 1 ? lum[i + width] : lum[i]] as number[];
      const local = Math.abs(lum[i]! - around.reduce((a, b) => a + b, 0) / 4);
      contrast[Math.min(15, Math.floor(local / 4))]! += 1;
    }
  }
  const norm = (h: number[]) => h.map((v) => (n === 0 ? 0 : v / n));
  return { brightness: norm(brightness), contrast: norm(contrast), colors: norm(colors) };
}

function sample<T>(items: T[], count: number, seed: number): T[] {
  if (items.length <= count) return items;
  const random = rng(seed);
  return Array.from({ length: count }, () => items[Math.floor(random() * items.length)]!);
}

/** Measures a style profile from reference images (PNG, JPEG, WebP). */
export async function buildStyleProfile(images: readonly Uint8Array[], options: StyleOptions = {}): Promise<StyleProfile> {
  if (images.length === 0) throw invalidOption('buildStyleProfile: give at least one reference image', { path: 'images' });
  const decoded = await Promise.all(images.map(decodeImage));
  const points = decoded.flatMap((image, i) => sample(pixels(image), options.samples ?? STYLE_DEFAULTS.samples, i + 1));
  const all = decoded.map(histograms);
  const mean = (key: 'brightness' | 'contrast' | 'colors') => all[0]![key].map((_, b) => all.reduce((s, h) => s + h[key][b]!, 0) / all.length);
  const profile: StyleProfile = { palette: kMeansPalette(points, options.k ?? STYLE_DEFAULTS.k), brightness: mean('brightness'), contrast: mean('contrast'), colors: mean('colors') };
  if (options.embedder) {
    const vectors = await Promise.all(images.map((img) => options.embedder!.embed(img)));
    profile.embedding = vectors[0]!.map((_, d) => vectors.reduce((s, v) => s + (v[d] ?? 0), 0) / vectors.length);
    profile.embeddingModel = options.embedder.name;
  }
  return profile;
}

/** Cosine similarity of two vectors (0 when either is zero). */
export function cosineSimilarity(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! ** 2;
    nb += b[i]! ** 2;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** Hellinger distance of two normalized histograms: 0 equal, 1 disjoint. */
export function histogramDistance(a: readonly number[], b: readonly number[]): number {
  let bc = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) bc += Math.sqrt(Math.max(0, a[i]!) * Math.max(0, b[i]!));
  return Math.sqrt(Math.max(0, 1 - bc));
}

/** How an image compares to a profile. */
export interface StyleComparison {
  /** Cosine similarity of embeddings (with an embedder and a profile embedding). */
  cosine?: number;
  /** Colour-histogram distance (no model needed). */
  histogramDistance: number;
  brightnessDistance: number;
  /** 0..1: the cosine when there is one, else 1 − the colour-histogram distance. */
  score: number;
  matches: boolean;
}

/** Compares an image to a style profile. */
export async function compareToStyle(image: Uint8Array, profile: StyleProfile, options: StyleOptions = {}): Promise<StyleComparison> {
  const h = histograms(await decodeImage(image));
  const distance = histogramDistance(h.colors, profile.colors);
  const comparison: StyleComparison = {
    histogramDistance: distance,
    brightnessDistance: histogramDistance(h.brightness, profile.brightness),
    score: 1 - distance,
    matches: distance <= (options.maxHistogramDistance ?? STYLE_DEFAULTS.maxHistogramDistance),
  };
  if (options.embedder && profile.embedding) {
    const cosine = cosineSimilarity(await options.embedder.embed(image), profile.embedding);
    comparison.cosine = cosine;
    comparison.score = cosine;
    comparison.matches = cosine >= (options.threshold ?? STYLE_DEFAULTS.threshold);
  }
  return comparison;
}

/**
 * A `quality.styleScore` function for the job client: scores images against the project's
 * profile (`profiles[projectId]`), so off-style outputs lose a quality tier.
 */
export function styleScorer(profiles: Record<string, StyleProfile> | ((projectId: string) => StyleProfile | undefined), options: StyleOptions = {}) {
  return async (data: Uint8Array, context: { projectId: string }): Promise<number | undefined> => {
    const profile = typeof profiles === 'function' ? profiles(context.projectId) : profiles[context.projectId];
    return profile ? (await compareToStyle(data, profile, options)).score : undefined;
  };
}

const COLOR_NAMES: [string, [number, number, number]][] = [
  ['red', [200, 40, 40]],
  ['orange', [235, 130, 30]],
  ['yellow', [235, 210, 50]],
  ['green', [60, 160, 70]],
  ['cyan', [40, 200, 220]],
  ['blue', [50, 90, 200]],
  ['purple', [130, 60, 170]],
  ['pink', [230, 120, 170]],
  ['brown', [120, 80, 45]],
  ['black', [20, 20, 20]],
  ['white', [240, 240, 240]],
  ['gray', [128, 128, 128]],
];

/** The nearest basic colour name of `#RRGGBB`. */
export function colorName(hex: string): string {
  const v = parseInt(hex.slice(1), 16);
  const rgb = [(v >> 16) & 255, (v >> 8) & 255, v & 255];
  let best = COLOR_NAMES[0]!;
  let bestD = Infinity;
  for (const entry of COLOR_NAMES) {
    const d = (rgb[0]! - entry[1][0]) ** 2 * 2 + (rgb[1]! - entry[1][1]) ** 2 * 4 + (rgb[2]! - entry[1][2]) ** 2 * 3;
    if (d < bestD) {
      bestD = d;
      best = entry;
    }
  }
  return best[0];
}

/**
 * The built-in auto-tagger: the dominant palette (k-means) as `color:<name>` tags (colours over
 * `minWeight` of the pixels), plus `palette:warm|cool|neutral` and `tone:dark|light|mid`.
 */
export function paletteTagger(options: { k?: number; minWeight?: number } = {}): AutoTagger {
  return {
    name: 'palette',
    async tag(input) {
      if (!input.contentType.startsWith('image/')) return [];
      const image = await decodeImage(input.data);
      const palette = kMeansPalette(sample(pixels(image), 4096, 7), options.k ?? 5);
      const tags = [...new Set(palette.filter((p) => p.weight >= (options.minWeight ?? 0.1)).map((p) => `color:${colorName(p.color)}`))];
      let warm = 0;
      let lum = 0;
      for (const p of palette) {
        const v = parseInt(p.color.slice(1), 16);
        const [r, g, b] = [(v >> 16) & 255, (v >> 8) & 255, v & 255];
        warm += (r - b) * p.weight;
        lum += (0.2126 * r + 0.7152 * g + 0.0722 * b) * p.weight;
      }
      tags.push(warm > 25 ? 'palette:warm' : warm < -25 ? 'palette:cool' : 'palette:neutral');
      tags.push(lum < 85 ? 'tone:dark' : lum > 170 ? 'tone:light' : 'tone:mid');
      return tags;
    },
  };
}
