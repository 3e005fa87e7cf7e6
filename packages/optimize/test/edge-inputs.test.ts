// Inputs at the edges of what glTF allows, where glTF Transform alone would write an invalid
// file or misread the input: scenes without nodes, GLBs without a BIN chunk, and UV sets picked
// by KHR_texture_transform.
import { Document } from '@gltf-transform/core';
import { KHRTextureTransform } from '@gltf-transform/extensions';
import { describe, expect, it } from 'vitest';
import { optimize } from '../src/index.js';
import { editGlbJson } from '../src/write-glb.js';
import { drawImage, sphereData, sphereDocument, toGlb } from './helpers/fixtures.js';
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
