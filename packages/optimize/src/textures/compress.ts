import type { Document, Texture, Transform } from '@gltf-transform/core';
import { EXTTextureAVIF, EXTTextureWebP, KHRTextureBasisu } from '@gltf-transform/extensions';
import { createTransform } from '@gltf-transform/functions';
import type { TextureCodec } from '@kiln/manifest';
import type sharpDefault from 'sharp';
import { OptimizeError, throwIfAborted } from '../errors.js';
import { SILENT_LOGGER, type OptimizeLogger } from '../logger.js';
import { KTX2_DEFAULTS, WEBP_DEFAULTS, type Ktx2Options, type WebpOptions } from '../options.js';
import type { TextureMode } from '../presets.js';
import type { OptimizeProgress } from '../progress.js';
import type { TextureReport } from '../report.js';
import { readKtx2Info } from './ktx2-header.js';
import { psnr, psnrRgb } from './psnr.js';
import { webpKind } from './webp-kind.js';
import { runEncodesFirst, type FollowUp } from './schedule.js';
import { fitWithin, ktx2Size } from './size.js';
import { textureUse, type TextureUse } from './slots.js';
import type { Ktx2Decoder, Ktx2EncodeSettings, Ktx2Encoder } from './types.js';

/** sharp's default export. */
export type Sharp = typeof sharpDefault;

const NAME = 'textures';

/** Options of {@link compressTextures}. */
export interface CompressTexturesOptions {
  /** `webp`, `ktx2` or `keep`. */
  mode: TextureMode;
  /** sharp, injected (gltf-transform style). */
  sharp: Sharp;
  /** Largest side in pixels, or `null` for no cap. */
  maxSize?: number | null;
  webp?: WebpOptions;
  ktx2?: Ktx2Options;
  /** Required for `ktx2`. */
  ktx2Encoder?: Ktx2Encoder | null;
  /** Decodes KTX2 for PSNR; `null` skips KTX2 PSNR. */
  ktx2Decoder?: Ktx2Decoder | null;
  /** Measure PSNR. */
  measureQuality?: boolean;
  /** Textures processed at once on the main thread (decode, resize, WebP). */
  parallel?: number;
  logger?: OptimizeLogger;
  onTexture?: (report: TextureReport) => void;
  onWarning?: (message: string) => void;
  onProgress?: (event: OptimizeProgress) => void;
  /** Stops before the next texture (the ones under way finish) with `OptimizeError` (`aborted`). */
  signal?: AbortSignal | null;
}

/** Defaults of {@link CompressTexturesOptions}. */
export const COMPRESS_TEXTURES_DEFAULTS = Object.freeze({ maxSize: null, measureQuality: true, parallel: 4 });

/** A re-encoded texture: its report (its `psnr` still `null`, no `ms` yet), and how to measure it. */
interface Encoded {
  report: Omit<TextureReport, 'ms'>;
  /** Decodes the output and returns its PSNR against the source; absent when not measured. */
  measure?: () => Promise<number | null>;
}

interface Raster {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3 | 4;
}

const CODEC_BY_MIME: Record<string, TextureCodec> = {
  'image/webp': 'webp',
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/avif': 'avif',
};

/**
 * Image types an output can carry as they are: glTF's PNG and JPEG, and WebP and AVIF through
 * their extensions. Any other (GIF, TIFF, BMP…) is always re-encoded in `webp` mode, even when
 * the original is smaller, since glTF loaders are not required to read it (to the smaller of WebP
 * and lossless PNG).
 */
const CARRIED_AS_IS: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/webp', 'image/avif']);

/** How {@link decodeRaster} decodes. */
interface DecodeOptions {
  /** Resample (lanczos3) to this size, when it differs from `original`. */
  size?: [number, number];
  /** The image's own size, when known (saves a resample to the same size). */
  original?: [number, number];
  /** RGBA (default) or RGB. */
  channels?: 3 | 4;
}

/** @internal Decodes to 8-bit sRGB-interpreted RGBA, or RGB with `channels: 3`. */
export async function decodeRaster(sharp: Sharp, bytes: Uint8Array, options: DecodeOptions = {}): Promise<Raster> {
  const { size, original, channels = 4 } = options;
  let image = sharp(bytes);
  if (size && (!original || size[0] !== original[0] || size[1] !== original[1])) image = image.resize(size[0], size[1], { fit: 'fill', kernel: 'lanczos3' });
  image = image.toColourspace('srgb');
  image = channels === 4 ? image.ensureAlpha() : image.removeAlpha();
  const { data, info } = await image.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels };
}

