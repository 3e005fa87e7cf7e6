// Inputs at the edges of what glTF allows, where glTF Transform alone would write an invalid
// file, misread or refuse the input: scenes without nodes, GLBs without a BIN chunk, UV sets
// picked by KHR_texture_transform, unknown optional extensions, primitives without POSITION,
// textures without an image, and the resources a .gltf on disk names.
import { Document, NodeIO } from '@gltf-transform/core';
import { KHRMaterialsPBRSpecularGlossiness, KHRTextureTransform } from '@gltf-transform/extensions';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KilnValidationError, optimize, OptimizeError, readInputFile } from '../src/index.js';
import { editGlbJson } from '../src/glb.js';
import { drawImage, pbrDocument, SPHERE_TRIANGLES, sphereData, sphereDocument, toGlb, toGltfFiles } from './helpers/fixtures.js';
import { glbJson } from './helpers/read.js';

const encode = (json: object) => new TextEncoder().encode(JSON.stringify(json));

describe('scenes without nodes', () => {
  it('a material library (a scene with no nodes) stays valid: the output omits the empty nodes list', async () => {
    const gltf = encode({
      asset: { version: '2.0', generator: 'hand' },
      scene: 0,
      scenes: [{ name: 'library' }],
      materials: [
        { name: 'red paint', pbrMetallicRoughness: { baseColorFactor: [1, 0, 0, 1] } },
        { name: 'blue paint', pbrMetallicRoughness: { baseColorFactor: [0, 0, 1, 1] } },
      ],
    });
    const { glb, report } = await optimize({ gltf, resources: {} }, { validate: 'error' });
    const json = glbJson(glb);
    expect(json['scenes']).toEqual([{ name: 'library' }]);
    expect(json['scene']).toBe(0);
    expect(report.validation.before?.errors).toBe(0);
    expect(report.validation.after?.errors).toBe(0);
    expect(report.validation.added).toEqual([]);
  });

  it('flatten that leaves a scene empty writes a valid scene', async () => {
    const doc = new Document();
    const buffer = doc.createBuffer();
    const scene = doc.createScene('main');
    scene.addChild(doc.createNode()); // empty and unnamed: flatten drops it
    // A mesh outside every scene: prune drops it.
    const s = sphereData(8, 4);
    const prim = doc.createPrimitive().setAttribute('POSITION', doc.createAccessor().setType('VEC3').setArray(new Float32Array(s.positions)).setBuffer(buffer));
    doc.createNode('orphan').setMesh(doc.createMesh().addPrimitive(prim));
    const { glb, report } = await optimize(await toGlb(doc), { flatten: true, validate: 'error' });
    expect(glbJson(glb)['scenes']).toEqual([{ name: 'main' }]);
    expect(report.validation.added).toEqual([]);
  });
});

describe('GLB without a BIN chunk', () => {
  it('is read when its buffer declares no bytes (as glTF Transform writes an unused buffer), not called truncated', async () => {
    const doc = new Document();
    doc.createBuffer('unused');
    doc.createScene('sockets').addChild(doc.createNode('hand_socket').setTranslation([0, 1, 0]));
    const input = await toGlb(doc);
    expect(input.byteLength).toBe(20 + new DataView(input.buffer, input.byteOffset).getUint32(12, true)); // JSON chunk only
    const { glb, report } = await optimize(input);
    expect(glbJson(glb)['nodes']).toEqual([{ name: 'hand_socket', translation: [0, 1, 0] }]);
    expect(report.validation.added).toEqual([]);
  });
});

