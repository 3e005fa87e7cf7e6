import type { DecoderNeeds } from './decoders.js';
import { KilnLoadError } from './errors.js';

/** The part of a glTF JSON document Kiln reads before parsing. @internal */
export interface GltfJsonHead {
  asset?: { version?: unknown };
  extensionsUsed?: string[];
  extensionsRequired?: string[];
  textures?: unknown[];
  images?: { uri?: string; name?: string; mimeType?: string }[];
}

const GLB_MAGIC = 0x46546c67; // 'glTF'
const JSON_CHUNK = 0x4e4f534a; // 'JSON'

/**
 * Reads the JSON of a GLB (or a .gltf text) without parsing the rest, so Kiln knows which
 * decoders to make ready before handing the bytes to GLTFLoader. @internal
 */
export function readGltfJson(bytes: ArrayBuffer, label: string): GltfJsonHead {
  const view = new DataView(bytes);
  let text: string;
  if (bytes.byteLength >= 20 && view.getUint32(0, true) === GLB_MAGIC) {
    const version = view.getUint32(4, true);
    const declared = view.getUint32(8, true);
    const chunkLength = view.getUint32(12, true);
    const chunkType = view.getUint32(16, true);
    if (version !== 2 || chunkType !== JSON_CHUNK) {
      throw new KilnLoadError('decode', `${label}: not a valid glTF 2.0 binary (GLB version ${version})`);
    }
    // A cut file otherwise parses as far as its JSON and fails on whatever lies past the cut
    // (three reports its textures as missing, or a buffer out of range).
    if (declared > bytes.byteLength || 20 + chunkLength > bytes.byteLength) {
      throw new KilnLoadError('decode', `${label}: truncated GLB: its header declares ${Math.max(declared, 20 + chunkLength)} bytes, ${bytes.byteLength} arrived`);
    }
    text = new TextDecoder().decode(new Uint8Array(bytes, 20, chunkLength));
  } else {
    text = new TextDecoder().decode(new Uint8Array(bytes, 0, Math.min(bytes.byteLength, 1 << 26)));
    if (!text.trimStart().startsWith('{')) {
      throw new KilnLoadError('decode', `${label}: neither a GLB nor glTF JSON (${bytes.byteLength} bytes)`);
    }
  }
  let head: GltfJsonHead;
  try {
    const json = JSON.parse(text) as unknown;
    if (typeof json !== 'object' || json === null) throw new Error('not an object');
    head = json as GltfJsonHead;
  } catch (error) {
    throw new KilnLoadError('decode', `${label}: the glTF JSON does not parse`, { cause: error });
  }
  // GLTFLoader says "Unsupported asset. glTF versions >=2.0 are supported."; this names the version.
  const version = head.asset?.version;
  if (typeof version === 'string' && !version.startsWith('2.')) {
    throw new KilnLoadError('decode', `${label}: glTF ${version} is not supported (asset.version "${version}"); three.js loads glTF 2.0`);
  }
  return head;
}

/** Decoders a glTF document declares it uses. @internal */
export function decoderNeeds(json: GltfJsonHead): DecoderNeeds {
  const used = new Set([...(json.extensionsUsed ?? []), ...(json.extensionsRequired ?? [])]);
  return {
    draco: used.has('KHR_draco_mesh_compression'),
    ktx2: used.has('KHR_texture_basisu'),
    meshopt: used.has('EXT_meshopt_compression') || used.has('KHR_meshopt_compression'),
  };
}

/** Recognised environment map formats. */
export type EnvironmentFormat = 'hdr' | 'exr';

/** Sniffs an HDR (Radiance RGBE) or OpenEXR file from its first bytes. @internal */
export function sniffEnvironment(bytes: ArrayBuffer): EnvironmentFormat | undefined {
  const head = new Uint8Array(bytes, 0, Math.min(bytes.byteLength, 10));
  if (head[0] === 0x76 && head[1] === 0x2f && head[2] === 0x31 && head[3] === 0x01) return 'exr';
  const text = String.fromCharCode(...head);
  if (text.startsWith('#?RADIANCE') || text.startsWith('#?RGBE')) return 'hdr';
  return undefined;
}