/** PSNR of a decoded output against its reference, RGB channels (alpha ignored). */
function psnrOf(reference: Raster, decoded: Raster): number | null {
  return reference.channels === 3 ? psnrRgb(reference.data, decoded.data) : psnr(reference.data, decoded.data);
}

function textureLabel(texture: Texture, index: number): string {
  return texture.getName() || texture.getURI() || `texture ${index}`;
}

/** @internal KTX2 settings for a texture's use: ETC1S sRGB for colour, UASTC linear for data. */
export function ktx2Settings(use: TextureUse, options: Required<Ktx2Options>): Ktx2EncodeSettings {
  const color = use.colorSpace === 'srgb';
  return {
    uastc: !color && !options.etc1sEverywhere,
    srgb: color,
    normalMap: use.normalMap,
    mipmaps: options.mipmaps,
    etc1sQuality: options.etc1sQuality,
    etc1sEffort: options.etc1sEffort,
    uastcQuality: options.uastcQuality,
    zstd: options.zstd,
    rdo: options.rdo,
  };
}

/**
 * Re-encodes every texture: WebP through sharp (a re-encode larger than the original is never
 * kept, unless the original is a type glTF cannot carry, such as GIF or TIFF), or KTX2 through an
 * injected encoder with per-slot settings (ETC1S sRGB for colour, UASTC + Zstandard linear for
 * normal and data maps, mipmaps, power-of-two sizes within the cap and 12 Mpix). Sets `EXT_texture_webp` / `KHR_texture_basisu` as required extensions when used,
 * and removes those (and `EXT_texture_avif`) whose images are gone.
 * `keep` leaves images untouched but still checks that each decodes.
 */