describe('pruneAttributes and KHR_texture_transform', () => {
  async function twoUvSets(override: boolean): Promise<Uint8Array> {
    const doc = new Document();
    const buffer = doc.createBuffer();
    const s = sphereData(16, 8);
    const prim = doc
      .createPrimitive()
      .setAttribute('POSITION', doc.createAccessor().setType('VEC3').setArray(new Float32Array(s.positions)).setBuffer(buffer))
      .setAttribute('NORMAL', doc.createAccessor().setType('VEC3').setArray(new Float32Array(s.normals)).setBuffer(buffer))
      .setAttribute('TEXCOORD_0', doc.createAccessor().setType('VEC2').setArray(new Float32Array(s.uvs)).setBuffer(buffer))
      .setAttribute('TEXCOORD_1', doc.createAccessor().setType('VEC2').setArray(new Float32Array(s.uvs.map((v) => v * 0.5))).setBuffer(buffer))
      .setIndices(doc.createAccessor().setType('SCALAR').setArray(new Uint16Array(s.indices)).setBuffer(buffer));
    const texture = doc.createTexture('color').setImage(await drawImage(32, 32, 'color')).setMimeType('image/png');
    const material = doc.createMaterial('m').setBaseColorTexture(texture);
    const transform = doc.createExtension(KHRTextureTransform).createTransform().setScale([2, 2]);
    if (override) transform.setTexCoord(1);
    material.getBaseColorTextureInfo()?.setExtension('KHR_texture_transform', transform);
    prim.setMaterial(material);
    doc.createScene().addChild(doc.createNode('sphere').setMesh(doc.createMesh().addPrimitive(prim)));
    return toGlb(doc);
  }
  const semantics = (glb: Uint8Array) => Object.keys(glbJson(glb)['meshes'][0].primitives[0].attributes).sort();

  it('keeps the UV set a texture transform picks with texCoord, and says why every attribute stayed', async () => {
    const { glb, report } = await optimize(await twoUvSets(true), { pruneAttributes: true, validate: 'error' });
    expect(semantics(glb)).toEqual(['NORMAL', 'POSITION', 'TEXCOORD_0', 'TEXCOORD_1']);
    expect(glbJson(glb)['materials'][0].pbrMetallicRoughness.baseColorTexture.extensions.KHR_texture_transform.texCoord).toBe(1);
    expect(report.validation.added).toEqual([]);
    expect(report.warnings).toContainEqual(expect.stringMatching(/^pruneAttributes: kept every vertex attribute, as a KHR_texture_transform picks its own texCoord/));
  });

  it('still drops the unused UV set when no texture transform overrides texCoord', async () => {
    const { glb, report } = await optimize(await twoUvSets(false), { pruneAttributes: true, validate: 'error' });
    expect(semantics(glb)).toEqual(['NORMAL', 'POSITION', 'TEXCOORD_0']);
    expect(report.warnings.filter((w) => w.startsWith('pruneAttributes'))).toEqual([]);
  });
});

describe('optional extensions glTF Transform does not know', () => {
  it('are named in a warning and in extensionsBefore, not dropped silently', async () => {
    const input = editGlbJson<Record<string, any>>(await toGlb(sphereDocument()), (json) => {
      json['extensionsUsed'] = ['VENDOR_gameplay', 'EXT_lights_image_based'];
      json['nodes'][0].extensions = { VENDOR_gameplay: { hitPoints: 10 } };
      json['extensions'] = { EXT_lights_image_based: { lights: [] } };
    });
    const { glb, report } = await optimize(input);
    expect(report.extensionsBefore).toEqual(['EXT_lights_image_based', 'VENDOR_gameplay']);
    expect(report.warnings).toContain('optional extensions EXT_lights_image_based, VENDOR_gameplay dropped: glTF Transform cannot carry them (the output leaves their data out)');
    expect(glbJson(glb)['extensionsUsed']).not.toContain('VENDOR_gameplay');
    expect(report.validation.added).toEqual([]);
  });
});

describe('KHR_materials_pbrSpecularGlossiness', () => {
  it('is kept, with a warning that three.js no longer reads it', async () => {
    const doc = sphereDocument();
    const specGloss = doc.createExtension(KHRMaterialsPBRSpecularGlossiness);
    const material = doc.getRoot().listMaterials()[0]!;
    material.setExtension('KHR_materials_pbrSpecularGlossiness', specGloss.createPBRSpecularGlossiness().setDiffuseFactor([0.8, 0.1, 0.1, 1]).setGlossinessFactor(0.6));
    const { glb, report } = await optimize(await new NodeIO().registerExtensions([KHRMaterialsPBRSpecularGlossiness]).writeBinary(doc));
    expect(report.warnings.filter((w) => w.startsWith('KHR_materials_pbrSpecularGlossiness (archived by Khronos) is kept, but three.js r147'))).toHaveLength(1);
    expect(glbJson(glb)['materials'][0].extensions?.KHR_materials_pbrSpecularGlossiness).toMatchObject({ glossinessFactor: 0.6 });
    const plain = await optimize(await toGlb(sphereDocument()));
    expect(plain.report.warnings.join()).not.toContain('SpecularGlossiness');
  });
});

