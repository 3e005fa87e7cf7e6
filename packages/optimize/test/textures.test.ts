import { Document, NodeIO } from '@gltf-transform/core';
import { EXTTextureAVIF, EXTTextureWebP } from '@gltf-transform/extensions';
import sharp, { type Sharp } from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { createKtx2Pool, KilnValidationError, ktx2Size, optimize, psnr, readKtx2Info, type TextureReport } from '../src/index.js';
import { psnrRgb } from '../src/textures/psnr.js';
import { webpKind } from '../src/textures/webp-kind.js';
import { cubeData, PBR_SLOTS, pbrDocument, toGlb } from './helpers/fixtures.js';
import { glbJson, readGlb } from './helpers/read.js';

const COLOR = new Set<string>([PBR_SLOTS.baseColorTexture, PBR_SLOTS.emissiveTexture]);

/** A cube whose base colour is a 4-colour palette PNG: WebP cannot beat it. */
async function paletteCubeGlb(): Promise<Uint8Array> {
  const w = 64;
  const raw = Buffer.alloc(w * w * 3);
  for (let i = 0; i < w * w; i++) raw.set([(i % w) * 4, 128, Math.floor(i / w) * 4], i * 3);
  const png = new Uint8Array(await sharp(raw, { raw: { width: w, height: w, channels: 3 } }).png({ palette: true, colours: 4 }).toBuffer());
  return toGlb(imageCube('palette', png, 'image/png'));
}

/** 64² black-and-white noise (seeded): GIF and PNG store it in well under 1 KB, lossy WebP in 3 KB. */
function noise(): Sharp {
  const w = 64;
  const raw = Buffer.alloc(w * w * 3);
  let seed = 1;
  for (let i = 0; i < w * w; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    raw.fill(seed < 1073741824 ? 0 : 255, i * 3, i * 3 + 3);
  }
  return sharp(raw, { raw: { width: w, height: w, channels: 3 } });
}

/** 64² of two flat halves: lossy WebP stores it in about 100 B, less than AVIF. */
function halves(): Sharp {
  const w = 64;
  const raw = Buffer.alloc(w * w * 3);
  for (let i = 0; i < w * w; i++) raw.fill(i % w < w / 2 ? 255 : 0, i * 3, i * 3 + 3);
  return sharp(raw, { raw: { width: w, height: w, channels: 3 } });
}

/** A cube whose base colour is `image`, declaring EXT_texture_avif (required) for an AVIF. */
function imageCube(name: string, image: Uint8Array, mimeType: string): Document {
  const doc = new Document();
  if (mimeType === 'image/avif') doc.createExtension(EXTTextureAVIF).setRequired(true);
  const buffer = doc.createBuffer();
  const data = cubeData();
  const texture = doc.createTexture(name).setImage(image).setMimeType(mimeType);
  const prim = doc
    .createPrimitive()
    .setAttribute('POSITION', doc.createAccessor().setType('VEC3').setArray(new Float32Array(data.positions)).setBuffer(buffer))
    .setAttribute('NORMAL', doc.createAccessor().setType('VEC3').setArray(new Float32Array(data.normals)).setBuffer(buffer))
    .setAttribute('TEXCOORD_0', doc.createAccessor().setType('VEC2').setArray(new Float32Array(data.uvs)).setBuffer(buffer))
    .setIndices(doc.createAccessor().setType('SCALAR').setArray(new Uint16Array(data.indices)).setBuffer(buffer))
    .setMaterial(doc.createMaterial('painted').setBaseColorTexture(texture));
  doc.createScene().addChild(doc.createNode('cube').setMesh(doc.createMesh('cube').addPrimitive(prim)));
  return doc;
}

/** GLB bytes, with EXT_texture_avif written when the document declares it. */
function withAvif(doc: Document): Promise<Uint8Array> {
  return new NodeIO().registerExtensions([EXTTextureAVIF]).writeBinary(doc);
}