export function compressTextures(options: CompressTexturesOptions): Transform {
  const webp = { ...WEBP_DEFAULTS, ...options.webp };
  const ktx2 = { ...KTX2_DEFAULTS, ...options.ktx2 };
  const maxSize = options.maxSize ?? COMPRESS_TEXTURES_DEFAULTS.maxSize;
  const measure = options.measureQuality ?? COMPRESS_TEXTURES_DEFAULTS.measureQuality;
  const logger = options.logger ?? SILENT_LOGGER;
  const { sharp } = options;
  if (options.mode === 'ktx2' && !options.ktx2Encoder) throw new OptimizeError('encoder_failed', `${NAME}: ktx2 mode needs a ktx2Encoder`);

  return createTransform(NAME, async (document: Document) => {
    const textures = document.getRoot().listTextures();
    let warnedNoDecoder = false;

    /** Re-encodes one texture; `null` when it has no image. */
    const encodeOne = async (texture: Texture, index: number): Promise<Encoded | null> => {
      const label = textureLabel(texture, index);
      const source = texture.getImage();
      const mime = texture.getMimeType();
      const use = textureUse(texture);
      if (!source) return null;

      const base = {
        index,
        name: label,
        slots: use.slots,
        colorSpace: use.colorSpace,
        mimeBefore: mime,
        bytesBefore: source.byteLength,
      };

      if (mime === 'image/ktx2') {
        const info = readKtx2Info(source);
        return {
          report: {
            ...base,
            codec: info.colorModel === 'ETC1S' ? 'ktx2-etc1s' : 'ktx2-uastc',
            mimeAfter: mime,
            bytesAfter: source.byteLength,
            widthBefore: info.width,
            heightBefore: info.height,
            width: info.width,
            height: info.height,
            psnr: null,
            kept: true,
            ktx2: info,
          },
        };
      }

      let meta: { width: number; height: number; hasAlpha: boolean; orientation: number };
      try {
        const m = await sharp(source).metadata();
        if (!m.width || !m.height) throw new Error('no dimensions');
        meta = { width: m.width, height: m.height, hasAlpha: m.hasAlpha === true, orientation: m.orientation ?? 1 };
      } catch (error) {
        throw new OptimizeError('image_decode', `texture "${label}" (${mime || 'unknown type'}, ${source.byteLength} bytes) cannot be decoded: ${(error as Error).message}`, { cause: error });
      }

      const decodeReference = async (size: [number, number], channels: 3 | 4 = 4): Promise<Raster> => {
        try {
          return await decodeRaster(sharp, source, { size, original: [meta.width, meta.height], channels });
        } catch (error) {
          throw new OptimizeError('image_decode', `texture "${label}" (${mime || 'unknown type'}, ${source.byteLength} bytes) cannot be decoded: ${(error as Error).message}`, { cause: error });
        }
      };

      // Browsers apply an Exif orientation (three.js draws such a JPEG rotated); glTF tools and
      // the re-encode read the stored pixels. Said once the image is replaced.
      const warnOrientation = () => {
        if (meta.orientation !== 1) options.onWarning?.(`texture "${label}": its image carries Exif orientation ${meta.orientation}, which browsers apply and glTF does not define; the re-encoded image keeps the stored pixel order, so a browser now draws it unrotated`);
      };

      if (options.mode === 'keep') {
        await decodeReference([meta.width, meta.height]);
        return {
          report: {
            ...base,
            codec: CODEC_BY_MIME[mime] ?? 'other',
            mimeAfter: mime,
            bytesAfter: source.byteLength,
            widthBefore: meta.width,
            heightBefore: meta.height,
            width: meta.width,
            height: meta.height,
            psnr: null,
            kept: true,
          },
        };
      }

      if (options.mode === 'webp') {
        const size = fitWithin(meta.width, meta.height, maxSize);
        const resized = size[0] !== meta.width || size[1] !== meta.height;
        // A lossy WebP within the cap is already what this mode makes: re-encoding it would only
        // lose quality again (and optimising an output twice would degrade its textures each time).
        if (!resized && mime === 'image/webp' && webpKind(source) === 'lossy') {
          logger.debug(`${NAME}: "${label}": kept: already lossy WebP`);
          return {
            report: { ...base, codec: 'webp', mimeAfter: mime, bytesAfter: source.byteLength, widthBefore: meta.width, heightBefore: meta.height, width: meta.width, height: meta.height, psnr: null, kept: true },
          };
        }
        // Encode from the decoded (and resized) pixels: one decode per texture. Opaque images
        // decode to RGB, so that WebP stores no alpha (and a quarter less is held and compared).
        const raster = await decodeReference(size, meta.hasAlpha ? 4 : 3);
        const pipeline = () => sharp(raster.data, { raw: { width: raster.width, height: raster.height, channels: raster.channels } });
        const candidates: { bytes: Uint8Array; mime: string; kept: boolean }[] = [];
        const webpBytes = await pipeline().webp({ quality: webp.quality, effort: webp.effort }).toBuffer();
        candidates.push({ bytes: new Uint8Array(webpBytes), mime: 'image/webp', kept: false });
        if (!CARRIED_AS_IS.has(mime)) {
          // GIF, TIFF…: re-encoded in any case; lossless PNG is the fallback when WebP is larger.
          candidates.push({ bytes: new Uint8Array(await pipeline().png({ compressionLevel: 9 }).toBuffer()), mime: 'image/png', kept: false });
        } else if (!resized) {
          candidates.push({ bytes: source, mime, kept: true });
        } else if (mime === 'image/png' || mime === 'image/jpeg') {
          const same = mime === 'image/png' ? await pipeline().png({ compressionLevel: 9 }).toBuffer() : await pipeline().jpeg({ quality: 90, mozjpeg: true }).toBuffer();
          candidates.push({ bytes: new Uint8Array(same), mime, kept: false });
        }
        const best = candidates.reduce((a, b) => (b.bytes.byteLength < a.bytes.byteLength ? b : a));
        if (!best.kept) {
          warnOrientation();
          texture.setImage(best.bytes).setMimeType(best.mime);
          if (texture.getURI()) texture.setURI(texture.getURI().replace(/\.[a-z0-9]+$/i, '') + (best.mime === 'image/webp' ? '.webp' : best.mime === 'image/png' ? '.png' : '.jpg'));
        } else {
          logger.debug(`${NAME}: "${label}": kept the original (${source.byteLength} B): WebP was ${webpBytes.byteLength} B`);
        }
        return {
          report: {
            ...base,
            codec: CODEC_BY_MIME[best.mime] ?? 'other',
            mimeAfter: best.mime,
            bytesAfter: best.bytes.byteLength,
            widthBefore: meta.width,
            heightBefore: meta.height,
            width: size[0],
            height: size[1],
            psnr: null,
            kept: best.kept,
          },
          ...(measure && !best.kept ? { measure: async () => psnrOf(raster, await decodeRaster(sharp, best.bytes, { channels: raster.channels })) } : {}),
        };
      }

      // KTX2
      const size = ktx2Size(meta.width, meta.height, maxSize);
      const raster = await decodeReference(size);
      const settings = ktx2Settings(use, ktx2);
      if (use.slots.length > 1 && use.colorSpace === 'srgb' && use.slots.some((s) => !/baseColor|emissive|sheenColor|specularColor|diffuse/i.test(s))) {
        options.onWarning?.(`texture "${label}" is used as colour and as data (${use.slots.join(', ')}): encoded as colour (ETC1S, sRGB)`);
      }
      const encoder = options.ktx2Encoder as Ktx2Encoder;
      const bytes = await encoder.encode({ rgba: raster.data, width: size[0], height: size[1], settings, label });
      const info = readKtx2Info(bytes);
      warnOrientation();
      texture.setImage(bytes).setMimeType('image/ktx2');
      if (texture.getURI()) texture.setURI(texture.getURI().replace(/\.[a-z0-9]+$/i, '') + '.ktx2');
      const decoder = options.ktx2Decoder;
      if (measure && !decoder && !warnedNoDecoder) {
        warnedNoDecoder = true;
        options.onWarning?.('KTX2 PSNR not measured: no KTX2 decoder (install "three", whose Basis transcoder is used)');
      }
      return {
        report: {
          ...base,
          codec: settings.uastc ? 'ktx2-uastc' : 'ktx2-etc1s',
          mimeAfter: 'image/ktx2',
          bytesAfter: bytes.byteLength,
          widthBefore: meta.width,
          heightBefore: meta.height,
          width: size[0],
          height: size[1],
          psnr: null,
          kept: false,
          ktx2: info,
        },
        ...(measure && decoder ? { measure: async () => psnr(raster.data, (await decoder.decode(bytes)).rgba) } : {}),
      };
    };

    // Largest images first (longest-processing-time order): a big texture left for last would
    // run alone at the end while the other cores idle. Reports keep the document's order.
    const order = textures.map((_, index) => index).sort((a, b) => (textures[b]?.getImage()?.byteLength ?? 0) - (textures[a]?.getImage()?.byteLength ?? 0) || a - b);
    // The PSNR measurements are follow-ups that wait for free cores (see runEncodesFirst). Each
    // texture holds its source's decoded raster until measured: one more than run at once.
    const parallel = options.parallel ?? COMPRESS_TEXTURES_DEFAULTS.parallel;
    await runEncodesFirst(order, { limit: parallel, maxHeld: parallel + 1 }, async (index): Promise<FollowUp | null> => {
      throwIfAborted(options.signal, NAME);
      const texture = textures[index] as Texture;
      const name = textureLabel(texture, index);
      options.onProgress?.({ type: 'texture', index, total: textures.length, name, state: 'start' });
      const start = performance.now();
      const encoded = await encodeOne(texture, index);
      const encodeMs = performance.now() - start;
      const finish = (psnrDb: number | null, measureMs: number) => {
        if (encoded) options.onTexture?.({ ...encoded.report, psnr: psnrDb, ms: encodeMs + measureMs });
        options.onProgress?.({ type: 'texture', index, total: textures.length, name, state: 'end' });
      };
      const measure = encoded?.measure;
      if (!measure) {
        finish(null, 0);
        return null;
      }
      return async () => {
        throwIfAborted(options.signal, NAME);
        const measureStart = performance.now();
        const psnrDb = await measure();
        finish(psnrDb, performance.now() - measureStart);
      };
    });

    // Required, without fallback images: a single self-contained GLB carries one image per texture.
    const mimes = new Set(textures.map((t) => t.getMimeType()));
    syncExtension(document, EXTTextureWebP, mimes.has('image/webp'));
    syncExtension(document, KHRTextureBasisu, mimes.has('image/ktx2'));
    // An AVIF input left without AVIF images must not keep requiring EXT_texture_avif: a loader
    // that lacks it (glTFast, older three.js) would refuse a file that no longer needs it.
    syncExtension(document, EXTTextureAVIF, mimes.has('image/avif'));
  });
}

/** Declares `extension` (required) when its images are used, and removes it when they are not. */
function syncExtension(document: Document, extension: typeof EXTTextureWebP | typeof KHRTextureBasisu | typeof EXTTextureAVIF, used: boolean): void {
  const existing = document.getRoot().listExtensionsUsed().find((e) => e.extensionName === extension.EXTENSION_NAME);
  if (used) (existing ?? document.createExtension(extension as typeof EXTTextureWebP)).setRequired(true);
  else existing?.dispose();
}