describe('an input that fails validation', () => {
  it('is optimized with a warning that names its errors and says the compressed output cannot show them', async () => {
    // NaN vertices: glTF Transform reads them, and behind meshopt the output validates clean.
    const doc = sphereDocument();
    const position = doc.getRoot().listMeshes()[0]!.listPrimitives()[0]!.getAttribute('POSITION')!;
    const array = position.getArray()!.slice();
    array.fill(Number.NaN, 0, 6);
    position.setArray(array);
    const { report } = await optimize(await toGlb(doc));
    expect(report.validation.before?.codes['ACCESSOR_INVALID_FLOAT']?.count).toBe(6);
    expect(report.validation.after?.errors).toBe(0);
    const warnings = report.warnings.filter((w) => w.startsWith('the input has'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^the input has \d+ validator errors \(ACCESSOR_INVALID_FLOAT ×6, .*; first: \/accessors\/\d+: Accessor element at index 0 is NaN \[ACCESSOR_INVALID_FLOAT\]\): Kiln does not repair invalid input/);
    expect(warnings[0]).toContain('inside meshopt or Draco buffers');
    // Uncompressed, the output's own validation shows what was carried: no claim about buffers.
    const plain = await optimize(await toGlb(doc), { geometry: 'none' });
    expect(plain.report.validation.after?.codes['ACCESSOR_INVALID_FLOAT']?.count).toBeGreaterThan(0);
    expect(plain.report.warnings.find((w) => w.startsWith('the input has'))).not.toContain('meshopt');
    // A valid input says nothing of the kind.
    expect((await optimize(await toGlb(sphereDocument()))).report.warnings).toEqual([]);
  });

  it("is refused with validate: 'strict', naming its errors; a valid input passes", async () => {
    const doc = sphereDocument();
    const position = doc.getRoot().listMeshes()[0]!.listPrimitives()[0]!.getAttribute('POSITION')!;
    position.setArray(position.getArray()!.slice().fill(Number.NaN, 0, 3));
    const error = await optimize(await toGlb(doc), { validate: 'strict' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OptimizeError);
    expect((error as OptimizeError).code).toBe('invalid_gltf');
    expect((error as OptimizeError).message).toMatch(/^invalid glTF: the input has \d+ validator errors \(ACCESSOR_INVALID_FLOAT ×3, .*\) \(validate: 'strict', --validate strict, refuses invalid input\)$/);
    const valid = await optimize(await toGlb(sphereDocument()), { validate: 'strict' });
    expect(valid.report.validation.after?.errors).toBe(0);
  });
});

describe('mesh primitives without POSITION', () => {
  // Valid glTF (clients skip them when drawing), on which glTF Transform's weld fails with a bare
  // TypeError: dropped with a warning, and a mesh they leave empty goes with them.
  const withPositionless = async () =>
    editGlbJson<Record<string, any>>(await toGlb(sphereDocument()), (json) => {
      const normal = json['meshes'][0].primitives[0].attributes.NORMAL;
      json['meshes'][0].primitives.push({ attributes: { NORMAL: normal } });
      json['meshes'].push({ name: 'ghost', primitives: [{ attributes: { NORMAL: normal }, extras: { note: 'never drawn' } }] });
      json['nodes'].push({ name: 'ghost node', mesh: json['meshes'].length - 1 });
      json['scenes'][0].nodes.push(json['nodes'].length - 1);
    });

  it.each(['meshopt', 'draco', 'none'] as const)('are dropped with a warning (geometry %s)', async (geometry) => {
    const { glb, report } = await optimize(await withPositionless(), { geometry, validate: 'error' });
    expect(report.warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^mesh "?\w+"?: 1 primitive without POSITION dropped \(clients do not draw one; glTF Transform cannot process it\)$/),
        'mesh "ghost": 1 primitive without POSITION dropped (clients do not draw one; glTF Transform cannot process it), and the mesh with them',
      ]),
    );
    const json = glbJson(glb);
    expect(json['meshes']).toHaveLength(1);
    expect(json['meshes'][0].primitives).toHaveLength(1);
    expect(json['nodes'].find((node: { name?: string }) => node.name === 'ghost node')).toEqual({ name: 'ghost node' });
    expect(report.after.triangles).toBe(SPHERE_TRIANGLES);
    expect(report.validation.added).toEqual([]);
  });

  it('are dropped from a Document input too', async () => {
    const doc = sphereDocument();
    const normal = doc.getRoot().listMeshes()[0]!.listPrimitives()[0]!.getAttribute('NORMAL')!;
    doc.getRoot().listMeshes()[0]!.addPrimitive(doc.createPrimitive().setAttribute('NORMAL', normal));
    const { report } = await optimize(doc, { validate: 'error' });
    expect(report.warnings.filter((w) => w.includes('without POSITION'))).toHaveLength(1);
    expect(report.after.triangles).toBe(SPHERE_TRIANGLES);
    expect(doc.getRoot().listMeshes()[0]!.listPrimitives(), 'the caller\'s Document is left alone').toHaveLength(2);
  });
});

