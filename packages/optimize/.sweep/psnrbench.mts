import { psnr } from '../src/textures/psnr.js';
const n = 2048 * 2048 * 4;
const a = new Uint8Array(n), b = new Uint8Array(n);
for (let i = 0; i < n; i++) { a[i] = (i * 2654435761) >>> 24; b[i] = Math.min(255, Math.max(0, a[i]! + ((i * 40503) % 7) - 3)); }
function psnr32(a: Uint8Array, b: Uint8Array, alpha = false): number | null {
  const wa = new Uint32Array(a.buffer, a.byteOffset, a.length >> 2), wb = new Uint32Array(b.buffer, b.byteOffset, b.length >> 2);
  const BLOCK = 8192; let sum = 0;
  for (let s = 0; s < wa.length; s += BLOCK) { const e = Math.min(wa.length, s + BLOCK); let blk = 0;
    for (let i = s; i < e; i++) { const x = wa[i]!, y = wb[i]!;
      const d0 = (x & 255) - (y & 255), d1 = ((x >>> 8) & 255) - ((y >>> 8) & 255), d2 = ((x >>> 16) & 255) - ((y >>> 16) & 255);
      const d3 = alpha ? (x >>> 24) - (y >>> 24) : 0;
      blk += d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3; }
    sum += blk; }
  if (sum === 0) return null;
  const mse = sum / ((a.length / 4) * (alpha ? 4 : 3));
  return Math.round(10 * Math.log10((255 * 255) / mse) * 100) / 100;
}
for (let r = 0; r < 5; r++) {
  let t = performance.now(); const p1 = psnr(a, b); const t1 = performance.now() - t;
  t = performance.now(); const p2 = psnr32(a, b); const t2 = performance.now() - t;
  console.log('current', t1.toFixed(1), p1, ' u32', t2.toFixed(1), p2);
}
