import type { Transform } from 'node:stream';
import { constants, createBrotliCompress, createGzip } from 'node:zlib';

/** Encodings the server compresses with, in order of preference. */
export type ContentEncoding = 'br' | 'gzip';

const TEXT_MODELS = new Set(['model/obj', 'model/mtl']);
const TEXT_APPLICATION_SUBTYPES = new Set(['json', 'xml', 'javascript', 'x-javascript', 'ecmascript']);

/**
 * True for text formats worth compressing: `text/*` (GLSL shaders are `text/plain`), JSON and XML
 * including `+json`/`+xml` types (`model/gltf+json`, `image/svg+xml`), JavaScript, OBJ/MTL.
 * False for everything else: GLB, KTX2, PNG, JPEG, WebP, MP4, MP3, … are already compressed, or
 * binary, and gain nothing.
 */
export function isCompressibleType(contentType: string): boolean {
  const type = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  const slash = type.indexOf('/');
  if (slash <= 0) return false;
  const top = type.slice(0, slash);
  const sub = type.slice(slash + 1);
  if (top === 'text') return true;
  if (sub.endsWith('+json') || sub.endsWith('+xml')) return true;
  if (top === 'application' && TEXT_APPLICATION_SUBTYPES.has(sub)) return true;
  return TEXT_MODELS.has(type);
}

/**
 * The encoding to answer `Accept-Encoding` with: `br` when acceptable and not ranked below gzip,
 * else `gzip`, else `undefined` (identity). Honours `q` values (`q=0` refuses) and `*`.
 */
export function negotiateEncoding(acceptEncoding: string | undefined): ContentEncoding | undefined {
  if (!acceptEncoding) return undefined;
  const weights = new Map<string, number>();
  for (const part of acceptEncoding.split(',')) {
    const [name = '', ...params] = part.split(';').map((s) => s.trim());
    if (!name) continue;
    let q = 1;
    for (const param of params) {
      const m = /^q\s*=\s*([0-9.]+)$/i.exec(param);
      if (m) q = Number(m[1]);
    }
    if (Number.isNaN(q)) continue;
    weights.set(name.toLowerCase(), q);
  }
  const wildcard = weights.get('*') ?? 0;
  const br = weights.get('br') ?? wildcard;
  const gzip = weights.get('gzip') ?? weights.get('x-gzip') ?? wildcard;
  if (br > 0 && br >= gzip) return 'br';
  if (gzip > 0) return 'gzip';
  return undefined;
}

/** A streaming compressor for `encoding`, tuned for on-the-fly use (brotli quality 5, gzip level 6). */
export function createCompressor(encoding: ContentEncoding, sizeHint: number): Transform {
  if (encoding === 'gzip') return createGzip({ level: 6 });
  return createBrotliCompress({
    params: {
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_QUALITY]: 5,
      [constants.BROTLI_PARAM_SIZE_HINT]: sizeHint,
    },
  });
}