describe('a texture without an image', () => {
  it('is unhooked from the materials that use it, with a warning, instead of failing inside glTF Transform', async () => {
    const files = await toGltfFiles(await pbrDocument(32, 32));
    const json = JSON.parse(new TextDecoder().decode(files.gltf));
    const sampler = json.textures[0].sampler;
    json.textures[0] = sampler === undefined ? {} : { sampler }; // valid glTF: `source` is optional
    json.materials[0].extras = { atlas: { index: 0 } }; // looks like a textureInfo, is game data
    const { glb, report } = await optimize({ gltf: json, resources: files.resources }, { validate: 'error' });
    expect(report.warnings).toContain('textures.0 has no image (no source, and no extension that supplies one): removed from 1 material slot');
    expect(report.validation.added).toEqual([]);
    expect(glbJson(glb)['textures']).toHaveLength(json.textures.length - 1);
    expect(glbJson(glb)['materials'][0].extras).toEqual({ atlas: { index: 0 } });
  });
});

describe('several buffers', () => {
  /** The sphere with its indices moved to a second buffer (a .gltf may name several .bin files). */
  function twoBufferSphere() {
    const doc = sphereDocument();
    const second = doc.createBuffer('indices');
    doc.getRoot().listMeshes()[0]!.listPrimitives()[0]!.getIndices()!.setBuffer(second);
    return doc;
  }

  it('a .gltf with two .bin files comes out as one GLB (which allows one buffer)', async () => {
    const files = await toGltfFiles(twoBufferSphere());
    expect(JSON.parse(new TextDecoder().decode(files.gltf)).buffers).toHaveLength(2);
    for (const geometry of ['meshopt', 'draco', 'none'] as const) {
      const { glb, report } = await optimize(files, { geometry, lods: [0.5] });
      expect(glbJson(glb)['buffers']).toHaveLength(geometry === 'meshopt' ? 2 : 1); // meshopt adds its fallback buffer
      expect(report.after.triangles).toBe(SPHERE_TRIANGLES);
      expect(report.validation.after).toMatchObject({ errors: 0, warnings: 0 });
    }
  });

  it('a Document with two buffers is written, and the caller\'s Document keeps both', async () => {
    const doc = twoBufferSphere();
    const { report } = await optimize(doc, { geometry: 'none' });
    expect(report.after.triangles).toBe(SPHERE_TRIANGLES);
    expect(report.before.bytes).toBeGreaterThan(0);
    expect(doc.getRoot().listBuffers()).toHaveLength(2);
  });
});

