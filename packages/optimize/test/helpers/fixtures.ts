// Test models made in code: a cube, a UV sphere, a skinned mesh with an animation, a morph
// target, and a textured PBR model that uses every texture slot (textures drawn with sharp).
import { Document, Format, NodeIO, type Material, type Texture } from '@gltf-transform/core';
import { EXTTextureWebP, KHRMaterialsClearcoat, KHRMaterialsEmissiveStrength, KHRTextureTransform } from '@gltf-transform/extensions';
import sharp from 'sharp';

function newDocument(name: string): Document {
  const doc = new Document();
  doc.setLogger({ debug() {}, info() {}, warn() {}, error() {} } as never);
  doc.getRoot().getAsset().generator = 'kiln-test-fixtures';
  doc.createBuffer(name);
  doc.createScene(name);
  return doc;
}

function buffer(doc: Document) {
  return doc.getRoot().listBuffers()[0];
}

function scene(doc: Document) {
  return doc.getRoot().listScenes()[0]!;
}

/** Adds a triangle mesh on a new root node; returns the node. */
function addMesh(
  doc: Document,
  name: string,
  data: { positions: number[]; normals: number[]; uvs?: number[]; tangents?: number[]; indices: number[] },
  material?: Material,
) {
  const buf = buffer(doc);
  const prim = doc
    .createPrimitive()
    .setAttribute('POSITION', doc.createAccessor(`${name}_position`).setType('VEC3').setArray(new Float32Array(data.positions)).setBuffer(buf ?? null))
    .setAttribute('NORMAL', doc.createAccessor(`${name}_normal`).setType('VEC3').setArray(new Float32Array(data.normals)).setBuffer(buf ?? null))
    .setIndices(doc.createAccessor(`${name}_indices`).setType('SCALAR').setArray(new Uint32Array(data.indices)).setBuffer(buf ?? null));
  if (data.tangents) prim.setAttribute('TANGENT', doc.createAccessor(`${name}_tangent`).setType('VEC4').setArray(new Float32Array(data.tangents)).setBuffer(buf ?? null));
  if (data.uvs) prim.setAttribute('TEXCOORD_0', doc.createAccessor(`${name}_uv`).setType('VEC2').setArray(new Float32Array(data.uvs)).setBuffer(buf ?? null));
  if (material) prim.setMaterial(material);
  const mesh = doc.createMesh(name).addPrimitive(prim);
  const node = doc.createNode(name).setMesh(mesh);
  scene(doc).addChild(node);
  return node;
}

