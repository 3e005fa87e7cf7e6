// Inputs that are already compressed, and what the report counts: a Draco input written with
// meshopt (and the reverse) carries one codec, not both; gltfpack's integer positions survive; no accessor is written that nothing
// uses; the triangles reported are those of the written file, which the Draco encoder can make
// fewer than the document's.
import { type Document, NodeIO } from '@gltf-transform/core';
import { KHRMeshQuantization } from '@gltf-transform/extensions';
import { describe, expect, it } from 'vitest';
import { optimize, type OptimizeReport } from '../src/index.js';
import { SPHERE_TRIANGLES, sphereDocument, toGlb } from './helpers/fixtures.js';
import { glbJson, readGlb } from './helpers/read.js';

const DRACO = 'KHR_draco_mesh_compression';
const MESHOPT = 'EXT_meshopt_compression';

/** Accessors the validator found no use for in the output. */
function unusedAccessors(report: OptimizeReport): string[] {
  return (report.validation.after?.messages ?? []).filter((m) => m.code === 'UNUSED_OBJECT' && m.pointer?.startsWith('/accessors/')).map((m) => m.pointer ?? '');
}

/** The triangles the primitives of a GLB draw, read back with both decoders. */
async function trianglesIn(glb: Uint8Array): Promise<number> {
  const doc = await readGlb(glb);
  let total = 0;
  for (const mesh of doc.getRoot().listMeshes()) {
    for (const prim of mesh.listPrimitives()) total += (prim.getIndices()?.getCount() ?? 0) / 3;
  }
  return total;
}