describe('readInputFile: resources of a .gltf (or .glb) on disk', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiln-read-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Writes the sphere as `<name>.gltf` whose buffer URI is `uri`, the buffer itself at `file`. */
  async function sphereWithBufferAt(name: string, uri: string, file: string): Promise<string> {
    const files = await toGltfFiles(sphereDocument());
    const json = JSON.parse(new TextDecoder().decode(files.gltf));
    const data = files.resources[json.buffers[0].uri] as Uint8Array;
    json.buffers[0].uri = uri;
    await mkdir(join(dir, name), { recursive: true });
    await mkdir(dirname(join(dir, name, file)), { recursive: true });
    await writeFile(join(dir, name, file), data);
    await writeFile(join(dir, name, 'model.gltf'), JSON.stringify(json));
    return join(dir, name, 'model.gltf');
  }

  it('reads percent-encoded names and Windows backslash paths', async () => {
    const encoded = await readInputFile(await sphereWithBufferAt('encoded', 'geometry/my%20sphere.bin', 'geometry/my sphere.bin'));
    expect((await optimize(encoded)).report.after.triangles).toBe(SPHERE_TRIANGLES);
    const backslash = await readInputFile(await sphereWithBufferAt('windows', 'geometry\\sphere.bin', 'geometry/sphere.bin'));
    expect((await optimize(backslash)).report.after.triangles).toBe(SPHERE_TRIANGLES);
  });

  it('checks its arguments, and a file that cannot be read is a typed error', async () => {
    const bad = await readInputFile('', { root: 3 as never, depth: 1 } as never).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(KilnValidationError);
    expect((bad as KilnValidationError).message).toMatch(/^readInputFile: invalid input: .*path: must be a file path/);
    expect((bad as KilnValidationError).message).toMatch(/options\.root/);
    const missing = await readInputFile(join(dir, 'nowhere.glb')).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(OptimizeError);
    expect((missing as OptimizeError).code).toBe('missing_resource');
    expect((missing as OptimizeError).message).toMatch(/^cannot read .*nowhere\.glb: ENOENT/);
  });

  it('refuses a URL with a message that says why', async () => {
    const path = await sphereWithBufferAt('remote', 'https://cdn.example.com/sphere.bin', 'unused.bin');
    const error = await readInputFile(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OptimizeError);
    expect((error as OptimizeError).code).toBe('missing_resource');
    expect((error as OptimizeError).message).toBe('external resource "https://cdn.example.com/sphere.bin" is a URL: only files beside the glTF are read (download it there and name it by a relative path)');
  });

  it('with root, refuses a path outside it; without, reads a shared folder next to the model', async () => {
    const path = await sphereWithBufferAt('library/chair', '../shared/sphere.bin', '../shared/sphere.bin');
    expect((await optimize(await readInputFile(path))).report.after.triangles).toBe(SPHERE_TRIANGLES);
    expect((await optimize(await readInputFile(path, { root: join(dir, 'library') }))).report.after.triangles).toBe(SPHERE_TRIANGLES);
    // A name that merely starts with two dots is inside.
    const dotted = await sphereWithBufferAt('dotted', '..sphere.bin', '..sphere.bin');
    expect((await optimize(await readInputFile(dotted, { root: join(dir, 'dotted') }))).report.after.triangles).toBe(SPHERE_TRIANGLES);
    const error = await readInputFile(path, { root: join(dir, 'library', 'chair') }).catch((e: unknown) => e);
    expect((error as OptimizeError).code).toBe('missing_resource');
    expect((error as OptimizeError).message).toBe(`external resource "../shared/sphere.bin" resolves outside ${join(dir, 'library', 'chair')} (${join(dir, 'library', 'shared', 'sphere.bin')}): refused`);
  });

  it('reads the files a GLB names beside it (the spec allows it), and returns a self-contained GLB as bytes', async () => {
    const files = await toGltfFiles(await pbrDocument(32, 32));
    const png = Object.keys(files.resources).find((uri) => uri.endsWith('.png')) as string;
    let moved = '';
    const glb = editGlbJson<Record<string, any>>(await toGlb(await pbrDocument(32, 32)), (json) => {
      const image = json['images'].find((i: { name?: string }) => png.startsWith(i.name ?? '\0'));
      moved = `textures/${image.name}.png`;
      delete image.bufferView;
      delete image.mimeType;
      image.uri = moved;
    });
    await mkdir(join(dir, 'glb', 'textures'), { recursive: true });
    await writeFile(join(dir, 'glb', moved), files.resources[png] as Uint8Array);
    await writeFile(join(dir, 'glb', 'model.glb'), glb);
    const input = await readInputFile(join(dir, 'glb', 'model.glb'));
    expect(input).toMatchObject({ resources: { [moved]: files.resources[png] } });
    const { report } = await optimize(input, { validate: 'error' });
    expect(report.textureReports).toHaveLength(files.gltf && JSON.parse(new TextDecoder().decode(files.gltf)).textures.length);
    expect(report.validation.added).toEqual([]);
    // Nothing outside: the bytes themselves, as before.
    await writeFile(join(dir, 'glb', 'plain.glb'), await toGlb(sphereDocument()));
    expect(await readInputFile(join(dir, 'glb', 'plain.glb'))).toBeInstanceOf(Uint8Array);
  });
});