describe('textures: WebP', () => {
  it('re-encodes every slot to WebP with EXT_texture_webp required, and measures PSNR', async () => {
    const { glb, report } = await optimize(await toGlb(await pbrDocument()));
    const json = glbJson(glb);
    expect(json['extensionsRequired']).toContain('EXT_texture_webp');
    expect(json['images'].every((i: { mimeType: string }) => i.mimeType === 'image/webp')).toBe(true);
    expect(json['textures'].every((t: { source?: number; extensions?: Record<string, { source: number }> }) => t.source === undefined && typeof t.extensions?.['EXT_texture_webp']?.source === 'number')).toBe(true);
    expect(report.textureReports).toHaveLength(7);
    for (const t of report.textureReports) {
      expect(t).toMatchObject({ codec: 'webp', mimeAfter: 'image/webp', kept: false, width: 200, height: 120 });
      expect(t.bytesAfter).toBeLessThan(t.bytesBefore);
      expect(t.psnr).toBeGreaterThan(25);
      expect(t.colorSpace).toBe(COLOR.has(t.name) ? 'srgb' : 'linear');
    }
    expect(report.after.textureBytes).toBe(report.textureReports.reduce((n, t) => n + t.bytesAfter, 0));
    expect(report.after.textureBytes).toBeLessThan(report.before.textureBytes);
    expect(report.validation.added).toEqual([]);
  });

  it('keeps a lossy WebP within the cap as it is: a second pass does not lose quality again', async () => {
    const first = await optimize(await toGlb(await pbrDocument()));
    const second = await optimize(first.glb);
    const images = async (glb: Uint8Array) => (await readGlb(glb)).getRoot().listTextures().map((t) => Buffer.from(t.getImage()!).toString('base64'));
    expect(await images(second.glb)).toEqual(await images(first.glb));
    for (const t of second.report.textureReports) expect(t).toMatchObject({ codec: 'webp', mimeBefore: 'image/webp', mimeAfter: 'image/webp', kept: true, psnr: null });
    expect(glbJson(second.glb)['extensionsRequired']).toContain('EXT_texture_webp');
    // Over the cap it is resized, so encoded again.
    const capped = await optimize(first.glb, { maxTextureSize: 64 });
    for (const t of capped.report.textureReports) expect(t).toMatchObject({ codec: 'webp', kept: false, width: 64 });
  });

  it('re-encodes a lossless WebP, as it would a PNG', async () => {
    const doc = await pbrDocument();
    const texture = doc.getRoot().listTextures()[0]!;
    texture.setImage(new Uint8Array(await sharp(texture.getImage()!).webp({ lossless: true }).toBuffer())).setMimeType('image/webp');
    doc.createExtension(EXTTextureWebP);
    const { report } = await optimize(await toGlb(doc));
    expect(report.textureReports[0]).toMatchObject({ mimeBefore: 'image/webp', codec: 'webp', kept: false });
    expect(report.textureReports[0]!.psnr).toBeGreaterThan(25);
  });

  it('tells lossy from lossless WebP by its chunks', async () => {
    const rgba = { raw: { width: 8, height: 8, channels: 4 as const } };
    const pixels = Buffer.alloc(8 * 8 * 4, 200);
    pixels[3] = 10; // some transparency: lossy WebP with alpha is an extended (VP8X) file
    expect(webpKind(await sharp(pixels, rgba).webp().toBuffer())).toBe('lossy');
    expect(webpKind(await sharp(pixels, rgba).webp({ lossless: true }).toBuffer())).toBe('lossless');
    expect(webpKind(await sharp(pixels, rgba).removeAlpha().webp().toBuffer())).toBe('lossy');
    expect(webpKind(await sharp(pixels, rgba).png().toBuffer())).toBeNull();
    expect(webpKind(new Uint8Array(10))).toBeNull();
  });

  it('never keeps a re-encode larger than the original', async () => {
    const { glb, report } = await optimize(await paletteCubeGlb());
    const [texture] = report.textureReports as [TextureReport];
    expect(texture).toMatchObject({ name: 'palette', codec: 'png', kept: true, mimeAfter: 'image/png', psnr: null });
    expect(texture.bytesAfter).toBe(texture.bytesBefore);
    const json = glbJson(glb);
    expect(json['extensionsUsed']).not.toContain('EXT_texture_webp');
    expect(json['images'][0].mimeType).toBe('image/png');
  });

  it('re-encodes an image type glTF cannot carry (GIF) even when it is smaller, to lossless PNG when WebP is larger', async () => {
    const gif = new Uint8Array(await noise().gif().toBuffer());
    const webpSize = (await noise().webp({ quality: 80 }).toBuffer()).byteLength;
    const { glb, report } = await optimize(await toGlb(imageCube('gif', gif, 'image/gif')));
    const [texture] = report.textureReports as [TextureReport];
    expect(texture).toMatchObject({ mimeBefore: 'image/gif', mimeAfter: 'image/png', codec: 'png', kept: false, psnr: null });
    expect(texture.bytesAfter).toBeLessThan(webpSize);
    expect(glbJson(glb)['images'][0].mimeType).toBe('image/png');
    expect(report.validation.before?.messages.map((m) => m.code)).toContain('IMAGE_UNRECOGNIZED_FORMAT');
    expect(report.validation.after?.messages.map((m) => m.code)).not.toContain('IMAGE_UNRECOGNIZED_FORMAT');
    const decoded = await sharp((await readGlb(glb)).getRoot().listTextures()[0]!.getImage()!).removeAlpha().raw().toBuffer();
    expect(decoded.equals(await sharp(gif).removeAlpha().raw().toBuffer())).toBe(true);
  });

  it('drops EXT_texture_avif once no AVIF is left, and keeps it with an AVIF smaller than its WebP', async () => {
    const converted = await withAvif(imageCube('avif', new Uint8Array(await halves().avif({ quality: 30 }).toBuffer()), 'image/avif'));
    for (const textures of ['webp', 'ktx2'] as const) {
      const { glb, report } = await optimize(converted, { textures });
      const json = glbJson(glb);
      expect(report.textureReports[0]?.mimeAfter).toBe(textures === 'webp' ? 'image/webp' : 'image/ktx2');
      expect(json['extensionsUsed']).not.toContain('EXT_texture_avif');
      expect(json['extensionsRequired']).not.toContain('EXT_texture_avif');
      expect(report.extensionsBefore).toContain('EXT_texture_avif');
    }
    const kept = await withAvif(imageCube('avif', new Uint8Array(await noise().avif({ quality: 30 }).toBuffer()), 'image/avif'));
    const { glb, report } = await optimize(kept);
    expect(report.textureReports[0]).toMatchObject({ mimeAfter: 'image/avif', kept: true });
    const json = glbJson(glb);
    expect(json['extensionsRequired']).toContain('EXT_texture_avif');
    expect(json['textures'][0].extensions?.['EXT_texture_avif']?.source).toBe(0);
  });

  it('warns when a replaced image carried an Exif orientation, which browsers apply and the re-encode does not', async () => {
    const rotated = new Uint8Array(await halves().jpeg().withMetadata({ orientation: 6 }).toBuffer());
    const upright = new Uint8Array(await halves().jpeg().toBuffer());
    for (const textures of ['webp', 'ktx2'] as const) {
      const { report } = await optimize(await toGlb(imageCube('photo', rotated, 'image/jpeg')), { textures });
      expect(report.warnings.filter((w) => w.includes('Exif orientation 6'))).toHaveLength(1);
      expect((await optimize(await toGlb(imageCube('photo', upright, 'image/jpeg')), { textures })).report.warnings.join()).not.toContain('Exif');
    }
    expect((await optimize(await toGlb(imageCube('photo', rotated, 'image/jpeg')), { textures: 'keep' })).report.warnings.join()).not.toContain('Exif');
  });

  it('resizes within maxTextureSize, keeping the aspect ratio', async () => {
    const { report } = await optimize(await toGlb(await pbrDocument()), { maxTextureSize: 64 });
    for (const t of report.textureReports) expect([t.widthBefore, t.heightBefore, t.width, t.height]).toEqual([200, 120, 64, 38]);
    const decoded = await readGlb((await optimize(await toGlb(await pbrDocument()), { maxTextureSize: 64 })).glb);
    const size = await sharp(decoded.getRoot().listTextures()[0]!.getImage()!).metadata();
    expect([size.width, size.height]).toEqual([64, 38]);
  });

  it('keeps images untouched with textures: keep', async () => {
    const input = await toGlb(await pbrDocument(64, 64));
    const { report } = await optimize(input, { textures: 'keep' });
    expect(report.textureReports.every((t) => t.kept && t.bytesAfter === t.bytesBefore && t.mimeAfter === t.mimeBefore)).toBe(true);
    expect(report.after.textureBytes).toBe(report.before.textureBytes);
  });
});

