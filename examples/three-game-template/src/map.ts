// The small grid map: one tile per asset, in a square-ish grid, with every model fitted onto its tile.
import * as THREE from 'three';

/** Centre of each of `count` tiles, row by row, the grid centred on the origin. */
export function tilePositions(count: number, spacing: number): THREE.Vector3[] {
  const cols = Math.max(1, Math.ceil(Math.sqrt(count)));
  const rows = Math.max(1, Math.ceil(count / cols));
  return Array.from({ length: count }, (_, i) => {
    const col = i % cols;
    const row = Math.floor(i / cols);
    return new THREE.Vector3((col - (cols - 1) / 2) * spacing, 0, (row - (rows - 1) / 2) * spacing);
  });
}

/** A ground of grass and dirt tiles under the given tile centres, with a margin of one tile. */
export function createTileMap(centres: THREE.Vector3[], spacing: number): THREE.Group {
  const group = new THREE.Group();
  group.name = 'tile-map';
  const xs = centres.map((c) => c.x);
  const zs = centres.map((c) => c.z);
  const geometry = new THREE.BoxGeometry(spacing * 0.96, 0.2, spacing * 0.96);
  const grass = [new THREE.MeshStandardMaterial({ color: 0x5d8c3e, roughness: 0.9 }), new THREE.MeshStandardMaterial({ color: 0x4f7a34, roughness: 0.9 })];
  const path = new THREE.MeshStandardMaterial({ color: 0x9c7b52, roughness: 1 });
  const taken = new Set(centres.map((c) => `${Math.round(c.x / spacing)},${Math.round(c.z / spacing)}`));
  for (let x = Math.min(...xs) - spacing; x <= Math.max(...xs) + spacing + 1e-6; x += spacing) {
    for (let z = Math.min(...zs) - spacing; z <= Math.max(...zs) + spacing + 1e-6; z += spacing) {
      const i = Math.round(x / spacing);
      const j = Math.round(z / spacing);
      const material = taken.has(`${i},${j}`) ? path : grass[(i + j) & 1]!;
      const tile = new THREE.Mesh(geometry, material);
      tile.position.set(x, -0.1, z);
      tile.receiveShadow = true;
      group.add(tile);
    }
  }
  return group;
}

/**
 * Scales `object` uniformly so that its footprint fits `size` and sets it on the ground at
 * `position`. Returns the scale applied.
 */
export function placeOnTile(object: THREE.Object3D, position: THREE.Vector3, size: number): number {
  object.position.set(0, 0, 0);
  object.scale.setScalar(1);
  object.updateMatrixWorld(true);
  const box = new THREE.Box3().setFromObject(object);
  const extent = box.getSize(new THREE.Vector3());
  const largest = Math.max(extent.x, extent.z, extent.y * 0.6, 1e-6);
  const scale = size / largest;
  object.scale.setScalar(scale);
  object.position.set(position.x - ((box.min.x + box.max.x) / 2) * scale, -box.min.y * scale, position.z - ((box.min.z + box.max.z) / 2) * scale);
  return scale;
}
