import { stripQuery } from '@kiln/manifest';
import type { Texture } from 'three';
import type { GLTF } from 'three/examples/jsm/loaders/GLTFLoader.js';
import type { GltfJsonHead } from './gltf-header.js';

/** The folder of a URL, without its query: where a .gltf's relative resources are. @internal */
export function resourceBase(url: string): string {
  const clean = stripQuery(url);
  return clean.slice(0, clean.lastIndexOf('/') + 1);
}

/**
 * Textures the glTF references that GLTFLoader could not load (it only logs them and
 * shows the model without them), as `texture <index> "<name>" (<uri or mime type>)`. @internal
 */
export async function missingTextures(gltf: GLTF, json: GltfJsonHead): Promise<string[]> {
  const parser = gltf.parser as unknown as { cache: { get(key: string): Promise<Texture | null> | undefined } };
  const missing: string[] = [];
  const count = json.textures?.length ?? 0;
  for (let i = 0; i < count; i++) {
    const pending = parser.cache.get(`texture:${i}`);
    if (pending === undefined) continue;
    const texture = await pending.catch(() => null);
    if (texture === null) {
      const def = json.textures?.[i] as { source?: number; name?: string; extensions?: Record<string, { source?: number }> } | undefined;
      const source = def?.extensions?.['KHR_texture_basisu']?.source ?? def?.extensions?.['EXT_texture_webp']?.source ?? def?.source;
      const image = source === undefined ? undefined : json.images?.[source];
      const what = image?.uri !== undefined && !image.uri.startsWith('data:') ? stripQuery(image.uri) : (image?.mimeType ?? 'embedded');
      const name = def?.name ?? image?.name;
      missing.push(`texture ${i}${name ? ` "${name}"` : ''} (${what})`);
    }
  }
  return missing;
}

