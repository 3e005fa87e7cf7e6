/** Width and height of a PNG, JPEG, WebP or GIF, read from its header; `undefined` for other data. */
export function imageSize(data: Uint8Array): { width: number; height: number; format: 'png' | 'jpeg' | 'webp' | 'gif' } | undefined {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.length >= 24 && data[0] === 0x89 && data[1] === 0x50 && data[2] === 0x4e && data[3] === 0x47) {
    return { width: view.getUint32(16), height: view.getUint32(20), format: 'png' };
  }
  if (data.length >= 10 && data[0] === 0x47 && data[1] === 0x49 && data[2] === 0x46) {
    return { width: view.getUint16(6, true), height: view.getUint16(8, true), format: 'gif' };
  }
  if (data.length >= 30 && ascii(data, 0, 4) === 'RIFF' && ascii(data, 8, 4) === 'WEBP') {
    const chunk = ascii(data, 12, 4);
    if (chunk === 'VP8X') return { width: 1 + (data[24]! | (data[25]! << 8) | (data[26]! << 16)), height: 1 + (data[27]! | (data[28]! << 8) | (data[29]! << 16)), format: 'webp' };
    if (chunk === 'VP8 ') return { width: view.getUint16(26, true) & 0x3fff, height: view.getUint16(28, true) & 0x3fff, format: 'webp' };
    if (chunk === 'VP8L') {
      const bits = view.getUint32(21, true);
      return { width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1, format: 'webp' };
    }
    return undefined;
  }
  if (data.length >= 4 && data[0] === 0xff && data[1] === 0xd8) {
    let offset = 2;
    while (offset + 9 < data.length) {
      if (data[offset] !== 0xff) return undefined;
      const marker = data[offset + 1]!;
      const length = view.getUint16(offset + 2);
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { width: view.getUint16(offset + 7), height: view.getUint16(offset + 5), format: 'jpeg' };
      }
      offset += 2 + length;
    }
  }
  return undefined;
}

function ascii(data: Uint8Array, start: number, length: number): string {
  return String.fromCharCode(...data.subarray(start, start + length));
}

/** What {@link inspectGlb} finds in a binary glTF. */
export interface GlbInfo {
  triangles: number;
  meshes: number;
  materials: number;
  textures: number;
  skins: number;
  animations: number;
  /** Sizes of embedded PNG/JPEG textures. */
  textureSizes: { width: number; height: number }[];
  /** Structural problems: a bad header, chunk lengths, missing accessors or buffer views. */
  errors: string[];
}

interface GltfJson {
  meshes?: { primitives?: { mode?: number; indices?: number; attributes?: Record<string, number> }[] }[];
  accessors?: { count?: number; bufferView?: number }[];
  bufferViews?: { byteOffset?: number; byteLength?: number; buffer?: number }[];
  images?: { bufferView?: number; mimeType?: string; uri?: string }[];
  materials?: unknown[];
  textures?: unknown[];
  skins?: unknown[];
  animations?: unknown[];
}

/**
 * Reads a GLB's structure without a full parser: header and chunks, triangle count (triangle
 * primitives, indexed or not), texture sizes, and structural errors. A quick check for ratings;
 * hosts can plug the Khronos validator in for the full one.
 */
export function inspectGlb(data: Uint8Array): GlbInfo {
  const info: GlbInfo = { triangles: 0, meshes: 0, materials: 0, textures: 0, skins: 0, animations: 0, textureSizes: [], errors: [] };
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.length < 20 || view.getUint32(0, true) !== 0x46546c67) {
    info.errors.push('not a GLB: missing the "glTF" magic');
    return info;
  }
  if (view.getUint32(4, true) !== 2) info.errors.push(`GLB version ${view.getUint32(4, true)}, expected 2`);
  if (view.getUint32(8, true) !== data.length) info.errors.push(`header length ${view.getUint32(8, true)} != file length ${data.length}`);
  const jsonLength = view.getUint32(12, true);
  if (view.getUint32(16, true) !== 0x4e4f534a || 20 + jsonLength > data.length) {
    info.errors.push('the first chunk is not a JSON chunk of a valid length');
    return info;
  }
  let json: GltfJson;
  try {
    json = JSON.parse(new TextDecoder().decode(data.subarray(20, 20 + jsonLength))) as GltfJson;
  } catch {
    info.errors.push('the JSON chunk does not parse');
    return info;
  }
  let bin: Uint8Array | undefined;
  const binStart = 20 + jsonLength;
  if (binStart + 8 <= data.length) {
    const binLength = view.getUint32(binStart, true);
    if (view.getUint32(binStart + 4, true) === 0x004e4942 && binStart + 8 + binLength <= data.length) bin = data.subarray(binStart + 8, binStart + 8 + binLength);
    else info.errors.push('the BIN chunk has a bad type or length');
  }
  const accessors = json.accessors ?? [];
  info.meshes = json.meshes?.length ?? 0;
  info.materials = json.materials?.length ?? 0;
  info.textures = json.textures?.length ?? 0;
  info.skins = json.skins?.length ?? 0;
  info.animations = json.animations?.length ?? 0;
  (json.meshes ?? []).forEach((mesh, m) => {
    (mesh.primitives ?? []).forEach((primitive, p) => {
      const position = primitive.attributes?.['POSITION'];
      if (position === undefined || !accessors[position]) {
        info.errors.push(`meshes.${m}.primitives.${p}: no POSITION accessor`);
        return;
      }
      if ((primitive.mode ?? 4) !== 4) return;
      const indices = primitive.indices === undefined ? undefined : accessors[primitive.indices];
      if (primitive.indices !== undefined && !indices) info.errors.push(`meshes.${m}.primitives.${p}: indices accessor ${primitive.indices} is missing`);
      info.triangles += Math.floor((indices ?? accessors[position])!.count! / 3);
    });
  });
  for (const [i, image] of (json.images ?? []).entries()) {
    if (image.bufferView === undefined) continue;
    const bv = json.bufferViews?.[image.bufferView];
    if (!bv || !bin) {
      info.errors.push(`images.${i}: buffer view ${image.bufferView} is missing`);
      continue;
    }
    const start = bv.byteOffset ?? 0;
    const size = imageSize(bin.subarray(start, start + (bv.byteLength ?? 0)));
    if (size) info.textureSizes.push({ width: size.width, height: size.height });
    else info.errors.push(`images.${i}: not a PNG, JPEG or WebP`);
  }
  return info;
}