/** 24 vertices, 12 triangles, unit cube centred at the origin. */
export function cubeData() {
  const positions: number[] = [];
  const normals: number[] = [];
  const uvs: number[] = [];
  const indices: number[] = [];
  const faces: [number[], number[], number[]][] = [
    [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
    [[-1, 0, 0], [0, 1, 0], [0, 0, -1]],
    [[0, 1, 0], [0, 0, 1], [1, 0, 0]],
    [[0, -1, 0], [0, 0, -1], [1, 0, 0]],
    [[0, 0, 1], [1, 0, 0], [0, 1, 0]],
    [[0, 0, -1], [-1, 0, 0], [0, 1, 0]],
  ];
  for (const [n, u, v] of faces) {
    const base = positions.length / 3;
    for (const [a, b] of [[-1, -1], [1, -1], [1, 1], [-1, 1]] as const) {
      positions.push(0.5 * (n[0]! + a * u[0]! + b * v[0]!), 0.5 * (n[1]! + a * u[1]! + b * v[1]!), 0.5 * (n[2]! + a * u[2]! + b * v[2]!));
      normals.push(n[0]!, n[1]!, n[2]!);
      uvs.push((a + 1) / 2, (1 - b) / 2);
    }
    indices.push(base, base + 1, base + 2, base, base + 2, base + 3);
  }
  return { positions, normals, uvs, indices };
}

/** UV sphere: `segments × (rings − 1) × 2` triangles (no degenerate pole triangles). */
export function sphereData(segments = 32, rings = 16, radius = 1) {
  const positions: number[] = [];
  const normals: number[] = [];
  const uvs: number[] = [];
  const tangents: number[] = [];
  const indices: number[] = [];
  for (let r = 0; r <= rings; r++) {
    const theta = (r / rings) * Math.PI;
    for (let s = 0; s <= segments; s++) {
      const phi = (s / segments) * Math.PI * 2;
      const x = Math.sin(theta) * Math.cos(phi);
      const y = Math.cos(theta);
      const z = Math.sin(theta) * Math.sin(phi);
      positions.push(x * radius, y * radius, z * radius);
      normals.push(x, y, z);
      uvs.push(s / segments, r / rings);
      // d(position)/du, orthogonal to the normal: the direction of increasing phi.
      tangents.push(-Math.sin(phi), 0, Math.cos(phi), -1);
    }
  }
  const row = segments + 1;
  for (let r = 0; r < rings; r++) {
    for (let s = 0; s < segments; s++) {
      const a = r * row + s;
      const b = a + row;
      if (r !== 0) indices.push(a, b, a + 1);
      if (r !== rings - 1) indices.push(a + 1, b, b + 1);
    }
  }
  return { positions, normals, uvs, tangents, indices };
}

export const SPHERE_TRIANGLES = 32 * 15 * 2;

export function cubeDocument(): Document {
  const doc = newDocument('cube');
  const material = doc.createMaterial('cube_material').setBaseColorFactor([0.8, 0.2, 0.2, 1]);
  addMesh(doc, 'cube', cubeData(), material);
  return doc;
}

export function sphereDocument(segments = 32, rings = 16): Document {
  const doc = newDocument('sphere');
  const material = doc.createMaterial('sphere_material').setRoughnessFactor(0.4);
  addMesh(doc, 'sphere', sphereData(segments, rings), material);
  return doc;
}

/**
 * A column of 8 stacked cube segments skinned to two joints, with a 2 s animation bending the
 * upper joint (baked at 30 fps, so resample has redundant keyframes to drop). Named, with extras.
 */
export function skinnedDocument(): Document {
  const doc = newDocument('skinned');
  const buf = buffer(doc) ?? null;
  const seg = cubeData();
  const positions: number[] = [];
  const normals: number[] = [];
  const indices: number[] = [];
  const joints: number[] = [];
  const weights: number[] = [];
  const SEGMENTS = 8;
  for (let i = 0; i < SEGMENTS; i++) {
    const base = positions.length / 3;
    for (let v = 0; v < seg.positions.length / 3; v++) {
      const x = seg.positions[v * 3]! * 0.4;
      const y = (seg.positions[v * 3 + 1]! + 0.5 + i) * 0.25;
      const z = seg.positions[v * 3 + 2]! * 0.4;
      positions.push(x, y, z);
      normals.push(seg.normals[v * 3]!, seg.normals[v * 3 + 1]!, seg.normals[v * 3 + 2]!);
      const w = Math.min(1, Math.max(0, y - 0.5) / 1.5);
      joints.push(0, w > 0 ? 1 : 0, 0, 0);
      weights.push(1 - w, w, 0, 0);
    }
    for (const index of seg.indices) indices.push(base + index);
  }
  const prim = doc
    .createPrimitive()
    .setAttribute('POSITION', doc.createAccessor('column_position').setType('VEC3').setArray(new Float32Array(positions)).setBuffer(buf))
    .setAttribute('NORMAL', doc.createAccessor('column_normal').setType('VEC3').setArray(new Float32Array(normals)).setBuffer(buf))
    .setAttribute('JOINTS_0', doc.createAccessor('column_joints').setType('VEC4').setArray(new Uint8Array(joints)).setBuffer(buf))
    .setAttribute('WEIGHTS_0', doc.createAccessor('column_weights').setType('VEC4').setArray(new Float32Array(weights)).setBuffer(buf))
    .setIndices(doc.createAccessor('column_indices').setType('SCALAR').setArray(new Uint16Array(indices)).setBuffer(buf))
    .setMaterial(doc.createMaterial('column_material'));
  const mesh = doc.createMesh('column').addPrimitive(prim);

  const root = doc.createNode('joint_root').setExtras({ bone: 'root' });
  const upper = doc.createNode('joint_upper').setTranslation([0, 1, 0]);
  root.addChild(upper);
  const socket = doc.createNode('socket_hand').setTranslation([0, 1, 0]).setExtras({ attach: 'weapon' });
  upper.addChild(socket);
  const ibm = new Float32Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, -1, 0, 1]);
  const skin = doc
    .createSkin('column_skin')
    .addJoint(root)
    .addJoint(upper)
    .setSkeleton(root)
    .setInverseBindMatrices(doc.createAccessor('column_ibm').setType('MAT4').setArray(ibm).setBuffer(buf));
  const skinned = doc.createNode('column').setMesh(mesh).setSkin(skin).setExtras({ lodGroup: 'column' });
  scene(doc).addChild(root).addChild(skinned);

  const FRAMES = 61;
  const times = new Float32Array(FRAMES);
  const rotations = new Float32Array(FRAMES * 4);
  for (let f = 0; f < FRAMES; f++) {
    times[f] = f / 30;
    // Hold still for the first half second (redundant keys), then bend around Z.
    const angle = f < 15 ? 0 : Math.sin(((f - 15) / 45) * Math.PI) * 0.6;
    rotations.set([0, 0, Math.sin(angle / 2), Math.cos(angle / 2)], f * 4);
  }
  const sampler = doc
    .createAnimationSampler()
    .setInput(doc.createAccessor('bend_time').setType('SCALAR').setArray(times).setBuffer(buf))
    .setOutput(doc.createAccessor('bend_rotation').setType('VEC4').setArray(rotations).setBuffer(buf))
    .setInterpolation('LINEAR');
  const channel = doc.createAnimationChannel().setTargetNode(upper).setTargetPath('rotation').setSampler(sampler);
  doc.createAnimation('bend').addSampler(sampler).addChannel(channel).setExtras({ loop: true });
  return doc;
}

