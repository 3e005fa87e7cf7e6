import type { BufferGeometry, InstancedMesh, Light, Material, Object3D, Skeleton, Texture } from 'three';
import { clone as skeletonClone } from 'three/examples/jsm/utils/SkeletonUtils.js';

interface Collected {
  geometries: Set<BufferGeometry>;
  materials: Set<Material>;
  textures: Set<Texture>;
  skeletons: Set<Skeleton>;
}

/** Every geometry, material, texture and skeleton under `root`. @internal */
export function collectResources(root: Object3D): Collected {
  const found: Collected = { geometries: new Set(), materials: new Set(), textures: new Set(), skeletons: new Set() };
  root.traverse((object) => {
    const node = object as Object3D & { geometry?: BufferGeometry; material?: Material | Material[]; skeleton?: Skeleton; isSkinnedMesh?: boolean };
    if (node.geometry?.isBufferGeometry) found.geometries.add(node.geometry);
    const materials = node.material === undefined ? [] : Array.isArray(node.material) ? node.material : [node.material];
    for (const material of materials) {
      if (!material?.isMaterial) continue;
      found.materials.add(material);
      for (const value of Object.values(material) as unknown[]) {
        if (typeof value === 'object' && value !== null && (value as Texture).isTexture) found.textures.add(value as Texture);
      }
    }
    if (node.isSkinnedMesh && node.skeleton) found.skeletons.add(node.skeleton);
  });
  return found;
}

/** True when `root` holds a skinned mesh (its clones need SkeletonUtils). @internal */
export function hasSkinnedMesh(root: Object3D): boolean {
  let skinned = false;
  root.traverse((object) => {
    if ((object as { isSkinnedMesh?: boolean }).isSkinnedMesh) skinned = true;
  });
  return skinned;
}

/**
 * A clone that shares geometries, materials and textures with `root`; skinned meshes get their own
 * skeleton bound to their own bones (SkeletonUtils). @internal
 */
export function cloneScene(root: Object3D, skinned: boolean): Object3D {
  return skinned ? skeletonClone(root) : root.clone(true);
}

/**
 * Frees the GPU side of everything under `root` (geometries, materials, textures, skeletons,
 * instance buffers). The objects stay usable: three uploads them again if they are rendered
 * again. @internal
 */
export function disposeGpu(root: Object3D): void {
  const { geometries, materials, textures, skeletons } = collectResources(root);
  for (const geometry of geometries) geometry.dispose();
  for (const material of materials) material.dispose();
  for (const texture of textures) texture.dispose();
  for (const skeleton of skeletons) skeleton.dispose();
  root.traverse((object) => {
    const instanced = object as InstancedMesh;
    if (!instanced.isInstancedMesh) return;
    // What InstancedMesh.dispose() does, less dropping its morph texture: this one stays usable.
    instanced.dispatchEvent({ type: 'dispose' });
    instanced.morphTexture?.dispose();
  });
}

/** Frees what the browser holds outside the JS heap (decoded ImageBitmaps). @internal */
export function freeCpu(root: Object3D): void {
  for (const texture of collectResources(root).textures) {
    const image = texture.image as { close?: () => void } | undefined;
    if (typeof ImageBitmap !== 'undefined' && image instanceof ImageBitmap) image.close?.();
  }
}

/**
 * Frees what a clone owns alone, not shared with the cached asset: each skinned mesh's skeleton
 * (its bone texture); each instanced mesh's instance buffers (`InstancedMesh.copy` gives the clone
 * its own instance matrices, colours and morph texture, which three uploads per object and frees
 * only on `InstancedMesh.dispose()`); each light's shadow map (a clone has its own shadow, which
 * three allocates once the game lets the light cast one). @internal
 */
export function disposeClone(root: Object3D): void {
  for (const skeleton of collectResources(root).skeletons) skeleton.dispose();
  root.traverse((object) => {
    if ((object as InstancedMesh).isInstancedMesh) (object as InstancedMesh).dispose();
    if ((object as Light).isLight) (object as Light).dispose();
  });
}

/**
 * Bytes the parsed asset holds: vertex and index data, texture pixels (4 bytes a pixel plus a
 * third for mipmaps for images; the mip data itself for compressed and data textures). @internal
 */
export function estimateBytes(root: Object3D): number {
  const { geometries, textures } = collectResources(root);
  const arrays = new Set<ArrayBufferLike>();
  let bytes = 0;
  const addArray = (array: ArrayBufferView | undefined) => {
    if (array === undefined || arrays.has(array.buffer)) return;
    arrays.add(array.buffer);
    bytes += array.byteLength;
  };
  for (const geometry of geometries) {
    if (geometry.index) addArray(geometry.index.array as ArrayBufferView);
    for (const attribute of Object.values(geometry.attributes)) {
      const data = (attribute as { data?: { array: ArrayBufferView }; array?: ArrayBufferView }).data?.array ?? (attribute as { array?: ArrayBufferView }).array;
      addArray(data);
    }
  }
  for (const texture of textures) {
    const mipmaps = (texture as { mipmaps?: { data?: ArrayBufferView }[] }).mipmaps ?? [];
    const image = texture.image as { width?: number; height?: number; data?: ArrayBufferView } | undefined;
    if (mipmaps.length > 0 && mipmaps[0]?.data !== undefined) {
      for (const level of mipmaps) addArray(level.data);
    } else if (image?.data !== undefined) {
      addArray(image.data);
    } else if (image?.width !== undefined && image.height !== undefined) {
      bytes += Math.ceil(image.width * image.height * 4 * (4 / 3));
    }
  }
  return bytes;
}