describe('a compressed input written with the other geometry codec', () => {
  it('Draco in, meshopt out: the output uses meshopt only and carries each vertex stream once', async () => {
    const { glb: draco } = await optimize(await toGlb(sphereDocument()), { geometry: 'draco' });
    expect(glbJson(draco)['extensionsRequired']).toContain(DRACO);

    const { glb, report } = await optimize(draco, { geometry: 'meshopt' });
    const json = glbJson(glb);
    expect(json['extensionsUsed']).toContain(MESHOPT);
    expect(json['extensionsUsed']).not.toContain(DRACO);
    expect(json['extensionsRequired'] ?? []).not.toContain(DRACO);
    expect(report.extensionsAfter).not.toContain(DRACO);
    // Each vertex stream once: no Draco placeholders beside the meshopt copies.
    expect(unusedAccessors(report)).toEqual([]);
    expect(report.validation.after).toMatchObject({ errors: 0, warnings: 0 });
    expect(await trianglesIn(glb)).toBe(SPHERE_TRIANGLES);
    // Draco is smaller than meshopt before transport compression: the report says why it grew.
    expect(glb.byteLength).toBeGreaterThan(draco.byteLength);
    expect(report.warnings).toEqual([expect.stringMatching(/^the output \(\d+ B\) is larger than the input \(\d+ B\): the input's Draco geometry was re-encoded with meshopt/)]);
  });

  it('meshopt in, Draco out: the output uses Draco only', async () => {
    const { glb: meshopt } = await optimize(await toGlb(sphereDocument()), { geometry: 'meshopt' });
    expect(glbJson(meshopt)['extensionsRequired']).toContain(MESHOPT);

    const { glb, report } = await optimize(meshopt, { geometry: 'draco' });
    const json = glbJson(glb);
    expect(json['extensionsUsed']).toContain(DRACO);
    expect(json['extensionsUsed']).not.toContain(MESHOPT);
    expect(unusedAccessors(report)).toEqual([]);
    expect(json['bufferViews'].some((view: { extensions?: object }) => view.extensions && MESHOPT in view.extensions)).toBe(false);
    expect(report.validation.after).toMatchObject({ errors: 0, warnings: 0 });
    expect(await trianglesIn(glb)).toBe(SPHERE_TRIANGLES);
  });

  it('geometry: none keeps the codec the input has', async () => {
    const { glb: draco } = await optimize(await toGlb(sphereDocument()), { geometry: 'draco' });
    const { glb } = await optimize(draco, { geometry: 'none' });
    expect(glbJson(glb)['extensionsRequired']).toEqual([DRACO]);
  });
});

describe('one accessor serving two attributes (dedup joins a unit sphere\'s POSITION and NORMAL)', () => {
  // weld used to leave a copy of the shared accessor unused, and glTF Transform's Draco writer
  // stores a shared accessor's data uncompressed as well: the sphere came out at 18.6 KB, not 4.9.
  it.each(['draco', 'none'] as const)('geometry %s writes no accessor that nothing uses', async (geometry) => {
    const { glb, report } = await optimize(await toGlb(sphereDocument()), { geometry });
    expect(unusedAccessors(report)).toEqual([]);
    const json = glbJson(glb);
    const used = new Set(json['meshes'].flatMap((m: { primitives: { indices?: number; attributes: Record<string, number> }[] }) => m.primitives.flatMap((p) => [p.indices, ...Object.values(p.attributes)])));
    expect(json['accessors']).toHaveLength(used.size);
    expect(await trianglesIn(glb)).toBe(SPHERE_TRIANGLES);
  });
});

describe('the triangles reported are those written', () => {
  /** The sphere with `extra` zero-area triangles (two corners the same vertex) appended. */
  async function sphereWithDegenerates(extra: number): Promise<Uint8Array> {
    const doc = sphereDocument();
    const indices = doc.getRoot().listMeshes()[0]!.listPrimitives()[0]!.getIndices()!;
    const old = indices.getArray() as Uint32Array;
    const next = new Uint32Array(old.length + extra * 3);
    next.set(old);
    for (let i = 0; i < extra; i++) next.set([i, i, i + 1], old.length + i * 3);
    indices.setArray(next);
    return toGlb(doc);
  }

  it('with Draco, which drops zero-area triangles: after, the mesh and the stage say what the file holds', async () => {
    const input = await sphereWithDegenerates(20);
    const { glb, report } = await optimize(input, { geometry: 'draco' });
    const written = await trianglesIn(glb);
    expect(report.before.triangles).toBe(SPHERE_TRIANGLES + 20);
    expect(written).toBeLessThan(SPHERE_TRIANGLES + 20); // the encoder dropped them
    expect(report.after.triangles).toBe(written);
    expect(report.meshes[0]?.triangles).toBe(written);
    expect(report.stages.find((s) => s.stage === 'write')?.triangles).toBe(written);
  });

  it('with Draco LODs: each level reports the triangles of its file, and its ratio from them', async () => {
    const input = await sphereWithDegenerates(20);
    const { lods, report } = await optimize(input, { geometry: 'draco', lods: [0.5] });
    const lod = lods[0]!;
    expect(lod.triangles).toBe(await trianglesIn(lod.glb));
    expect(report.lods[0]?.triangles).toBe(lod.triangles);
    expect(lod.achievedRatio).toBeCloseTo(lod.triangles / report.after.triangles, 3);
  });

  it('with meshopt, which keeps them, the count is the input count', async () => {
    const { glb, report } = await optimize(await sphereWithDegenerates(20), { geometry: 'meshopt' });
    expect(await trianglesIn(glb)).toBe(SPHERE_TRIANGLES + 20);
    expect(report.after.triangles).toBe(SPHERE_TRIANGLES + 20);
  });
});

/**
 * The unit sphere as gltfpack writes positions (KHR_mesh_quantization): unsigned 14-bit integers,
 * not normalized, over the bounding cube, with the offset and scale on the node.
 */
function gltfpackStyleSphere(): Document {
  const doc = sphereDocument();
  const position = doc.getRoot().listMeshes()[0]!.listPrimitives()[0]!.getAttribute('POSITION')!;
  const min = position.getMin([]);
  const extent = Math.max(...position.getMax([]).map((v, i) => v - (min[i] as number)));
  const steps = (1 << 14) - 1;
  const floats = position.getArray() as Float32Array;
  const ints = new Uint16Array(floats.length);
  for (let i = 0; i < floats.length; i++) ints[i] = Math.round((((floats[i] as number) - (min[i % 3] as number)) / extent) * steps);
  position.setArray(ints).setNormalized(false);
  const step = extent / steps;
  doc.getRoot().listNodes()[0]!.setTranslation(min as [number, number, number]).setScale([step, step, step]);
  doc.createExtension(KHRMeshQuantization).setRequired(true);
  return doc;
}

/** Distance from the origin of every vertex a GLB draws, in world space. */
async function worldRadii(glb: Uint8Array): Promise<number[]> {
  const radii: number[] = [];
  for (const node of (await readGlb(glb)).getRoot().listNodes()) {
    const m = node.getWorldMatrix();
    for (const prim of node.getMesh()?.listPrimitives() ?? []) {
      const position = prim.getAttribute('POSITION')!;
      for (let i = 0, p: number[] = []; i < position.getCount(); i++) {
        const [x, y, z] = position.getElement(i, p) as [number, number, number];
        radii.push(Math.hypot(m[0] * x + m[4] * y + m[8] * z + m[12], m[1] * x + m[5] * y + m[9] * z + m[13], m[2] * x + m[6] * y + m[10] * z + m[14]));
      }
    }
  }
  return radii;
}

describe('a quantized input (KHR_mesh_quantization)', () => {
  it("keeps gltfpack's integer positions through meshopt, LODs and a budget (glTF Transform's quantize truncated them)", async () => {
    const input = await new NodeIO().registerExtensions([KHRMeshQuantization]).writeBinary(gltfpackStyleSphere());
    expect(Math.max(...(await worldRadii(input)).map((r) => Math.abs(r - 1)))).toBeLessThan(1e-3);
    for (const options of [{}, { lods: [0.5] }, { maxTriangles: 700 }, { geometry: 'draco' as const }, { geometry: 'draco' as const, lods: [0.5], maxTriangles: 700 }, { geometry: 'none' as const, lods: [0.5] }]) {
      const { glb, lods } = await optimize(input, options);
      for (const out of [glb, ...lods.map((lod) => lod.glb)]) {
        const radii = await worldRadii(out);
        expect(radii.length).toBeGreaterThan(0);
        expect(Math.max(...radii.map((r) => Math.abs(r - 1))), JSON.stringify(options)).toBeLessThan(2e-3);
      }
    }
  });
});
