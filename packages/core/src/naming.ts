import { CoreError } from './errors.js';
import type { RequestAssetType } from './request.js';

/** The parts of an asset file name `[category]_[asset-name]_[variant]_[size].[ext]`. */
export interface AssetNameParts {
  /** `unit`, `building`, `tile`, `effect`, `char`, … : lower-case letters and digits. */
  category: string;
  /** `archer`, `fire-mage`: lower-case words joined by `-`. */
  name: string;
  /** `blue`, `base`, `v2`: lower-case words joined by `-`. */
  variant: string;
  /** `64x64` (pixels), `lod0`, or a triangle budget such as `5k`. */
  size: string;
  /** `png`, `glb`, …: lower-case letters and digits. */
  ext: string;
}

/** Category used when a request gives none. */
export const CATEGORY_BY_ASSET_TYPE: Readonly<Record<RequestAssetType, string>> = {
  '3D_CHARACTER': 'char',
  '2D_SPRITE': 'sprite',
  BACKGROUND: 'bg',
  PROP: 'prop',
};

const CATEGORY = /^[a-z0-9]+$/;
const WORDS = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const SIZE = /^(?:[1-9]\d{0,5}x[1-9]\d{0,5}|lod\d{1,2}|[1-9]\d{0,8}k?)$/;
const EXT = /^[a-z0-9]{1,8}$/;
/** The whole convention as one pattern. */
export const ASSET_NAME_PATTERN =
  /^([a-z0-9]+)_([a-z0-9]+(?:-[a-z0-9]+)*)_([a-z0-9]+(?:-[a-z0-9]+)*)_([1-9]\d{0,5}x[1-9]\d{0,5}|lod\d{1,2}|[1-9]\d{0,8}k?)\.([a-z0-9]{1,8})$/;

/** Lower-case words joined by `-`: `"Fire Mage!"` → `fire-mage`. Empty when nothing is left. */
export function slugify(text: string, maxLength = 48): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, maxLength)
    .replace(/-+$/, '');
}

/**
 * Builds and validates an asset file name.
 *
 * @example
 * ```ts
 * assetFileName({ category: 'unit', name: 'archer', variant: 'blue', size: { width: 64, height: 64 }, ext: 'png' });
 * // 'unit_archer_blue_64x64.png'
 * ```
 * @throws {@link CoreError} `asset_name_invalid` naming the offending part.
 */
export function assetFileName(parts: Omit<AssetNameParts, 'size'> & { size: string | { width: number; height: number } }): string {
  const size = typeof parts.size === 'string' ? parts.size : `${parts.size.width}x${parts.size.height}`;
  const checks: [keyof AssetNameParts, string, RegExp, string][] = [
    ['category', parts.category, CATEGORY, 'lower-case letters and digits, such as "unit"'],
    ['name', parts.name, WORDS, 'lower-case words joined by "-", such as "fire-mage"'],
    ['variant', parts.variant, WORDS, 'lower-case words joined by "-", such as "blue"'],
    ['size', size, SIZE, '"WIDTHxHEIGHT" such as "64x64", "lod0", or a triangle budget such as "5k"'],
    ['ext', parts.ext, EXT, 'lower-case letters and digits, such as "png"'],
  ];
  for (const [field, value, pattern, rule] of checks) {
    if (typeof value !== 'string' || !pattern.test(value)) {
      throw new CoreError('asset_name_invalid', `assetFileName: ${field} ${JSON.stringify(value)} must be ${rule}`, {
        details: { field, value },
      });
    }
  }
  return `${parts.category}_${parts.name}_${parts.variant}_${size}.${parts.ext}`;
}

/**
 * Splits a file name that follows the convention into its parts.
 * @throws {@link CoreError} `asset_name_invalid`, saying which part is wrong.
 */
export function parseAssetFileName(filename: string): AssetNameParts {
  const match = ASSET_NAME_PATTERN.exec(filename);
  if (match) {
    const [, category, name, variant, size, ext] = match as unknown as [string, string, string, string, string, string];
    return { category, name, variant, size, ext };
  }
  throw new CoreError('asset_name_invalid', `parseAssetFileName: ${JSON.stringify(filename)}: ${nameProblem(filename)}`, {
    details: { filename },
  });
}

/** True when `filename` follows `[category]_[asset-name]_[variant]_[size].[ext]`. */
export function isAssetFileName(filename: string): boolean {
  return ASSET_NAME_PATTERN.test(filename);
}

function nameProblem(filename: string): string {
  const dot = filename.lastIndexOf('.');
  if (dot < 0) return 'has no extension; expected [category]_[asset-name]_[variant]_[size].[ext]';
  const ext = filename.slice(dot + 1);
  if (!EXT.test(ext)) return `extension "${ext}" must be lower-case letters and digits`;
  const segments = filename.slice(0, dot).split('_');
  if (segments.length !== 4) {
    return `has ${segments.length} "_"-separated part${segments.length === 1 ? '' : 's'}; expected 4: [category]_[asset-name]_[variant]_[size] (use "-" inside a part)`;
  }
  const [category, name, variant, size] = segments as [string, string, string, string];
  if (!CATEGORY.test(category)) return `category "${category}" must be lower-case letters and digits`;
  if (!WORDS.test(name)) return `asset name "${name}" must be lower-case words joined by "-"`;
  if (!WORDS.test(variant)) return `variant "${variant}" must be lower-case words joined by "-"`;
  return `size "${size}" must be "WIDTHxHEIGHT" (64x64), "lod0" or a triangle budget (5k)`;
}
