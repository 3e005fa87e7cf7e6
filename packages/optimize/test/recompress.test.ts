// Inputs that are already compressed, and what the report counts: a Draco input written with
// meshopt (and the reverse) carries one codec, not both; no accessor is written that nothing
// uses; the triangles reported are those of the written file, which the Draco encoder can make
// fewer than the document's.
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
