// Tiny inputs that make each decoder worker start (compile its WASM) before the first real asset:
// a one-triangle Draco mesh (draco3dgltf 1.5.7 encoder) and a 4x4 ETC1S KTX2 texture
// (ktx2-encoder 0.6.0, Basis Universal 2.5). Decoding them allocates nothing on the GPU.

/** @internal */
export const WARMUP_DRACO = 'RFJBQ08CAgEBAAAAAwEAAQAAAQf/AREB/wAAAQAJAwAAAAAAgD8AAAAAAAAAAAAAAAAAAIA/AAAAAAAAAAAAAAAAAAAAAA==';

/** @internal */
export const WARMUP_KTX2 =
  'q0tUWCAyMLsNChoKAAAAAAEAAAAEAAAABAAAAAAAAAAAAAAAAQAAAAEAAAABAAAAaAAAADwAAACkAAAAJAAAAMgAAAAAAAAAgAAAAAAAAABIAQAAAAAAAAIAAAAAAAAAAAAAAAAAAAA8AAAAAAAAAAIAOACjAQIAAwMAAAgIAAAAAAAAAAA/AAAAAAAAAAAA/////0AAPw8AAAAAAAAAAP////8fAAAAS1RYd3JpdGVyAEJhc2lzIFVuaXZlcnNhbCAyLjUwAAABAAEAKAAAAAUAAAArAAAAAAAAAAAAAAAAAAAAAQAAAAEAAAABAAAAAcAEAAAAAAAAIgGYAQAAAAAAQFYAMAEAAAAAAIAIACYAAAAAAAAQAVRVVVUFAMFEAAAAAAAA8l8tAJgAAAAAAABACAATAAIAAAAAiAHABAAAAAAAAAIIAAAA';

/** Decodes base64 to a fresh ArrayBuffer (decoders transfer their input to a worker). @internal */
export function fromBase64(data: string): ArrayBuffer {
  const binary = atob(data);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out.buffer;
}
