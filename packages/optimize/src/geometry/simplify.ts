import { type Accessor, type Document, MathUtils, Primitive } from '@gltf-transform/core';
import { compactPrimitive, convertPrimitiveToTriangles, weld } from '@gltf-transform/functions';
import { countTriangles, meshInstances, primitiveTriangles } from './count.js';

/** The part of meshoptimizer's `MeshoptSimplifier` used here (injected). */
export interface Simplifier {
  readonly ready: Promise<void>;
  simplify(
    indices: Uint32Array,
    positions: Float32Array,
    stride: number,
    targetIndexCount: number,
    targetError: number,
    flags?: ('LockBorder' | 'Sparse' | 'ErrorAbsolute')[],
  ): [Uint32Array, number];
}

/** What to simplify to: a ratio of each primitive's triangles, or a triangle budget for the document. */
export type SimplifyGoal = { ratio: number } | { maxTriangles: number };

/** Options of {@link simplifyDocument}. */
export interface SimplifyDocumentOptions {
  simplifier: Simplifier;
  goal: SimplifyGoal;
  /** Error bound, as a fraction of each mesh's extent. */
  error: number;
  lockBorder?: boolean;
}

/** Result of {@link simplifyDocument}. */
export interface SimplifyResult {
  trianglesBefore: number;
  triangles: number;
  /** Largest error reached, as a fraction of the mesh extent. */
  error: number;
  /** True when the goal was reached (for a budget: at or under it). */
  reached: boolean;
  meshes: { name: string; trianglesBefore: number; triangles: number; error: number }[];
}

interface Target {
  prim: Primitive;
  meshIndex: number;
  weight: number;
  positions: Float32Array;
  indices: Uint32Array;
  result: Uint32Array;
  error: number;
}

/** Budget search: passes before giving up (each pass starts from the original indices). */
const MAX_BUDGET_PASSES = 8;

function floatPositions(accessor: Accessor): Float32Array {
  const array = accessor.getArray();
  if (!array) throw new Error('simplify: primitive without POSITION data');
  if (array instanceof Float32Array) return array;
  const out = new Float32Array(array.length);
  // Quantized positions (KHR_mesh_quantization): the simplifier's error is relative to the mesh
  // extent, so the node transform that undoes the quantization does not matter.
  for (let i = 0; i < array.length; i++) out[i] = accessor.getNormalized() ? MathUtils.decodeNormalizedInt(array[i] as number, accessor.getComponentType()) : (array[i] as number);
  return out;
}

function simplifyPass(simplifier: Simplifier, targets: Target[], ratio: number, error: number, flags: ('LockBorder')[]): void {
  for (const t of targets) {
    const target = Math.floor((ratio * t.indices.length) / 3) * 3;
    if (target >= t.indices.length) {
      t.result = t.indices;
      t.error = 0;
      continue;
    }
    const [indices, reached] = simplifier.simplify(t.indices, t.positions, 3, target, error, flags);
    t.result = indices;
    t.error = reached;
  }
}

function total(targets: Target[], untouched: number): number {
  return targets.reduce((sum, t) => sum + (t.result.length / 3) * t.weight, untouched);
}

/**
 * Simplifies every triangle primitive with meshoptimizer, to a ratio or under a triangle budget,
 * within an error bound. Points and lines are left as they are. For a budget, the ratio is
 * lowered pass after pass until the document fits or the simplifier stops making progress at the
 * error bound; `reached` says which. Vertex attributes, morph targets and skin weights follow the
 * kept vertices.
 */
export async function simplifyDocument(document: Document, options: SimplifyDocumentOptions): Promise<SimplifyResult> {
  const { simplifier, goal } = options;
  await simplifier.ready;
  const meshes = document.getRoot().listMeshes();
  const instances = meshInstances(document);
  const trianglesBefore = countTriangles(document);
  const meshBefore = meshes.map((mesh) => mesh.listPrimitives().reduce((n, p) => n + primitiveTriangles(p), 0));

  // Indexed triangle lists only: weld adds indices where missing, strips and fans become lists.
  await document.transform(weld({ overwrite: false }));
  const targets: Target[] = [];
  let untouched = 0;
  meshes.forEach((mesh, meshIndex) => {
    const weight = instances.get(mesh) ?? 1;
    for (const prim of mesh.listPrimitives()) {
      const mode = prim.getMode();
      if (mode === Primitive.Mode.TRIANGLE_STRIP || mode === Primitive.Mode.TRIANGLE_FAN) convertPrimitiveToTriangles(prim);
      const position = prim.getAttribute('POSITION');
      const indices = prim.getIndices()?.getArray();
      if (prim.getMode() !== Primitive.Mode.TRIANGLES || !position || !indices) {
        untouched += primitiveTriangles(prim) * weight;
        continue;
      }
      const index32 = indices instanceof Uint32Array ? indices : new Uint32Array(indices);
      targets.push({ prim, meshIndex, weight, positions: floatPositions(position), indices: index32, result: index32, error: 0 });
    }
  });

  const flags: 'LockBorder'[] = options.lockBorder ? ['LockBorder'] : [];
  let reached: boolean;
  if ('ratio' in goal) {
    simplifyPass(simplifier, targets, goal.ratio, options.error, flags);
    reached = total(targets, untouched) <= Math.ceil(goal.ratio * trianglesBefore);
  } else {
    const budget = goal.maxTriangles;
    const simplifiable = total(targets, 0);
    reached = trianglesBefore <= budget;
    if (!reached && simplifiable > 0) {
      let ratio = Math.max(0, (budget - untouched) / simplifiable);
      let previous = Number.POSITIVE_INFINITY;
      for (let pass = 0; pass < MAX_BUDGET_PASSES; pass++) {
        simplifyPass(simplifier, targets, ratio, options.error, flags);
        const now = total(targets, untouched);
        if (now <= budget) {
          reached = true;
          break;
        }
        // No progress since the last pass: every primitive is held at the error bound.
        if (now >= previous || ratio === 0) break;
        previous = now;
        // Scale the ratio by how far over the budget this pass landed, with a little margin.
        ratio = Math.max(0, ratio * (Math.max(0, budget - untouched) / Math.max(1, total(targets, 0))) * 0.98);
      }
    }
  }

  // Apply: new index accessors, then drop the vertices no longer referenced.
  for (const t of targets) {
    if (t.result === t.indices) continue;
    const old = t.prim.getIndices() as Accessor;
    const accessor = document.createAccessor(old.getName()).setType('SCALAR').setBuffer(old.getBuffer()).setArray(t.result);
    t.prim.setIndices(accessor);
    if (old.listParents().length === 1) old.dispose();
    compactPrimitive(t.prim);
    const count = t.prim.getAttribute('POSITION')?.getCount() ?? 0;
    const compacted = t.prim.getIndices()?.getArray();
    if (count <= 65534 && compacted && !(compacted instanceof Uint16Array)) t.prim.getIndices()?.setArray(new Uint16Array(compacted));
  }

  const errors = new Map<number, number>();
  for (const t of targets) errors.set(t.meshIndex, Math.max(errors.get(t.meshIndex) ?? 0, t.error));
  return {
    trianglesBefore,
    triangles: countTriangles(document),
    error: Math.max(0, ...targets.map((t) => t.error)),
    reached,
    meshes: meshes.map((mesh, i) => ({
      name: mesh.getName() || `mesh ${i}`,
      trianglesBefore: meshBefore[i] as number,
      triangles: mesh.listPrimitives().reduce((n, p) => n + primitiveTriangles(p), 0),
      error: errors.get(i) ?? 0,
    })),
  };
}
