import { formatPath, KilnValidationError, ResolveError, type ValidationIssue } from './errors.js';
import { CdnBaseUrlSchema, lodMeasure, PLATFORMS, type Asset, type LodVariant, type Manifest, type Platform } from './schema.js';
import { joinCdnUrl } from './url.js';

/**
 * The lowest LOD level each platform uses when an asset sets no `platformMinLod` for it:
 * mobile skips LOD0 (the full-detail model) by default. Clamped to the asset's variant count.
 */
export const DEFAULT_PLATFORM_MIN_LOD: Readonly<Record<Platform, number>> = {
  mobile: 1,
  pc: 0,
  console: 0,
  web: 0,
};

/** Options of {@link selectLod}. */
export interface SelectLodOptions {
  /** Camera distance (>= 0, `Infinity` allowed), for assets whose variants set `switchDistance`. */
  distance?: number;
  /** The object's projected height as a fraction of the screen height (>= 0), for assets whose variants set `screenCoverage`. */
  screenCoverage?: number;
  /** Platform of the player; applies its LOD floor. Default: none (floor 0). */
  platform?: Platform;
}

/** The part of an asset {@link selectLod} reads. */
export type LodSource = Pick<Asset, 'lods' | 'platformMinLod'>;

/**
 * Picks the LOD level of an asset: 0 is the asset itself, `i` is `asset.lods[i - 1]`.
 *
 * - Distance mode (variants set `switchDistance`): the number of variants whose
 *   `switchDistance <= distance`, like `THREE.LOD`.
 * - Coverage mode (variants set `screenCoverage`): the number of variants whose
 *   `screenCoverage >= screenCoverage` (an object that shrinks to a variant's coverage switches to it).
 * - Without the measure the asset's variants use: level 0.
 * - Platform floor: the level is at least `asset.platformMinLod[platform]`, else
 *   {@link DEFAULT_PLATFORM_MIN_LOD}`[platform]`, and at most the number of variants. An asset
 *   without variants is always level 0.
 *
 * @example
 * ```ts
 * selectLod(asset, { distance: 42, platform: 'mobile' }); // 0..asset.lods.length
 * ```
 * @throws {@link KilnValidationError} (`invalid_input`) for a negative or NaN measure or an unknown platform.
 */
export function selectLod(asset: LodSource, options: SelectLodOptions = {}): number {
  const issues = checkLodOptions(options);
  if (issues.length > 0) throw invalidOptions('selectLod', issues);
  return pickLevel(asset, options);
}

/** Options of {@link resolveAsset}. */
export interface ResolveAssetOptions extends SelectLodOptions {
  /** Base URL that keys are joined to. Default: the manifest's `cdnBaseUrl`. */
  cdnBaseUrl?: string;
  /** Explicit level (0 = the asset itself); bypasses {@link selectLod} and the platform floor. */
  level?: number;
}

/** An asset resolved to one file: what a loader fetches and caches. */
export interface ResolvedAsset {
  /** The asset's id. */
  assetId: string;
  /** The chosen level: 0 is the asset itself, `i` is `lods[i - 1]`. */
  level: number;
  /** Storage key of the level's file. */
  key: string;
  /** URL to fetch: the level's `url` if set, else the CDN base joined with `key`. */
  url: string;
  /** SHA-256 of the level's file. */
  sha256: string;
  /** Size of the level's file. */
  bytes: number;
  /** Media type of the asset. */
  contentType: string;
  /** Triangle count of the level, when known. */
  triangles?: number;
  /**
   * Stable cache key, `${assetId}#${level}@${sha256}`: never the URL, so presigned URLs that
   * change do not bust caches.
   */
  cacheKey: string;
}

/**
 * Resolves an asset of a parsed manifest to the file a loader fetches: picks the level with
 * {@link selectLod} (or takes `options.level`), then its URL: the level's `url` if set (it takes
 * precedence over `key`), else `options.cdnBaseUrl ?? manifest.cdnBaseUrl` joined with the key
 * by {@link joinCdnUrl}.
 *
 * @example
 * ```ts
 * const { url, cacheKey } = resolveAsset(manifest, 'chair', { distance: 12, platform: 'web' });
 * ```
 * @throws {@link ResolveError} `asset_not_found`, `lod_not_found` (explicit `level` beyond the
 *   variants) or `manifest_unresolvable` (no `url` and no base URL);
 *   {@link KilnValidationError} (`invalid_input`) for invalid options.
 */