describe('textures: KTX2', () => {
  it('encodes per slot: ETC1S sRGB for colour, UASTC + Zstandard linear for data, mipmaps, power-of-two sizes', async () => {
    const { glb, report } = await optimize(await toGlb(await pbrDocument(100, 60)), { textures: 'ktx2', concurrency: 2 });
    const json = glbJson(glb);
    expect(json['extensionsRequired']).toContain('KHR_texture_basisu');
    expect(json['extensionsUsed']).not.toContain('EXT_texture_webp');
    expect(json['textures'].every((t: { source?: number; extensions?: Record<string, { source: number }> }) => t.source === undefined && typeof t.extensions?.['KHR_texture_basisu']?.source === 'number')).toBe(true);

    const doc = await readGlb(glb);
    expect(report.textureReports).toHaveLength(7);
    for (const t of report.textureReports) {
      const texture = doc.getRoot().listTextures().find((x) => x.getName() === t.name)!;
      expect(texture.getMimeType()).toBe('image/ktx2');
      const header = readKtx2Info(texture.getImage()!);
      expect(header).toEqual(t.ktx2);
      expect([header.width, header.height]).toEqual([128, 64]); // 100 × 60 → nearest powers of two
      expect(header.levels).toBe(8); // full mip chain: 128 → 1
      expect(header.vkFormat).toBe(0);
      if (COLOR.has(t.name)) {
        expect(t.codec).toBe('ktx2-etc1s');
        expect(header).toMatchObject({ colorModel: 'ETC1S', supercompression: 'BasisLZ', transfer: 'srgb' });
      } else {
        expect(t.codec).toBe('ktx2-uastc');
        expect(header).toMatchObject({ colorModel: 'UASTC', supercompression: 'Zstandard', transfer: 'linear' });
      }
      // PSNR of the transcoded base level against the resized source.
      expect(t.psnr).toBeGreaterThan(15);
    }
    expect(report.validation.added).toEqual([]);
    expect(report.validation.after?.ignored.length).toBeGreaterThan(0); // the validator's KTX2 gap, reported
  });

  it('applies the preset cap, and ETC1S everywhere on request', async () => {
    const { report } = await optimize(await toGlb(await pbrDocument(100, 60)), { preset: 'mobile', maxTextureSize: 32, ktx2: { etc1sEverywhere: true } });
    expect(report.textures).toBe('ktx2');
    for (const t of report.textureReports) {
      expect([t.width, t.height]).toEqual([32, 16]); // 100 × 60 fitted in 32 (32 × 19), then powers of two
      expect(t.ktx2).toMatchObject({ colorModel: 'ETC1S', supercompression: 'BasisLZ', transfer: COLOR.has(t.name) ? 'srgb' : 'linear' });
    }
  });
});

