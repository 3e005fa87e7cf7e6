import { describe, expect, it } from 'vitest';
import { NodeIO } from '@gltf-transform/core';
import { ALL_EXTENSIONS } from '@gltf-transform/extensions';
import { MeshoptEncoder } from 'meshoptimizer';
import sharp from 'sharp';
import { countTriangles, formatReport, optimize, presetTransforms, PRESETS, readInputFile } from '../src/index.js';
import { cubeDocument, pbrDocument, SPHERE_TRIANGLES, sphereDocument, toGlb, toGltfFiles } from './helpers/fixtures.js';
import { glbJson, readGlb } from './helpers/read.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('optimize: lossless default', () => {
  it('welds, quantizes and meshopt-compresses a sphere without changing its triangles', async () => {
    const input = await toGlb(sphereDocument());
    const { glb, report, lods } = await optimize(input, { name: 'sphere.glb' });

    const json = glbJson(glb);
    expect(json['extensionsUsed']).toEqual(expect.arrayContaining(['EXT_meshopt_compression', 'KHR_mesh_quantization']));
    expect(json['extensionsRequired']).toEqual(expect.arrayContaining(['EXT_meshopt_compression', 'KHR_mesh_quantization']));
    expect(json['buffers']).toHaveLength(2); // the GLB buffer and meshopt's fallback buffer, both embedded
    expect(json['buffers'].every((b: { uri?: string }) => b.uri === undefined)).toBe(true);

    expect(report.before.triangles).toBe(SPHERE_TRIANGLES);
    expect(report.after.triangles).toBe(SPHERE_TRIANGLES);
    expect(countTriangles(await readGlb(glb))).toBe(SPHERE_TRIANGLES);
    expect(report.after.bytes).toBe(glb.byteLength);
    expect(report.after.bytes).toBeLessThan(report.before.bytes / 2);
    expect(report.budget).toBeNull();
    expect(lods).toEqual([]);

    expect(report.validation.before).toMatchObject({ errors: 0, warnings: 0 });
    expect(report.validation.after).toMatchObject({ errors: 0, warnings: 0 });
    expect(report.validation.added).toEqual([]);
    expect(report.warnings).toEqual([]);
    expect(report.stages.map((s) => s.stage)).toEqual([
      'validate-input',
      'read',
      'dedup',
      'prune',
      'textures', // starts here and runs alongside weld … geometry
      'weld',
      'resample',
      'geometry',
      'write',
      'validate-output',
    ]);
    expect(report.stages.every((s) => s.ms >= 0 && s.triangles === SPHERE_TRIANGLES || s.stage === 'validate-input')).toBe(true);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('writes Draco when asked (KHR_draco_mesh_compression, no meshopt)', async () => {
    const { glb, report } = await optimize(await toGlb(sphereDocument()), { geometry: 'draco' });
    const json = glbJson(glb);
    expect(json['extensionsRequired']).toContain('KHR_draco_mesh_compression');
    expect(json['extensionsUsed']).not.toContain('EXT_meshopt_compression');
    expect(countTriangles(await readGlb(glb))).toBe(SPHERE_TRIANGLES);
    expect(report.validation.added).toEqual([]);
  });

  it('leaves geometry uncompressed with geometry: none', async () => {
    const { glb } = await optimize(await toGlb(cubeDocument()), { geometry: 'none' });
    const json = glbJson(glb);
    expect(json['extensionsUsed'] ?? []).toEqual([]);
    expect(countTriangles(await readGlb(glb))).toBe(12);
  });

  it('reads a .gltf with external resources and a Document, and leaves the Document unchanged', async () => {
    const files = await toGltfFiles(sphereDocument());
    expect(Object.keys(files.resources).length).toBeGreaterThan(0);
    const fromFiles = await optimize(files);
    expect(fromFiles.report.after.triangles).toBe(SPHERE_TRIANGLES);
    expect(fromFiles.report.before.bytes).toBe(files.gltf.byteLength + Object.values(files.resources).reduce((n, r) => n + r.byteLength, 0));

    const doc = sphereDocument();
    const accessors = doc.getRoot().listAccessors().length;
    const fromDocument = await optimize(doc);
    expect(fromDocument.report.after.triangles).toBe(SPHERE_TRIANGLES);
    // `before` is the Document written as a GLB, with or without the validator (which shares that write).
    const asGlb = (await toGlb(doc)).byteLength;
    expect(fromDocument.report.before.bytes).toBe(asGlb);
    expect(fromDocument.report.validation.before).toMatchObject({ errors: 0, warnings: 0 });
    expect((await optimize(doc, { validate: 'off' })).report.before.bytes).toBe(asGlb);
    expect(doc.getRoot().listAccessors()).toHaveLength(accessors);
    expect(doc.getRoot().listExtensionsUsed()).toEqual([]);
  });

  it('reads .glb and .gltf files from disk (readInputFile)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kiln-optimize-'));
    try {
      const files = await toGltfFiles(sphereDocument());
      await writeFile(join(dir, 'sphere.gltf'), files.gltf);
      for (const [uri, data] of Object.entries(files.resources)) await writeFile(join(dir, uri), data);
      await writeFile(join(dir, 'cube.glb'), await toGlb(cubeDocument()));
      const gltf = await readInputFile(join(dir, 'sphere.gltf'));
      expect((await optimize(gltf)).report.after.triangles).toBe(SPHERE_TRIANGLES);
      const glb = await readInputFile(join(dir, 'cube.glb'));
      expect(glb).toBeInstanceOf(Uint8Array);
      expect((await optimize(glb)).report.after.triangles).toBe(12);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps vertex attributes no material uses, unless pruneAttributes', async () => {
    // The sphere has UVs and tangents but an untextured material.
    const kept = await readGlb((await optimize(await toGlb(sphereDocument()))).glb);
    const prim = (doc: typeof kept) => doc.getRoot().listMeshes()[0]!.listPrimitives()[0]!;
    expect(prim(kept).listSemantics().sort()).toEqual(['NORMAL', 'POSITION', 'TANGENT', 'TEXCOORD_0']);
    const pruned = await optimize(await toGlb(sphereDocument()), { pruneAttributes: true });
    expect(prim(await readGlb(pruned.glb)).listSemantics().sort()).toEqual(['NORMAL', 'POSITION']);
    expect(pruned.report.after.triangles).toBe(SPHERE_TRIANGLES);
  });

  it('formats the report as a table', async () => {
    const { report } = await optimize(await toGlb(sphereDocument()), { name: 'sphere.glb' });
    const text = formatReport(report);
    expect(text).toMatch(/^sphere\.glb: preset none, geometry meshopt, textures webp/);
    expect(text).toMatch(/triangles\s+960\s+960\s+100\.0%/);
    expect(text).toMatch(/validator\s+0 err, 0 warn\s+0 err, 0 warn\s+nothing added/);
  });
});

