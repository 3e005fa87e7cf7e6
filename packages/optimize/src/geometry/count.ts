import type { Document, Mesh, Primitive } from '@gltf-transform/core';

const TRIANGLES = 4;
const TRIANGLE_STRIP = 5;
const TRIANGLE_FAN = 6;

/** Triangles of one primitive (0 for points and lines). */
export function primitiveTriangles(prim: Primitive): number {
  const indices = prim.getIndices();
  return trianglesOf(prim.getMode(), indices ? indices.getCount() : (prim.getAttribute('POSITION')?.getCount() ?? 0));
}

/** Triangles that `count` indices (or vertices, without indices) draw in primitive `mode`. */
function trianglesOf(mode: number, count: number): number {
  switch (mode) {
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

/** The parts of glTF JSON that {@link writtenTriangles} reads. */
interface TriangleJson {
  accessors?: { count: number }[];
  meshes?: { primitives: { mode?: number; indices?: number; attributes: Record<string, number> }[] }[];
  nodes?: { mesh?: number }[];
}

/**
 * Triangles a written file draws, from its JSON: in total (each mesh once per node that uses it,
 * like {@link countTriangles}) and per mesh. The Draco encoder can write fewer triangles than the
 * document held (it drops zero-area ones), and a compressed primitive's accessors carry the
 * counts it wrote, so the report counts here and not on the document.
 */
export function writtenTriangles(json: TriangleJson): { total: number; perMesh: number[] } {
  const accessors = json.accessors ?? [];
  const perMesh = (json.meshes ?? []).map((mesh) =>
    mesh.primitives.reduce((n, prim) => {
      const counted = prim.indices ?? prim.attributes['POSITION'];
      return n + trianglesOf(prim.mode ?? TRIANGLES, counted === undefined ? 0 : (accessors[counted]?.count ?? 0));
    }, 0),
  );
  const instances = new Map<number, number>();
  for (const node of json.nodes ?? []) if (node.mesh !== undefined) instances.set(node.mesh, (instances.get(node.mesh) ?? 0) + 1);
  const total = perMesh.reduce((sum, triangles, mesh) => sum + triangles * (instances.get(mesh) ?? 1), 0);
  return { total, perMesh };
}
