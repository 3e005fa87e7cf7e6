import { NodeIO } from '@gltf-transform/core';
import sharp from 'sharp';
const io = new NodeIO();
const doc = await io.read('../../../../shared/models/DamagedHelmet.glb');
const imgs = doc.getRoot().listTextures().map((t) => t.getImage()!);
console.log('sharp', sharp.versions, 'concurrency', sharp.concurrency());
const time = async (label: string, f: (img: Uint8Array) => Promise<unknown>) => {
  const res: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    for (const img of imgs) await f(img);
    res.push(performance.now() - t0);
  }
  res.sort((a, b) => a - b);
  console.log(label.padEnd(40), (res[1]! / imgs.length).toFixed(0), 'ms/texture');
};
const raws3 = await Promise.all(imgs.map((i) => sharp(i).raw().toBuffer({ resolveWithObject: true })));
const raws4 = await Promise.all(imgs.map((i) => sharp(i).toColourspace('srgb').ensureAlpha().raw().toBuffer({ resolveWithObject: true })));
const webps = await Promise.all(imgs.map((i) => sharp(i).webp({ quality: 80, effort: 4 }).toBuffer()));
let k = 0;
await time('jpeg -> raw3', (i) => sharp(i).raw().toBuffer());
await time('jpeg -> srgb rgba raw (kiln)', (i) => sharp(i).toColourspace('srgb').ensureAlpha().raw({ depth: 'uchar' }).toBuffer());
await time('jpeg -> webp (gltf-transform)', (i) => sharp(i).webp({ quality: 80, effort: 4 }).toBuffer());
k = 0; await time('raw4 removeAlpha -> webp (kiln)', () => { const r = raws4[k++ % 5]!; return sharp(r.data, { raw: { width: r.info.width, height: r.info.height, channels: 4 } }).removeAlpha().webp({ quality: 80, effort: 4 }).toBuffer(); });
k = 0; await time('raw3 -> webp', () => { const r = raws3[k++ % 5]!; return sharp(r.data, { raw: { width: r.info.width, height: r.info.height, channels: 3 } }).webp({ quality: 80, effort: 4 }).toBuffer(); });
k = 0; await time('webp -> rgba (kiln psnr)', () => sharp(webps[k++ % 5]!).toColourspace('srgb').ensureAlpha().raw({ depth: 'uchar' }).toBuffer());
k = 0; await time('webp -> raw3', () => sharp(webps[k++ % 5]!).raw().toBuffer());
