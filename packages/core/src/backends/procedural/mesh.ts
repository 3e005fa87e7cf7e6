type GltfCore = typeof import('@gltf-transform/core');
let gltfModule: Promise<GltfCore> | undefined;

/** Loads @gltf-transform/core on first use (nothing at import time). @internal */
export function loadGltf(): Promise<GltfCore> {
  gltfModule ??= import('@gltf-transform/core');
  return gltfModule;
}

type Vec3 = [number, number, number];

/** One box of a low-poly body, with the joint that moves it. @internal */
export interface BodyPart {
  name: string;
  center: Vec3;
  size: Vec3;
  joint: Vec3;
  parent?: string;
}

/** Body plans per rig type: boxes whose joints make the skeleton. @internal */
export const BODY_PLANS: Record<'HUMANOID' | 'QUADRUPED' | 'STATIC', BodyPart[]> = {
  HUMANOID: [
    { name: 'torso', center: [0, 1.2, 0], size: [0.5, 0.6, 0.3], joint: [0, 0.95, 0] },
    { name: 'head', center: [0, 1.67, 0], size: [0.3, 0.32, 0.3], joint: [0, 1.5, 0], parent: 'torso' },
    { name: 'arm_l', center: [-0.35, 1.2, 0], size: [0.15, 0.6, 0.15], joint: [-0.33, 1.45, 0], parent: 'torso' },
    { name: 'arm_r', center: [0.35, 1.2, 0], size: [0.15, 0.6, 0.15], joint: [0.33, 1.45, 0], parent: 'torso' },
    { name: 'leg_l', center: [-0.13, 0.45, 0], size: [0.18, 0.9, 0.18], joint: [-0.13, 0.9, 0], parent: 'torso' },
    { name: 'leg_r', center: [0.13, 0.45, 0], size: [0.18, 0.9, 0.18], joint: [0.13, 0.9, 0], parent: 'torso' },
  ],
  QUADRUPED: [
    { name: 'body', center: [0, 0.7, 0], size: [0.4, 0.35, 1.0], joint: [0, 0.7, 0] },
    { name: 'head', center: [0, 0.95, 0.62], size: [0.28, 0.28, 0.32], joint: [0, 0.85, 0.48], parent: 'body' },
    { name: 'leg_fl', center: [-0.15, 0.27, 0.4], size: [0.12, 0.55, 0.12], joint: [-0.15, 0.55, 0.4], parent: 'body' },
    { name: 'leg_fr', center: [0.15, 0.27, 0.4], size: [0.12, 0.55, 0.12], joint: [0.15, 0.55, 0.4], parent: 'body' },
    { name: 'leg_bl', center: [-0.15, 0.27, -0.4], size: [0.12, 0.55, 0.12], joint: [-0.15, 0.55, -0.4], parent: 'body' },
    { name: 'leg_br', center: [0.15, 0.27, -0.4], size: [0.12, 0.55, 0.12], joint: [0.15, 0.55, -0.4], parent: 'body' },
  ],
  STATIC: [{ name: 'body', center: [0, 0.5, 0], size: [1, 1, 1], joint: [0, 0, 0] }],
};

/** Segments per box edge so the mesh stays within `budget` triangles (1..12). @internal */
export function segmentsFor(parts: number, budget: number | undefined): number {
  if (budget === undefined) return 2;
  return Math.max(1, Math.min(12, Math.floor(Math.sqrt(budget / (parts * 12)))));
}

