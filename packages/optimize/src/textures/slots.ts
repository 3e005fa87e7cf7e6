import type { Texture } from '@gltf-transform/core';
import { getTextureColorSpace, listTextureSlots } from '@gltf-transform/functions';

/** How a texture is used: its material slots, colour space and whether it holds normals. */
export interface TextureUse {
  slots: string[];
  /** `srgb` for colour (baseColor, emissive, sheenColor, …), `linear` for data maps. */
  colorSpace: 'srgb' | 'linear';
  normalMap: boolean;
}

/** @internal Classifies a texture by the material slots that reference it. */
export function textureUse(texture: Texture): TextureUse {
  const slots = listTextureSlots(texture);
  return {
    slots,
    colorSpace: getTextureColorSpace(texture) === 'srgb' ? 'srgb' : 'linear',
    normalMap: slots.some((slot) => /normal/i.test(slot)),
  };
}