/** A 16 × 16 grid with one morph target ("bulge") and an animation of its weight. */
export function morphDocument(): Document {
  const doc = newDocument('morph');
  const buf = buffer(doc) ?? null;
  const N = 16;
  const positions: number[] = [];
  const normals: number[] = [];
  const deltas: number[] = [];
  const indices: number[] = [];
  for (let y = 0; y <= N; y++) {
    for (let x = 0; x <= N; x++) {
      const u = x / N - 0.5;
      const v = y / N - 0.5;
      positions.push(u, 0, v);
      normals.push(0, 1, 0);
      deltas.push(0, Math.max(0, 0.25 - (u * u + v * v)) * 2, 0);
    }
  }
  for (let y = 0; y < N; y++) {
    for (let x = 0; x < N; x++) {
      const a = y * (N + 1) + x;
      indices.push(a, a + N + 1, a + 1, a + 1, a + N + 1, a + N + 2);
    }
  }
  const target = doc.createPrimitiveTarget('bulge').setAttribute('POSITION', doc.createAccessor('bulge_position').setType('VEC3').setArray(new Float32Array(deltas)).setBuffer(buf));
  const prim = doc
    .createPrimitive()
    .setAttribute('POSITION', doc.createAccessor('grid_position').setType('VEC3').setArray(new Float32Array(positions)).setBuffer(buf))
    .setAttribute('NORMAL', doc.createAccessor('grid_normal').setType('VEC3').setArray(new Float32Array(normals)).setBuffer(buf))
    .setIndices(doc.createAccessor('grid_indices').setType('SCALAR').setArray(new Uint16Array(indices)).setBuffer(buf))
    .addTarget(target)
    .setMaterial(doc.createMaterial('grid_material'));
  const mesh = doc.createMesh('grid').addPrimitive(prim).setWeights([0]).setExtras({ targetNames: ['bulge'] });
  const node = doc.createNode('grid').setMesh(mesh);
  scene(doc).addChild(node);
  const sampler = doc
    .createAnimationSampler()
    .setInput(doc.createAccessor('pulse_time').setType('SCALAR').setArray(new Float32Array([0, 0.5, 1])).setBuffer(buf))
    .setOutput(doc.createAccessor('pulse_weight').setType('SCALAR').setArray(new Float32Array([0, 1, 0])).setBuffer(buf));
  doc.createAnimation('pulse').addSampler(sampler).addChannel(doc.createAnimationChannel().setTargetNode(node).setTargetPath('weights').setSampler(sampler));
  return doc;
}

/** Draws a deterministic RGBA test image: gradients, rings and (optionally) noise. */
export async function drawImage(width: number, height: number, kind: 'color' | 'normal' | 'orm' | 'gray', format: 'png' | 'jpeg' = 'png', variant = 0): Promise<Uint8Array> {
  const data = Buffer.alloc(width * height * 4);
  let seed = 12345 + variant;
  const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const u = x / width;
      const v = y / height;
      const ring = 0.5 + 0.5 * Math.sin(Math.hypot(u - 0.5, v - 0.5) * (40 + variant * 7));
      const noise = random() * 24 - 12;
      let r: number;
      let g: number;
      let b: number;
      if (kind === 'normal') {
        const nx = Math.sin(u * Math.PI * (8 + variant)) * 0.4;
        const ny = Math.cos(v * Math.PI * 8) * 0.4;
        const nz = Math.sqrt(Math.max(0, 1 - nx * nx - ny * ny));
        [r, g, b] = [(nx * 0.5 + 0.5) * 255, (ny * 0.5 + 0.5) * 255, (nz * 0.5 + 0.5) * 255];
      } else if (kind === 'orm') {
        [r, g, b] = [255 * (0.6 + 0.4 * ring), 255 * u, 255 * (v > 0.5 ? 1 : 0)];
      } else if (kind === 'gray') {
        r = g = b = 255 * ring;
      } else {
        [r, g, b] = [255 * u, 255 * ring, 255 * v];
      }
      data[i] = Math.max(0, Math.min(255, r + noise));
      data[i + 1] = Math.max(0, Math.min(255, g + noise));
      data[i + 2] = Math.max(0, Math.min(255, b + noise));
      data[i + 3] = 255;
    }
  }
  const image = sharp(data, { raw: { width, height, channels: 4 } });
  const out = format === 'png' ? await image.removeAlpha().png().toBuffer() : await image.removeAlpha().jpeg({ quality: 92 }).toBuffer();
  return new Uint8Array(out);
}