/** Builds the geometry of boxes, `segments` quads per edge, each face UV-mapped to the whole texture. */
function boxes(parts: BodyPart[], segments: number) {
  const positions: number[] = [];
  const normals: number[] = [];
  const uvs: number[] = [];
  const partIds: number[] = [];
  const indices: number[] = [];
  const faces: { n: Vec3; u: Vec3; v: Vec3 }[] = [
    { n: [0, 0, 1], u: [1, 0, 0], v: [0, 1, 0] },
    { n: [0, 0, -1], u: [-1, 0, 0], v: [0, 1, 0] },
    { n: [1, 0, 0], u: [0, 0, -1], v: [0, 1, 0] },
    { n: [-1, 0, 0], u: [0, 0, 1], v: [0, 1, 0] },
    { n: [0, 1, 0], u: [1, 0, 0], v: [0, 0, -1] },
    { n: [0, -1, 0], u: [1, 0, 0], v: [0, 0, 1] },
  ];
  parts.forEach((part, p) => {
    const half = part.size.map((s) => s / 2) as Vec3;
    for (const face of faces) {
      const start = positions.length / 3;
      for (let j = 0; j <= segments; j++) {
        for (let i = 0; i <= segments; i++) {
          const a = (i / segments) * 2 - 1;
          const b = (j / segments) * 2 - 1;
          for (let k = 0; k < 3; k++) positions.push(part.center[k]! + (face.n[k]! + face.u[k]! * a + face.v[k]! * b) * half[k]!);
          normals.push(...face.n);
          uvs.push(i / segments, 1 - j / segments);
          partIds.push(p);
        }
      }
      for (let j = 0; j < segments; j++) {
        for (let i = 0; i < segments; i++) {
          const a = start + j * (segments + 1) + i;
          const b = a + 1;
          const c = a + segments + 1;
          const d = c + 1;
          indices.push(a, b, d, a, d, c);
        }
      }
    }
  });
  return { positions, normals, uvs, partIds, indices };
}

/** Options of {@link buildModel}. @internal */
export interface ModelOptions {
  rig: 'HUMANOID' | 'QUADRUPED' | 'STATIC';
  budget?: number | undefined;
  /** Fraction of the budget to use (retopology uses less). */
  budgetFraction?: number;
  texture?: Uint8Array | undefined;
  name: string;
}

/** A textured low-poly GLB of the body plan, with a `_PART` vertex attribute for rigging. @internal */
export async function buildModel(options: ModelOptions): Promise<Uint8Array> {
  const { Document, NodeIO } = await loadGltf();
  const parts = BODY_PLANS[options.rig];
  const budget = options.budget === undefined ? undefined : Math.floor(options.budget * (options.budgetFraction ?? 1));
  const geo = boxes(parts, segmentsFor(parts.length, budget));
  const doc = new Document();
  doc.getRoot().getAsset().generator = 'Kiln procedural backend';
  const buffer = doc.createBuffer();
  const accessor = (type: 'VEC3' | 'VEC2' | 'SCALAR', array: Float32Array | Uint32Array | Uint16Array) => doc.createAccessor().setType(type).setArray(array).setBuffer(buffer);
  const material = doc.createMaterial(`${options.name}-material`).setRoughnessFactor(0.8).setMetallicFactor(0);
  if (options.texture) {
    const texture = doc.createTexture('albedo').setImage(options.texture).setMimeType('image/png');
    material.setBaseColorTexture(texture);
  }
  const vertexCount = geo.positions.length / 3;
  const primitive = doc
    .createPrimitive()
    .setAttribute('POSITION', accessor('VEC3', new Float32Array(geo.positions)))
    .setAttribute('NORMAL', accessor('VEC3', new Float32Array(geo.normals)))
    .setAttribute('TEXCOORD_0', accessor('VEC2', new Float32Array(geo.uvs)))
    .setAttribute('_PART', accessor('SCALAR', new Float32Array(geo.partIds)))
    .setIndices(accessor('SCALAR', vertexCount > 65535 ? new Uint32Array(geo.indices) : new Uint16Array(geo.indices)))
    .setMaterial(material);
  const mesh = doc.createMesh(options.name).addPrimitive(primitive);
  const node = doc.createNode(options.name).setMesh(mesh);
  doc.createScene('scene').addChild(node);
  return new NodeIO().writeBinary(doc);
}

/** The embedded base colour texture of a GLB, if any. @internal */
export async function textureOf(glb: Uint8Array): Promise<Uint8Array | undefined> {
  const { NodeIO } = await loadGltf();
  const doc = await new NodeIO().readBinary(glb);
  return doc.getRoot().listTextures()[0]?.getImage() ?? undefined;
}

