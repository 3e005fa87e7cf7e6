import { rng, mixSeed, promptPalette } from './rng.js';

import type sharpDefault from 'sharp';

type Sharp = typeof sharpDefault;
let sharpModule: Promise<Sharp> | undefined;

/** Loads sharp on first use (nothing at import time). @internal */
export function loadSharp(): Promise<Sharp> {
  sharpModule ??= import('sharp').then((m) => m.default);
  return sharpModule;
}

/** Raw RGBA pixels. */
export interface RawImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Encodes RGBA pixels as PNG. @internal */
export async function encodePng(image: RawImage): Promise<Uint8Array> {
  const sharp = await loadSharp();
  const buffer = await sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), {
    raw: { width: image.width, height: image.height, channels: 4 },
  })
    .png({ compressionLevel: 6, adaptiveFiltering: false })
    .toBuffer();
  return new Uint8Array(buffer);
}

/** Decodes any image sharp reads into RGBA pixels. */
export async function decodeImage(data: Uint8Array): Promise<RawImage> {
  const sharp = await loadSharp();
  const { data: pixels, info } = await sharp(Buffer.from(data.buffer, data.byteOffset, data.byteLength)).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength) };
}

/**
 * Paints an image from a prompt, deterministically by seed: a two-colour gradient, then a
 * subject of overlapping discs and bands in the prompt's palette. Sprites get a transparent
 * background; backgrounds get layered hills. @internal
 */
export function paint(options: { prompt: string; seed: number; width: number; height: number; kind: 'sprite' | 'background' | 'object' }): RawImage {
  const { width, height } = options;
  const random = rng(mixSeed(options.seed, options.prompt));
  const palette = promptPalette(options.prompt, random);
  const [c0, c1, c2, c3] = palette as [[number, number, number], [number, number, number], [number, number, number], [number, number, number]];
  const data = new Uint8Array(width * height * 4);
  const set = (x: number, y: number, c: readonly number[], a = 255) => {
    const i = (y * width + x) * 4;
    data[i] = c[0]!;
    data[i + 1] = c[1]!;
    data[i + 2] = c[2]!;
    data[i + 3] = a;
  };
  for (let y = 0; y < height; y++) {
    const t = y / Math.max(1, height - 1);
    const row = [0, 1, 2].map((k) => Math.round(c0[k]! * (1 - t) + c1[k]! * t));
    for (let x = 0; x < width; x++) set(x, y, row, options.kind === 'sprite' ? 0 : 255);
  }
  if (options.kind === 'background') {
    for (let layer = 0; layer < 3; layer++) {
      const base = height * (0.55 + layer * 0.13);
      const amp = height * (0.05 + random() * 0.08);
      const freq = (1 + random() * 3) / width;
      const phase = random() * Math.PI * 2;
      const colour = layer % 2 === 0 ? c2 : c3;
      const shade = 1 - layer * 0.15;
      for (let x = 0; x < width; x++) {
        const top = Math.max(0, Math.floor(base + Math.sin(x * freq * Math.PI * 2 + phase) * amp));
        for (let y = top; y < height; y++) set(x, y, colour.map((v) => Math.round(v * shade)));
      }
    }
    return { width, height, data };
  }
  // Subject: discs around the centre.
  const cx = width / 2;
  const cy = height / 2;
  const discs = 5 + Math.floor(random() * 6);
  const scale = Math.min(width, height);
  for (let d = 0; d < discs; d++) {
    const r = scale * (0.12 + random() * 0.18);
    const x0 = cx + (random() - 0.5) * scale * 0.35;
    const y0 = cy + (random() - 0.5) * scale * 0.35;
    const colour = d % 2 === 0 ? c2 : c3;
    const light = 0.75 + random() * 0.35;
    for (let y = Math.max(0, Math.floor(y0 - r)); y < Math.min(height, Math.ceil(y0 + r)); y++) {
      for (let x = Math.max(0, Math.floor(x0 - r)); x < Math.min(width, Math.ceil(x0 + r)); x++) {
        const dist = Math.hypot(x - x0, y - y0) / r;
        if (dist > 1) continue;
        const shade = light * (1.1 - 0.4 * dist);
        set(x, y, colour.map((v) => Math.min(255, Math.round(v * shade))));
      }
    }
  }
  return { width, height, data };
}

/** Sharpens and boosts saturation a little ("refine"). @internal */
export async function refine(png: Uint8Array): Promise<Uint8Array> {
  const sharp = await loadSharp();
  return new Uint8Array(await sharp(Buffer.from(png)).sharpen().modulate({ saturation: 1.15 }).png({ compressionLevel: 6 }).toBuffer());
}

/** Doubles the size (Lanczos), capped at `max` per side. @internal */
export async function upscale(png: Uint8Array, factor: number, max: number): Promise<Uint8Array> {
  const sharp = await loadSharp();
  const meta = await sharp(Buffer.from(png)).metadata();
  const width = Math.min(max, Math.round((meta.width ?? 1) * factor));
  const height = Math.min(max, Math.round((meta.height ?? 1) * factor));
  return new Uint8Array(await sharp(Buffer.from(png)).resize(width, height, { kernel: 'lanczos3' }).png({ compressionLevel: 6 }).toBuffer());
}

/** Makes pixels close to the corner colour transparent ("background removal"). @internal */
export async function removeBackground(png: Uint8Array, tolerance = 60): Promise<Uint8Array> {
  const image = await decodeImage(png);
  const { data } = image;
  const key = [data[0]!, data[1]!, data[2]!];
  for (let i = 0; i < data.length; i += 4) {
    const d = Math.abs(data[i]! - key[0]!) + Math.abs(data[i + 1]! - key[1]!) + Math.abs(data[i + 2]! - key[2]!);
    if (d <= tolerance) data[i + 3] = 0;
  }
  return encodePng(image);
}

/** `count` frames of a bobbing, squashing sprite. @internal */
export async function animateFrames(png: Uint8Array, count: number): Promise<Uint8Array[]> {
  const image = await decodeImage(png);
  const frames: Uint8Array[] = [];
  for (let f = 0; f < count; f++) {
    const offset = Math.round(Math.sin((f / count) * Math.PI * 2) * image.height * 0.04);
    const out = new Uint8Array(image.data.length);
    for (let y = 0; y < image.height; y++) {
      const sy = y - offset;
      if (sy < 0 || sy >= image.height) continue;
      out.set(image.data.subarray(sy * image.width * 4, (sy + 1) * image.width * 4), y * image.width * 4);
    }
    frames.push(await encodePng({ width: image.width, height: image.height, data: out }));
  }
  return frames;
}

/** Lays frames out in one row and returns the sheet with its atlas. @internal */
export async function spriteSheet(frames: Uint8Array[]): Promise<{ png: Uint8Array; atlas: Record<string, unknown> }> {
  const sharp = await loadSharp();
  const decoded = await Promise.all(frames.map(decodeImage));
  const w = Math.max(...decoded.map((d) => d.width));
  const h = Math.max(...decoded.map((d) => d.height));
  const sheet = sharp({ create: { width: w * decoded.length, height: h, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).composite(
    frames.map((frame, i) => ({ input: Buffer.from(frame), left: i * w, top: 0 })),
  );
  const png = new Uint8Array(await sheet.png({ compressionLevel: 6 }).toBuffer());
  const atlas = {
    frames: decoded.map((_, i) => ({ name: `frame-${i}`, x: i * w, y: 0, w, h })),
    meta: { size: { w: w * decoded.length, h }, fps: 8 },
  };
  return { png, atlas };
}