describe('presets', () => {
  it('match the request platforms with size caps 1024 / 2048 / 4096 / 2048', () => {
    expect(Object.keys(PRESETS).sort()).toEqual(['console', 'mobile', 'pc', 'web']);
    expect(PRESETS.mobile).toEqual({ maxTextureSize: 1024, textures: 'ktx2', geometry: 'meshopt' });
    expect(PRESETS.pc.maxTextureSize).toBe(2048);
    expect(PRESETS.console.maxTextureSize).toBe(4096);
    expect(PRESETS.web).toEqual({ maxTextureSize: 2048, textures: 'webp', geometry: 'meshopt' });
  });

  it('are overridden by explicit options', async () => {
    const { report } = await optimize(await toGlb(cubeDocument()), { preset: 'web', geometry: 'draco' });
    expect(report.preset).toBe('web');
    expect(report.geometry).toBe('draco');
    expect(report.textures).toBe('webp');
  });
});

describe('presets as arrays of transforms', () => {
  it('spread into document.transform() for use with glTF Transform directly', async () => {
    await MeshoptEncoder.ready;
    const doc = await pbrDocument(32, 32);
    const transforms = presetTransforms('web', { sharp, meshoptEncoder: MeshoptEncoder });
    expect(transforms.map((t) => t.name)).toEqual(['dedup', 'prune', 'weld', 'resample', 'textures', 'meshopt']);
    await doc.transform(...transforms);
    expect(doc.getRoot().listTextures().every((t) => t.getMimeType() === 'image/webp')).toBe(true);
    const io = new NodeIO().registerExtensions(ALL_EXTENSIONS).registerDependencies({ 'meshopt.encoder': MeshoptEncoder });
    const json = glbJson(await io.writeBinary(doc));
    expect(json['extensionsRequired']).toEqual(expect.arrayContaining(['EXT_meshopt_compression', 'EXT_texture_webp', 'KHR_mesh_quantization']));
  });
});