/** Adds a skeleton (one joint per body part) and skins the mesh by its `_PART` attribute. @internal */
export async function rigModel(glb: Uint8Array, rig: 'HUMANOID' | 'QUADRUPED' | 'STATIC'): Promise<Uint8Array> {
  const { NodeIO } = await loadGltf();
  const doc = await new NodeIO().readBinary(glb);
  const parts = BODY_PLANS[rig];
  const root = doc.getRoot();
  const buffer = root.listBuffers()[0] ?? doc.createBuffer();
  const scene = root.listScenes()[0] ?? doc.createScene();
  const meshNode = root.listNodes().find((n) => n.getMesh());
  if (!meshNode) throw new Error('rig: the model has no mesh');
  const joints = new Map<string, ReturnType<typeof doc.createNode>>();
  for (const part of parts) {
    const parent = part.parent ? parts.find((p) => p.name === part.parent) : undefined;
    const local = part.joint.map((v, i) => v - (parent ? parent.joint[i]! : 0)) as Vec3;
    const joint = doc.createNode(`joint_${part.name}`).setTranslation(local);
    joints.set(part.name, joint);
    if (parent) joints.get(parent.name)!.addChild(joint);
    else scene.addChild(joint);
  }
  const inverseBind = new Float32Array(parts.length * 16);
  parts.forEach((part, i) => {
    inverseBind.set([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, -part.joint[0], -part.joint[1], -part.joint[2], 1], i * 16);
  });
  const skin = doc.createSkin('skeleton').setSkeleton(joints.get(parts[0]!.name)!).setInverseBindMatrices(doc.createAccessor().setType('MAT4').setArray(inverseBind).setBuffer(buffer));
  for (const part of parts) skin.addJoint(joints.get(part.name)!);
  for (const primitive of meshNode.getMesh()!.listPrimitives()) {
    const ids = primitive.getAttribute('_PART')?.getArray();
    const count = primitive.getAttribute('POSITION')!.getCount();
    const jointIds = new Uint16Array(count * 4);
    const weights = new Float32Array(count * 4);
    for (let v = 0; v < count; v++) {
      jointIds[v * 4] = Math.min(parts.length - 1, Math.round(Number(ids?.[v] ?? 0)));
      weights[v * 4] = 1;
    }
    primitive.setAttribute('JOINTS_0', doc.createAccessor().setType('VEC4').setArray(jointIds).setBuffer(buffer));
    primitive.setAttribute('WEIGHTS_0', doc.createAccessor().setType('VEC4').setArray(weights).setBuffer(buffer));
  }
  meshNode.setSkin(skin);
  return new NodeIO().writeBinary(doc);
}

/** Adds a looping one-second idle animation: limbs swing, the head nods. @internal */
export async function animateModel(glb: Uint8Array): Promise<Uint8Array> {
  const { NodeIO } = await loadGltf();
  const doc = await new NodeIO().readBinary(glb);
  const root = doc.getRoot();
  const buffer = root.listBuffers()[0] ?? doc.createBuffer();
  const joints = root.listSkins()[0]?.listJoints() ?? [];
  if (joints.length === 0) throw new Error('animate: the model has no skeleton (run rig first)');
  const times = new Float32Array([0, 0.25, 0.5, 0.75, 1]);
  const input = doc.createAccessor().setType('SCALAR').setArray(times).setBuffer(buffer);
  const animation = doc.createAnimation('idle');
  joints.slice(1).forEach((joint, i) => {
    const amplitude = 0.25 * (i % 2 === 0 ? 1 : -1);
    const rotations = new Float32Array(times.length * 4);
    times.forEach((t, k) => {
      const angle = Math.sin(t * Math.PI * 2) * amplitude;
      rotations.set([Math.sin(angle / 2), 0, 0, Math.cos(angle / 2)], k * 4);
    });
    const sampler = doc.createAnimationSampler().setInput(input).setOutput(doc.createAccessor().setType('VEC4').setArray(rotations).setBuffer(buffer)).setInterpolation('LINEAR');
    animation.addSampler(sampler).addChannel(doc.createAnimationChannel().setTargetNode(joint).setTargetPath('rotation').setSampler(sampler));
  });
  return new NodeIO().writeBinary(doc);
}