/** Texture slots of the PBR fixture, with the texture name used for each. */
export const PBR_SLOTS = {
  baseColorTexture: 'albedo',
  metallicRoughnessTexture: 'metal_rough',
  normalTexture: 'normal',
  occlusionTexture: 'occlusion',
  emissiveTexture: 'emissive',
  clearcoatTexture: 'clearcoat',
  clearcoatNormalTexture: 'clearcoat_normal',
} as const;

/**
 * A textured PBR sphere using every core texture slot (baseColor, metallicRoughness, normal,
 * occlusion, emissive) plus KHR_materials_clearcoat's intensity and normal textures,
 * KHR_materials_emissive_strength and KHR_texture_transform. Textures are `size` (default
 * 200 × 120, not a power of two).
 */
export async function pbrDocument(width = 200, height = 120): Promise<Document> {
  const doc = newDocument('pbr');
  let variant = 0;
  const make = async (name: string, kind: 'color' | 'normal' | 'orm' | 'gray', format: 'png' | 'jpeg' = 'png'): Promise<Texture> =>
    doc
      .createTexture(name)
      .setImage(await drawImage(width, height, kind, format, variant++))
      .setMimeType(format === 'png' ? 'image/png' : 'image/jpeg')
      .setURI(`${name}.${format === 'png' ? 'png' : 'jpg'}`);
  const albedo = await make(PBR_SLOTS.baseColorTexture, 'color', 'jpeg');
  const metalRough = await make(PBR_SLOTS.metallicRoughnessTexture, 'orm');
  const normal = await make(PBR_SLOTS.normalTexture, 'normal');
  const occlusion = await make(PBR_SLOTS.occlusionTexture, 'gray');
  const emissive = await make(PBR_SLOTS.emissiveTexture, 'color');
  const clearcoat = await make(PBR_SLOTS.clearcoatTexture, 'gray');
  const clearcoatNormal = await make(PBR_SLOTS.clearcoatNormalTexture, 'normal');

  const clearcoatExt = doc.createExtension(KHRMaterialsClearcoat);
  const strengthExt = doc.createExtension(KHRMaterialsEmissiveStrength);
  const transformExt = doc.createExtension(KHRTextureTransform);
  const material = doc
    .createMaterial('painted_metal')
    .setBaseColorTexture(albedo)
    .setMetallicRoughnessTexture(metalRough)
    .setNormalTexture(normal)
    .setNormalScale(0.8)
    .setOcclusionTexture(occlusion)
    .setEmissiveTexture(emissive)
    .setEmissiveFactor([1, 0.5, 0.25])
    .setExtras({ surface: 'car_paint' })
    .setExtension('KHR_materials_clearcoat', clearcoatExt.createClearcoat().setClearcoatFactor(0.7).setClearcoatTexture(clearcoat).setClearcoatNormalTexture(clearcoatNormal))
    .setExtension('KHR_materials_emissive_strength', strengthExt.createEmissiveStrength().setEmissiveStrength(2));
  material.getBaseColorTextureInfo()?.setExtension('KHR_texture_transform', transformExt.createTransform().setScale([2, 2]));
  addMesh(doc, 'painted_sphere', sphereData(32, 16), material);
  return doc;
}

/** Writes a Document as GLB bytes (uncompressed). */
export async function toGlb(doc: Document): Promise<Uint8Array> {
  return new NodeIO().registerExtensions([EXTTextureWebP, KHRMaterialsClearcoat, KHRMaterialsEmissiveStrength, KHRTextureTransform]).writeBinary(doc);
}

/** Writes a Document as `.gltf` JSON with external `.bin` and images. */
export async function toGltfFiles(doc: Document): Promise<{ gltf: Uint8Array; resources: Record<string, Uint8Array> }> {
  const io = new NodeIO().registerExtensions([EXTTextureWebP, KHRMaterialsClearcoat, KHRMaterialsEmissiveStrength, KHRTextureTransform]);
  const { json, resources } = await io.writeJSON(doc, { format: Format.GLTF });
  return { gltf: new TextEncoder().encode(JSON.stringify(json)), resources };
}
