// The GLB container (glTF 2.0 binary): a 12-byte header, a JSON chunk, an optional BIN chunk.

export const GLB_MAGIC = 0x46546c67; // 'glTF'
export const CHUNK_JSON = 0x4e4f534a;
export const CHUNK_BIN = 0x004e4942;

/**
 * @internal The JSON chunk of a GLB. The GLB is glTF Transform's own output, so its layout is
 * trusted (`input.ts` checks inputs).
 */
export function readGlbJson<T>(glb: Uint8Array): T {
  const jsonLength = new DataView(glb.buffer, glb.byteOffset, glb.byteLength).getUint32(12, true);
  return JSON.parse(new TextDecoder().decode(glb.subarray(20, 20 + jsonLength))) as T;
}

/**
 * @internal Rewrites a GLB's JSON chunk with `edit`, keeping every other chunk byte for byte.
 * Like {@link readGlbJson}, for glTF Transform's own output.
 */
export function editGlbJson<T>(glb: Uint8Array, edit: (json: T) => void): Uint8Array {
  const jsonLength = new DataView(glb.buffer, glb.byteOffset, glb.byteLength).getUint32(12, true);
  const json = readGlbJson<T>(glb);
  edit(json);
  const text = new TextEncoder().encode(JSON.stringify(json));
  const padded = Math.ceil(text.byteLength / 4) * 4;
  const rest = glb.subarray(20 + jsonLength);
  const out = new Uint8Array(20 + padded + rest.byteLength);
  const outView = new DataView(out.buffer);
  outView.setUint32(0, GLB_MAGIC, true);
  outView.setUint32(4, 2, true);
  outView.setUint32(8, out.byteLength, true);
  outView.setUint32(12, padded, true);
  outView.setUint32(16, CHUNK_JSON, true);
  out.set(text, 20);
  out.fill(0x20, 20 + text.byteLength, 20 + padded); // the GLB spec pads JSON with spaces
  out.set(rest, 20 + padded);
  return out;
}
