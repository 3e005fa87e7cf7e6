import type { Document, Mesh, Primitive } from '@gltf-transform/core';

const TRIANGLES = 4;
const TRIANGLE_STRIP = 5;
const TRIANGLE_FAN = 6;

/** Triangles of one primitive (0 for points and lines). */
export function primitiveTriangles(prim: Primitive): number {
  const indices = prim.getIndices();
  const count = indices ? indices.getCount() : (prim.getAttribute('POSITION')?.getCount() ?? 0);
  switch (prim.getMode()) {
    case TRIANGLES:
      return Math.floor(count / 3);
    case TRIANGLE_STRIP:
    case TRIANGLE_FAN:
      return Math.max(0, count - 2);
    default:
      return 0;
  }
}

/** How many nodes use each mesh (a mesh no node uses counts once). */
export function meshInstances(document: Document): Map<Mesh, number> {
  const counts = new Map<Mesh, number>();
  for (const node of document.getRoot().listNodes()) {
    const mesh = node.getMesh();
    if (mesh) counts.set(mesh, (counts.get(mesh) ?? 0) + 1);
  }
  return counts;
}

/** Triangles drawn: each mesh's triangles once per node that uses it. */
export function countTriangles(document: Document): number {
  const instances = meshInstances(document);
  let total = 0;
  for (const mesh of document.getRoot().listMeshes()) {
    const tris = mesh.listPrimitives().reduce((n, p) => n + primitiveTriangles(p), 0);
    total += tris * (instances.get(mesh) ?? 1);
  }
  return total;
}
