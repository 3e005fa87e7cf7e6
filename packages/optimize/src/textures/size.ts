/**
 * The KTX2 encoder (Basis Universal v2.5 in ktx2-encoder) refuses images over 12 Mpix
 * (12 × 1024 × 1024 texels, mipmaps excluded).
 */
export const KTX2_MAX_PIXELS = 12 * 1024 * 1024;

/** Size that fits `width × height` within `cap` on its longer side, keeping the aspect ratio. */
export function fitWithin(width: number, height: number, cap: number | null): [number, number] {
  if (cap === null || Math.max(width, height) <= cap) return [width, height];
  const scale = cap / Math.max(width, height);
  return [Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale))];
}

function nearestPowerOfTwo(value: number): number {
  return 2 ** Math.max(0, Math.round(Math.log2(value)));
}

function floorPowerOfTwo(value: number): number {
  return 2 ** Math.max(0, Math.floor(Math.log2(value)));
}

/**
 * Size of a KTX2 texture: fitted within `cap` keeping the aspect ratio, then each side to the
 * nearest power of two (never above `cap` rounded down to a power of two), then halved until
 * within {@link KTX2_MAX_PIXELS} (the longer side first; both sides of a square).
 */
export function ktx2Size(width: number, height: number, cap: number | null): [number, number] {
  const limit = cap === null ? Number.POSITIVE_INFINITY : floorPowerOfTwo(cap);
  const [fw, fh] = fitWithin(width, height, cap);
  let w = Math.min(nearestPowerOfTwo(fw), limit);
  let h = Math.min(nearestPowerOfTwo(fh), limit);
  while (w * h > KTX2_MAX_PIXELS) {
    if (w > h) w /= 2;
    else if (h > w) h /= 2;
    else {
      w /= 2;
      h /= 2;
    }
  }
  return [w, h];
}
