/**
 * Whether a WebP file is lossy (VP8), lossless (VP8L) or neither, from its RIFF chunks. sharp's
 * metadata does not say, and the two call for different handling: a lossy WebP re-encoded loses
 * quality a second time, a lossless one is re-encoded like a PNG.
 */
export function webpKind(bytes: Uint8Array): 'lossy' | 'lossless' | null {
  const ascii = (offset: number) => String.fromCharCode(...bytes.subarray(offset, offset + 4));
  if (bytes.byteLength < 20 || ascii(0) !== 'RIFF' || ascii(8) !== 'WEBP') return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Simple files hold one image chunk; extended ones (VP8X) hold it after ICCP/ANIM/ALPH chunks.
  for (let offset = 12; offset + 8 <= bytes.byteLength; ) {
    const fourcc = ascii(offset);
    if (fourcc === 'VP8 ') return 'lossy';
    if (fourcc === 'VP8L') return 'lossless';
    const size = view.getUint32(offset + 4, true);
    offset += 8 + size + (size % 2); // chunks are padded to an even size
  }
  return null;
}
