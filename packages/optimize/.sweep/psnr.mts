import { NodeIO } from '@gltf-transform/core';
import sharp from 'sharp';
import { psnr } from '../src/textures/psnr.js';
const io = new NodeIO();
const doc = await io.read('../../../../shared/models/DamagedHelmet.glb');
const imgs = doc.getRoot().listTextures().map((t) => t.getImage()!);
const r3 = await Promise.all(imgs.map((i) => sharp(i).raw().toBuffer({ resolveWithObject: true })));
const r4 = await Promise.all(imgs.map((i) => sharp(i).toColourspace('srgb').ensureAlpha().raw().toBuffer({ resolveWithObject: true })));
const webps = await Promise.all(imgs.map((i) => sharp(i).webp({ quality: 80, effort: 4 }).toBuffer()));
function psnr3(a: Uint8Array, b: Uint8Array) {
  let sum = 0; const BLOCK = 3 * 8192;
  for (let s = 0; s < a.length; s += BLOCK) { const e = Math.min(a.length, s + BLOCK); let blk = 0;
    for (let i = s; i < e; i++) { const d = (a[i] as number) - (b[i] as number); blk += d * d; } sum += blk; }
  return Math.round(10 * Math.log10((255 * 255) / (sum / a.length)) * 100) / 100;
}
const variants: Record<string, (k: number) => Promise<number | null>> = {
  A_rgba: async (k) => psnr(r4[k]!.data, new Uint8Array(await sharp(webps[k]!).toColourspace('srgb').ensureAlpha().raw({ depth: 'uchar' }).toBuffer())),
  B_rgb: async (k) => psnr3(r3[k]!.data, await sharp(webps[k]!).raw().toBuffer()),
  C_vips: async (k) => { const s = await sharp(r3[k]!.data, { raw: { width: r3[k]!.info.width, height: r3[k]!.info.height, channels: 3 } }).composite([{ input: webps[k]!, blend: 'difference' }]).stats();
    const sq = s.channels.slice(0, 3).reduce((t, c) => t + c.squaresSum, 0); return Math.round(10 * Math.log10((255 * 255) / (sq / (r3[k]!.data.length))) * 100) / 100; },
};
for (let round = 0; round < 3; round++) for (const [name, f] of Object.entries(variants)) {
  const t0 = performance.now(); const vals = []; for (let k = 0; k < 5; k++) vals.push(await f(k));
  console.log(name, ((performance.now() - t0) / 5).toFixed(0), 'ms', vals.join(' '));
}