describe('KTX2 pool and sizes', () => {
  const pool = createKtx2Pool({ workers: 1 });
  afterAll(() => pool.dispose());

  it('encodes raw RGBA in a worker thread', async () => {
    const rgba = new Uint8Array(16 * 16 * 4).map((_, i) => (i * 7) % 256);
    const bytes = await pool.encode({ rgba, width: 16, height: 16, settings: { uastc: true, srgb: false, normalMap: false, mipmaps: false, etc1sQuality: 128, etc1sEffort: 2, uastcQuality: 1, zstd: true, rdo: false } });
    expect(readKtx2Info(bytes)).toMatchObject({ width: 16, height: 16, levels: 1, colorModel: 'UASTC', supercompression: 'Zstandard', transfer: 'linear' });
    expect(rgba[1]).toBe(7); // the caller's pixels are not transferred away
  });

  it('rejects jobs whose pixel count does not match, and after dispose', async () => {
    const settings = { uastc: false, srgb: true, normalMap: false, mipmaps: true, etc1sQuality: 128, etc1sEffort: 2, uastcQuality: 1, zstd: true, rdo: false };
    await expect(pool.encode({ rgba: new Uint8Array(10), width: 4, height: 4, settings })).rejects.toMatchObject({ code: 'encoder_failed' });
    const other = createKtx2Pool({ workers: 1 });
    await other.dispose();
    await expect(other.encode({ rgba: new Uint8Array(64), width: 4, height: 4, settings })).rejects.toThrow(/disposed/);
  });

  it('sizes KTX2 textures to powers of two within the cap and 12 Mpix', () => {
    expect(ktx2Size(200, 120, null)).toEqual([256, 128]);
    expect(ktx2Size(2048, 2048, 1024)).toEqual([1024, 1024]);
    expect(ktx2Size(4096, 4096, 4096)).toEqual([2048, 2048]); // 16 Mpix is over the encoder's 12 Mpix
    expect(ktx2Size(4096, 2048, 4096)).toEqual([4096, 2048]);
    expect(ktx2Size(3000, 1000, 2048)).toEqual([2048, 512]); // 2048 × 683 → 2048 × 512
    expect(ktx2Size(8192, 8192, null)).toEqual([2048, 2048]);
  });

  it('computes PSNR over RGB, null for identical images', () => {
    const a = new Uint8Array([10, 20, 30, 255, 40, 50, 60, 255]);
    expect(psnr(a, a)).toBeNull();
    const b = a.slice();
    b[0] = 11;
    expect(psnr(a, b)).toBeCloseTo(10 * Math.log10((255 * 255) / (1 / 6)), 1);
  });

  it('computes PSNR exactly across its summing blocks, with alpha when asked, and for the largest error', () => {
    // 3 blocks of 8192 pixels and a partial one; one channel off by one in every 7th pixel.
    const pixels = 8192 * 3 + 5;
    const a = new Uint8Array(pixels * 4).map((_, i) => (i * 37) & 255);
    const b = a.slice();
    let squared = 0;
    for (let p = 0; p < pixels; p += 7) {
      const c = p % 4;
      b[p * 4 + c] = (a[p * 4 + c] as number) ^ 1;
      if (c < 3) squared++;
    }
    const db = (sum: number, channels: number) => Math.round(10 * Math.log10((255 * 255) / (sum / (pixels * channels))) * 100) / 100;
    expect(psnr(a, b)).toBe(db(squared, 3));
    const withAlpha = Math.ceil(pixels / 7);
    expect(psnr(a, b, true)).toBe(db(withAlpha, 4));
    const black = new Uint8Array(pixels * 4);
    const white = new Uint8Array(pixels * 4).fill(255);
    expect(psnr(black, white)).toBe(0);
    expect(psnr(black, white, true)).toBe(0);
    expect(() => psnr(black, white.subarray(4))).toThrow(KilnValidationError);
    expect(() => psnr(black, white.subarray(4))).toThrow('psnr: images differ in size');
    expect(() => psnr(black.subarray(1), white.subarray(1))).toThrow(/not RGBA/);
  });

  it('gives the same PSNR for RGB images (opaque textures are compared without an alpha channel)', () => {
    const pixels = 8192 * 2 + 3;
    const rgb = new Uint8Array(pixels * 3).map((_, i) => (i * 53) & 255);
    const noisy = rgb.map((v, i) => (i % 5 === 0 ? v ^ 3 : v));
    const rgba = (data: Uint8Array) => {
      const out = new Uint8Array(pixels * 4).fill(255);
      for (let p = 0; p < pixels; p++) out.set(data.subarray(p * 3, p * 3 + 3), p * 4);
      return out;
    };
    expect(psnrRgb(rgb, noisy)).toBe(psnr(rgba(rgb), rgba(noisy)));
    expect(psnrRgb(rgb, noisy)).not.toBeNull();
    expect(psnrRgb(rgb, rgb)).toBeNull();
    expect(() => psnrRgb(rgb, noisy.subarray(3))).toThrow('psnr: images differ in size');
    expect(() => psnrRgb(rgb.subarray(1), noisy.subarray(1))).toThrow(/not RGB/);
  });
});
