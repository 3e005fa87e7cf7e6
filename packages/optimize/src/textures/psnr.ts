/**
 * Peak signal-to-noise ratio in dB of two RGBA images of the same size, over the RGB channels
 * (and alpha when `alpha` is true). `null` when they are identical (PSNR is infinite).
 */
export function psnr(a: Uint8Array, b: Uint8Array, alpha = false): number | null {
  if (a.length !== b.length || a.length % 4 !== 0) throw new RangeError(`psnr: images differ in size (${a.length} vs ${b.length} bytes)`);
  const channels = alpha ? 4 : 3;
  let sum = 0;
  for (let i = 0; i < a.length; i += 4) {
    for (let c = 0; c < channels; c++) {
      const d = (a[i + c] as number) - (b[i + c] as number);
      sum += d * d;
    }
  }
  if (sum === 0) return null;
  const mse = sum / ((a.length / 4) * channels);
  return Math.round(10 * Math.log10((255 * 255) / mse) * 100) / 100;
}
