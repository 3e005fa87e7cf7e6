import { CONTENT_TYPE_OVERRIDES } from '../content-type.js';

/**
 * Content-Types on CloudFront's documented "File types that CloudFront compresses" list that Kiln
 * stores. The list has no `model/*` type, so `model/gltf+json` is not on it.
 */
const CLOUDFRONT_COMPRESSIBLE_TYPES: ReadonlySet<string> = new Set(['application/json', 'text/html', 'text/plain']);

/** Which assets gzip/brotli should touch, as data; see {@link cloudFrontCompression}. */
export interface CompressionRules {
  /** Text formats worth compressing (lower-case extensions, no dot): `gltf`, `glsl`, `json`, `html`. */
  compress: readonly string[];
  /** Formats never compressed: already compressed binary (`glb`, `ktx2`, `mp4`, `mp3`, `png`, `jpg`, `jpeg`). */
  neverCompress: readonly string[];
  /** The Content-Type the store writes for each extension above. */
  contentTypes: Readonly<Record<string, string>>;
  /**
   * Of `compress`, the extensions whose Content-Type is on CloudFront's list, so CloudFront
   * compresses them itself on a cache behaviour with `Compress: true`: `glsl`, `json`, `html`.
   * `gltf` (`model/gltf+json`) is not: CloudFront serves it as stored.
   */
  compressedByCloudFront: readonly string[];
  /** CloudFront compresses only bodies of this many bytes or more (with a `Content-Length`). */
  minBytes: number;
  /** …and at most this many. */
  maxBytes: number;
}

/** `type/subtype` with a registered top-level type, optionally followed by parameters. */
const MEDIA_TYPE = /^((?:application|audio|font|image|model|text|video|multipart|message)\/[a-z0-9!#$&^_.+-]+)\s*(?:;.*)?$/s;

const COMPRESS = ['gltf', 'glsl', 'json', 'html'] as const;
const NEVER_COMPRESS = ['glb', 'ktx2', 'mp4', 'mp3', 'png', 'jpg', 'jpeg'] as const;

function contentTypeOf(extension: string): string {
  const type = CONTENT_TYPE_OVERRIDES[extension];
  if (type === undefined) throw new Error(`storage.cloudFrontCompression: no Content-Type for "${extension}"`);
  return type;
}

/**
 * The compression rules for Kiln assets behind CloudFront, as data: compress the text formats
 * (`gltf`, `glsl`, `json`, `html`), never the already compressed binaries (`glb`, `ktx2`, `mp4`,
 * `mp3`, `png`, `jpg`), with the Content-Type the store writes for each.
 *
 * CloudFront does not read this list. It decides by the response's `Content-Type`, on a cache
 * behaviour with `Compress: true` (plus gzip and brotli enabled in its cache policy), for bodies of
 * 1,000 to 10,000,000 bytes that have a `Content-Length` and no `Content-Encoding`. The store's job
 * is to write correct Content-Types; this list documents the result and drives
 * {@link shouldCompress}. `model/gltf+json` is not among the types CloudFront compresses, so
 * `.gltf` leaves CloudFront uncompressed (`compressedByCloudFront` says which are); `.glsl` goes
 * out as `text/plain` and is compressed.
 *
 * @example
 * ```ts
 * const rules = cloudFrontCompression();
 * rules.compress; // ['gltf', 'glsl', 'json', 'html']
 * rules.compressedByCloudFront; // ['glsl', 'json', 'html']
 * ```
 */
export function cloudFrontCompression(): CompressionRules {
  const contentTypes: Record<string, string> = {};
  for (const extension of [...COMPRESS, ...NEVER_COMPRESS]) contentTypes[extension] = contentTypeOf(extension);
  return {
    compress: [...COMPRESS],
    neverCompress: [...NEVER_COMPRESS],
    contentTypes,
    compressedByCloudFront: COMPRESS.filter((extension) => CLOUDFRONT_COMPRESSIBLE_TYPES.has(contentTypeOf(extension))),
    minBytes: 1_000,
    maxBytes: 10_000_000,
  };
}

/**
 * Whether a Kiln asset should be served gzip/brotli compressed, by extension (`gltf`, `.gltf`,
 * `scene.gltf`, a key such as `t/runs/r/scene.gltf`) or Content-Type (`model/gltf+json`, `text/plain; charset=utf-8`). `false` for
 * everything not in {@link cloudFrontCompression}'s `compress` list, including unknown types.
 *
 * @example
 * ```ts
 * shouldCompress('scene.gltf'); // true
 * shouldCompress('model/gltf-binary'); // false
 * shouldCompress('text/html; charset=utf-8'); // true
 * ```
 */
export function shouldCompress(contentTypeOrExtension: string): boolean {
  const value = contentTypeOrExtension.trim().toLowerCase();
  const mediaType = MEDIA_TYPE.exec(value)?.[1];
  if (mediaType !== undefined) return COMPRESS.some((extension) => contentTypeOf(extension) === mediaType);
  const name = value.slice(value.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  const extension = dot >= 0 ? name.slice(dot + 1) : name;
  return (COMPRESS as readonly string[]).includes(extension);
}
