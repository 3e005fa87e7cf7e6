import { AssetSchema, LodVariantSchema } from '@kiln/manifest';
import { Document, NodeIO, Primitive } from '@gltf-transform/core';
import { describe, expect, it } from 'vitest';
import { countTriangles, optimize, OptimizeError, toManifestLods } from '../src/index.js';
import { cubeData, cubeDocument, pbrDocument, SPHERE_TRIANGLES, sphereDocument, toGlb } from './helpers/fixtures.js';
import { glbJson, readGlb } from './helpers/read.js';

const SHA = 'a'.repeat(64);

describe('triangle budget (maxTriangles)', () => {
  it('simplifies under the budget and reports the triangles reached and the error', async () => {
    const dense = sphereDocument(64, 32); // 64 × 31 × 2 = 3968 triangles
    const { glb, report } = await optimize(await toGlb(dense), { maxTriangles: 1500, budgetError: 0.05 });
    expect(report.before.triangles).toBe(3968);
    expect(report.budget).toMatchObject({ maxTriangles: 1500, trianglesBefore: 3968, met: true, errorBound: 0.05 });
    expect(report.budget!.triangles).toBeLessThanOrEqual(1500);
    expect(report.budget!.triangles).toBeGreaterThan(1000); // aims at the budget, not far below it
    expect(report.budget!.error).toBeGreaterThan(0);
    expect(report.budget!.error).toBeLessThanOrEqual(0.05);
    expect(report.after.triangles).toBe(report.budget!.triangles);
    expect(countTriangles(await readGlb(glb))).toBe(report.budget!.triangles);
    expect(report.meshes[0]).toMatchObject({ name: 'sphere', trianglesBefore: 3968, triangles: report.budget!.triangles });
    expect(report.stages.find((s) => s.stage === 'budget')?.triangles).toBe(report.budget!.triangles);
    expect(report.validation.added).toEqual([]);
  });

  it('does nothing when the model is already under budget', async () => {
    const { report } = await optimize(await toGlb(sphereDocument()), { maxTriangles: 5000 });
    expect(report.budget).toMatchObject({ triangles: SPHERE_TRIANGLES, met: true, error: 0 });
  });

  it('fails clearly when the budget cannot be met within the error bound', async () => {
    // A cube cannot lose a triangle without a large error.
    const error = await optimize(await toGlb(cubeDocument()), { maxTriangles: 4, budgetError: 0.001 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OptimizeError);
    expect((error as OptimizeError).code).toBe('budget_unreachable');
    expect((error as OptimizeError).message).toMatch(/^triangle budget 4 unreachable: 12 triangles at the error bound 0\.001/);
  });

  it('warns instead when asked, and reports the triangles actually reached', async () => {
    const { report } = await optimize(await toGlb(cubeDocument()), { maxTriangles: 4, budgetError: 0.001, onBudgetUnreachable: 'warn' });
    expect(report.budget).toMatchObject({ maxTriangles: 4, triangles: 12, met: false });
    expect(report.warnings).toEqual([expect.stringMatching(/^triangle budget 4 unreachable: 12 triangles/)]);
  });
});

describe('LODs', () => {
  it('writes one self-contained GLB per ratio and reports the ratios reached', async () => {
    const { glb, lods, lodDescriptor, report } = await optimize(await toGlb(sphereDocument(64, 32)), { lods: [0.5, 0.25, 0.1] });
    expect(lods.map((l) => l.level)).toEqual([1, 2, 3]);
    expect(lods.map((l) => l.requestedRatio)).toEqual([0.5, 0.25, 0.1]);
    const lod0 = countTriangles(await readGlb(glb));
    for (const lod of lods) {
      const doc = await readGlb(lod.glb);
      const triangles = countTriangles(doc);
      expect(lod.triangles).toBe(triangles);
      expect(lod.achievedRatio).toBeCloseTo(triangles / lod0, 4);
      expect(lod.achievedRatio).toBeLessThanOrEqual(lod.requestedRatio + 0.02);
      expect(lod.bytes).toBe(lod.glb.byteLength);
      expect(lod.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(lod.error).toBeGreaterThan(0);
      // Self-contained: one embedded buffer set, no external URIs; same codec as LOD0.
      const json = glbJson(lod.glb);
      expect(json['buffers'].every((b: { uri?: string }) => b.uri === undefined)).toBe(true);
      expect(json['extensionsRequired']).toContain('EXT_meshopt_compression');
      expect(doc.getRoot().listMaterials()).toHaveLength(1);
    }
    expect(lods[0]!.triangles).toBeLessThan(lod0);
    expect(lods[1]!.triangles).toBeLessThan(lods[0]!.triangles);
    expect(report.lods.map((l) => ({ level: l.level, achievedRatio: l.achievedRatio, triangles: l.triangles }))).toEqual(
      lods.map((l) => ({ level: l.level, achievedRatio: l.achievedRatio, triangles: l.triangles })),
    );
    expect(report.lods.every((l) => l.validation?.errors === 0 && l.validation.warnings === 0)).toBe(true);

    // The descriptor: screen coverage by default, strictly decreasing, ready for the manifest.
    const distinct = lods.filter((l) => l.distinct);
    expect(lodDescriptor.map((d) => d.level)).toEqual(distinct.map((l) => l.level));
    expect(lodDescriptor.every((d, i) => i === 0 || d.screenCoverage! < lodDescriptor[i - 1]!.screenCoverage!)).toBe(true);
    // Projected height (the manifest's measure): triangles per covered pixel constant.
    expect(lodDescriptor[0]!.screenCoverage).toBeCloseTo(0.5 * Math.sqrt(lods[0]!.achievedRatio), 6);
    const variants = toManifestLods(lodDescriptor, (d) => ({ key: `run/model_3d/sphere.lod${d.level}.glb` }));
    for (const v of variants) expect(LodVariantSchema.safeParse(v).success).toBe(true);
    const asset = AssetSchema.safeParse({ id: 'sphere', type: 'model_3d', contentType: 'model/gltf-binary', bytes: glb.byteLength, sha256: SHA, key: 'run/model_3d/sphere.glb', triangles: lod0, lods: variants });
    expect(asset.success).toBe(true);
  });

  it('gives every level the re-encoded textures of LOD0 (the texture stage ends before the LOD base is taken)', async () => {
    const { glb, lods } = await optimize(await toGlb(await pbrDocument(256, 128)), { lods: [0.5, 0.25], textures: 'webp' });
    const images = (bytes: Uint8Array) => glbJson(bytes)['images'].map((i: { mimeType: string }) => i.mimeType);
    const textures = async (bytes: Uint8Array) => (await readGlb(bytes)).getRoot().listTextures().map((t) => [t.getMimeType(), t.getImage()!.byteLength]);
    expect(images(glb)).toEqual(Array(7).fill('image/webp'));
    for (const lod of lods) {
      expect(glbJson(lod.glb)['extensionsRequired']).toContain('EXT_texture_webp');
      expect(await textures(lod.glb)).toEqual(await textures(glb));
    }
  });

  it('can express switch points as increasing distances', async () => {
    const { lodDescriptor } = await optimize(await toGlb(sphereDocument(64, 32)), { lods: [0.5, 0.25], lodSwitch: { measure: 'switchDistance' } });
    expect(lodDescriptor).toHaveLength(2);
    expect(lodDescriptor[0]!.screenCoverage).toBeUndefined();
    expect(lodDescriptor[0]!.switchDistance).toBeGreaterThan(0);
    expect(lodDescriptor[1]!.switchDistance).toBeGreaterThan(lodDescriptor[0]!.switchDistance!);
  });

  it('puts both measures at the same switch point under the players\' conversion (distance = radius / (tan(fov/2) × coverage))', async () => {
    const glb = await toGlb(sphereDocument(64, 32));
    const byCoverage = (await optimize(glb, { lods: [0.5, 0.25], lodSwitch: { fovDegrees: 50 } })).lodDescriptor;
    const byDistance = (await optimize(glb, { lods: [0.5, 0.25], lodSwitch: { measure: 'switchDistance', fovDegrees: 50 } })).lodDescriptor;
    // distance × coverage = radius / tan(fov/2): the same for every level.
    const products = byCoverage.map((entry, i) => entry.screenCoverage! * byDistance[i]!.switchDistance!);
    expect(products).toHaveLength(2);
    expect(products[1]).toBeCloseTo(products[0]!, 2);
  });

  it('never claims a ratio that was not reached: stalled levels are reported and left out of the descriptor', async () => {
    // A cube cannot be simplified within a small error: every level stays at 12 triangles.
    const { lods, lodDescriptor, report } = await optimize(await toGlb(cubeDocument()), { lods: [0.5, 0.25], lodError: 0.001 });
    expect(lods.map((l) => [l.triangles, l.achievedRatio, l.distinct])).toEqual([
      [12, 1, false],
      [12, 1, false],
    ]);
    expect(lodDescriptor).toEqual([]);
    expect(report.warnings).toHaveLength(2);
    expect(report.warnings[0]).toMatch(/^LOD 1 \(ratio 0\.5\) stalled at 12 triangles \(100\.0% of LOD0\)/);
  });

  it('makes no levels for a model without triangles (a point cloud), and says why instead of blaming the error bound', async () => {
    const doc = new Document();
    const buffer = doc.createBuffer();
    const positions = new Float32Array(3000).map((_, i) => Math.sin(i * 12.9898) * 0.5);
    const cloud = doc.createPrimitive().setMode(Primitive.Mode.POINTS!).setAttribute('POSITION', doc.createAccessor().setType('VEC3').setArray(positions).setBuffer(buffer));
    doc.createScene().addChild(doc.createNode('cloud').setMesh(doc.createMesh('cloud').addPrimitive(cloud)));
    const { glb, lods, lodDescriptor, report } = await optimize(await new NodeIO().writeBinary(doc), { lods: [0.5, 0.25] });
    expect(lods).toEqual([]);
    expect(lodDescriptor).toEqual([]);
    expect(report.warnings).toEqual(['no LOD levels made: the model draws no triangles (only points or lines), and LODs are made by simplifying triangles']);
    expect(glbJson(glb).meshes[0].primitives[0].mode).toBe(Primitive.Mode.POINTS);
  });

  it('warns about a level that stops well short of its ratio, and says how little it saves', async () => {
    // A sphere (simplifies) beside 40 copies of a cube (does not): half the triangles cannot go.
    const doc = sphereDocument();
    const data = cubeData();
    const buffer = doc.getRoot().listBuffers()[0]!;
    const accessor = (type: 'VEC3' | 'SCALAR', array: Float32Array | Uint32Array) => doc.createAccessor().setType(type).setArray(array).setBuffer(buffer);
    const cube = doc.createMesh('cube').addPrimitive(
      doc
        .createPrimitive()
        .setAttribute('POSITION', accessor('VEC3', new Float32Array(data.positions)))
        .setAttribute('NORMAL', accessor('VEC3', new Float32Array(data.normals)))
        .setIndices(accessor('SCALAR', new Uint32Array(data.indices))),
    );
    const scene = doc.getRoot().listScenes()[0]!;
    for (let i = 0; i < 40; i++) scene.addChild(doc.createNode(`cube_${i}`).setMesh(cube).setTranslation([i * 3, 5, 0]));
    const { lods, lodDescriptor, report } = await optimize(await toGlb(doc), { lods: [0.5, 0.25] });
    expect(report.after.triangles).toBe(SPHERE_TRIANGLES + 40 * 12);
    expect(lods.map((l) => [l.triangles, l.distinct])).toEqual([
      [SPHERE_TRIANGLES / 2 + 480, true],
      [SPHERE_TRIANGLES / 4 + 480, true],
    ]);
    expect(lodDescriptor).toHaveLength(2); // short of the ratio, still coarser: kept
    expect(report.warnings).toEqual([
      'LOD 1 (ratio 0.5) reached only 960 triangles (66.7% of LOD0) at the error bound 0.05, 480 triangles fewer than LOD 0; a larger error bound (lodError; kiln optimize --lod-error) may go further',
      'LOD 2 (ratio 0.25) reached only 720 triangles (50.0% of LOD0) at the error bound 0.05, 240 triangles fewer than LOD 1; a larger error bound (lodError; kiln optimize --lod-error) may go further',
    ]);
    // Levels that reach their ratio say nothing.
    expect((await optimize(await toGlb(sphereDocument(64, 32)), { lods: [0.5, 0.25] })).report.warnings).toEqual([]);
  });
});