export function resolveAsset(
  manifest: Pick<Manifest, 'assets' | 'cdnBaseUrl'>,
  assetId: string,
  options: ResolveAssetOptions = {},
): ResolvedAsset {
  const issues = checkLodOptions(options);
  if (options.level !== undefined && !(Number.isSafeInteger(options.level) && options.level >= 0)) {
    issues.push({ path: 'level', message: 'must be an integer >= 0' });
  }
  // The parsed value is the one joined: the schema may normalise (trim) what it accepts.
  let optionBase: string | undefined;
  if (options.cdnBaseUrl !== undefined) {
    const result = CdnBaseUrlSchema.safeParse(options.cdnBaseUrl);
    if (result.success) optionBase = result.data;
    else {
      for (const issue of result.error.issues) {
        issues.push({ path: formatPath(['cdnBaseUrl', ...issue.path]), message: issue.message });
      }
    }
  }
  if (issues.length > 0) throw invalidOptions('resolveAsset', issues);

  const asset = manifest.assets.find((candidate) => candidate.id === assetId);
  if (!asset) {
    throw new ResolveError(
      'asset_not_found',
      `resolveAsset: asset ${JSON.stringify(assetId)} not found in the manifest (${manifest.assets.length} assets)`,
      { details: { assetId } },
    );
  }
  const lods = asset.lods ?? [];
  let level: number;
  if (options.level === undefined) {
    level = pickLevel(asset, options);
  } else if (options.level > lods.length) {
    throw new ResolveError(
      'lod_not_found',
      `resolveAsset: asset ${JSON.stringify(assetId)} has no level ${options.level} (levels 0..${lods.length})`,
      { details: { assetId, level: options.level, levels: lods.length + 1 } },
    );
  } else {
    level = options.level;
  }

  const source: Asset | LodVariant = level === 0 ? asset : (lods[level - 1] as LodVariant);
  const base = optionBase ?? manifest.cdnBaseUrl;
  let url: string;
  if (source.url !== undefined) {
    url = source.url;
  } else if (base !== undefined) {
    url = joinCdnUrl(base, source.key);
  } else {
    throw new ResolveError(
      'manifest_unresolvable',
      `resolveAsset: asset ${JSON.stringify(assetId)} level ${level} has no url and there is no cdnBaseUrl; set manifest.cdnBaseUrl or pass options.cdnBaseUrl`,
      { details: { assetId, level, key: source.key } },
    );
  }

  const resolved: ResolvedAsset = {
    assetId,
    level,
    key: source.key,
    url,
    sha256: source.sha256,
    bytes: source.bytes,
    contentType: asset.contentType,
    cacheKey: `${assetId}#${level}@${source.sha256}`,
  };
  if (source.triangles !== undefined) resolved.triangles = source.triangles;
  return resolved;
}

function pickLevel(asset: LodSource, options: SelectLodOptions): number {
  const lods = asset.lods ?? [];
  if (lods.length === 0) return 0;
  let level = 0;
  const first = lods[0] as LodVariant;
  const mode = lodMeasure(first);
  if (mode === 'switchDistance' && options.distance !== undefined) {
    const distance = options.distance;
    level = lods.filter((variant) => variant.switchDistance !== undefined && variant.switchDistance <= distance).length;
  } else if (mode === 'screenCoverage' && options.screenCoverage !== undefined) {
    const coverage = options.screenCoverage;
    level = lods.filter((variant) => variant.screenCoverage !== undefined && variant.screenCoverage >= coverage).length;
  }
  if (options.platform !== undefined) {
    const floor = asset.platformMinLod?.[options.platform] ?? DEFAULT_PLATFORM_MIN_LOD[options.platform];
    level = Math.max(level, floor);
  }
  return Math.min(level, lods.length);
}

function checkLodOptions(options: SelectLodOptions): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const name of ['distance', 'screenCoverage'] as const) {
    const value = options[name];
    if (value !== undefined && !(typeof value === 'number' && value >= 0)) {
      issues.push({ path: name, message: 'must be a number >= 0' });
    }
  }
  if (options.platform !== undefined && !(PLATFORMS as readonly string[]).includes(options.platform)) {
    issues.push({ path: 'platform', message: `must be one of ${PLATFORMS.join(', ')}` });
  }
  return issues;
}

function invalidOptions(prefix: string, issues: readonly ValidationIssue[]): KilnValidationError {
  const summary = issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
  return new KilnValidationError(`${prefix}: invalid options: ${summary}`, issues);
}
