/**
 * Names what is structurally wrong with a glTF that GLTFLoader failed to parse. GLTFLoader then
 * reports a JavaScript error from deep inside ("Cannot read properties of undefined (reading
 * 'name')"); this finds the broken reference, the buffer view past its buffer or the node cycle
 * behind it, as a JSON pointer. It runs only after a failed parse, so a good file pays nothing.
 *
 * Not a validator: the Khronos glTF Validator is ~1 MB of JavaScript, far too much for a runtime
 * loader, and @kiln/optimize runs it at build time. These are the faults that make three.js's
 * parser throw.
 */

type Json = Record<string, unknown>;

const COMPONENT_BYTES: Record<number, number> = { 5120: 1, 5121: 1, 5122: 2, 5123: 2, 5125: 4, 5126: 4 };
const TYPE_SIZE: Record<string, number> = { SCALAR: 1, VEC2: 2, VEC3: 3, VEC4: 4, MAT2: 4, MAT3: 9, MAT4: 16 };
const SINGULAR: Record<string, string> = { meshes: 'mesh', bufferViews: 'bufferView' };
const TEXTURE_SLOTS = ['normalTexture', 'occlusionTexture', 'emissiveTexture'] as const;
const PBR_SLOTS = ['baseColorTexture', 'metallicRoughnessTexture'] as const;

const singular = (collection: string) => SINGULAR[collection] ?? collection.slice(0, -1);
const counted = (n: number, collection: string) => `${n === 0 ? 'no' : n} ${n === 1 ? singular(collection) : collection}`;
const list = (value: unknown): Json[] => (Array.isArray(value) ? (value as Json[]) : []);
const object = (value: unknown): Json | undefined => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined);

/**
 * The first structural fault of a glTF document, as `pointer: what`, or `undefined` when none of
 * those checked is found. `binLength` is the GLB's BIN chunk length (`undefined` for a .gltf).
 * @internal
 */
export function findGltfFault(json: Json, binLength: number | undefined): string | undefined {
  const count = (collection: string) => list(json[collection]).length;
  const ref = (pointer: string, value: unknown, collection: string): string | undefined => {
    if (value === undefined) return undefined;
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < count(collection)) return undefined;
    return `${pointer}: ${singular(collection)} ${JSON.stringify(value)} does not exist (the file has ${counted(count(collection), collection)})`;
  };
  const first = (...faults: (string | undefined)[]) => faults.find((f) => f !== undefined);

  const checks: (() => string | undefined)[] = [
    () => ref('/scene', json['scene'], 'scenes'),
    ...list(json['scenes']).flatMap((scene, s) => list(scene['nodes']).map((node, i) => () => ref(`/scenes/${s}/nodes/${i}`, node, 'nodes'))),
    ...list(json['nodes']).map((node, n) => () =>
      first(
        ...list(node['children']).map((child, i) => ref(`/nodes/${n}/children/${i}`, child, 'nodes')),
        ref(`/nodes/${n}/mesh`, node['mesh'], 'meshes'),
        ref(`/nodes/${n}/skin`, node['skin'], 'skins'),
        ref(`/nodes/${n}/camera`, node['camera'], 'cameras'),
      ),
    ),
    () => nodeCycle(list(json['nodes'])),
    ...list(json['meshes']).flatMap((mesh, m) =>
      list(mesh['primitives']).map((prim, p) => () => {
        const at = `/meshes/${m}/primitives/${p}`;
        const attributes = Object.entries(object(prim['attributes']) ?? {});
        const targets = list(prim['targets']).flatMap((target, t) => Object.entries(target).map(([name, value]) => ref(`${at}/targets/${t}/${name}`, value, 'accessors')));
        return first(...attributes.map(([name, value]) => ref(`${at}/attributes/${name}`, value, 'accessors')), ref(`${at}/indices`, prim['indices'], 'accessors'), ref(`${at}/material`, prim['material'], 'materials'), ...targets);
      }),
    ),
    ...list(json['materials']).map((material, m) => () => {
      const pbr = object(material['pbrMetallicRoughness']) ?? {};
      return first(
        ...TEXTURE_SLOTS.map((slot) => ref(`/materials/${m}/${slot}/index`, object(material[slot])?.['index'], 'textures')),
        ...PBR_SLOTS.map((slot) => ref(`/materials/${m}/pbrMetallicRoughness/${slot}/index`, object(pbr[slot])?.['index'], 'textures')),
      );
    }),
    ...list(json['textures']).map((texture, t) => () => first(ref(`/textures/${t}/source`, texture['source'], 'images'), ref(`/textures/${t}/sampler`, texture['sampler'], 'samplers'))),
    ...list(json['images']).map((image, i) => () => ref(`/images/${i}/bufferView`, image['bufferView'], 'bufferViews')),
    ...list(json['skins']).map((skin, s) => () =>
      first(
        ...list(skin['joints']).map((joint, j) => ref(`/skins/${s}/joints/${j}`, joint, 'nodes')),
        ref(`/skins/${s}/inverseBindMatrices`, skin['inverseBindMatrices'], 'accessors'),
        ref(`/skins/${s}/skeleton`, skin['skeleton'], 'nodes'),
      ),
    ),
    ...list(json['animations']).flatMap((animation, a) => {
      const samplers = list(animation['samplers']);
      return [
        ...samplers.map((sampler, s) => () => first(ref(`/animations/${a}/samplers/${s}/input`, sampler['input'], 'accessors'), ref(`/animations/${a}/samplers/${s}/output`, sampler['output'], 'accessors'))),
        ...list(animation['channels']).map((channel, c) => () => {
          const sampler = channel['sampler'];
          const badSampler = typeof sampler === 'number' && Number.isInteger(sampler) && sampler >= 0 && sampler < samplers.length ? undefined : `/animations/${a}/channels/${c}/sampler: sampler ${JSON.stringify(sampler)} does not exist (the animation has ${counted(samplers.length, 'samplers')})`;
          return first(badSampler, ref(`/animations/${a}/channels/${c}/target/node`, object(channel['target'])?.['node'], 'nodes'));
        }),
      ];
    }),
    ...list(json['accessors']).map((accessor, i) => () => accessorFault(json, accessor, i, ref)),
    ...list(json['bufferViews']).map((view, v) => () => bufferViewFault(json, view, v, binLength, ref)),
  ];
  for (const check of checks) {
    const fault = check();
    if (fault) return fault;
  }
  return undefined;
}

function accessorFault(json: Json, accessor: Json, i: number, ref: (pointer: string, value: unknown, collection: string) => string | undefined): string | undefined {
  const at = `/accessors/${i}`;
  const count = accessor['count'];
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) return `${at}/count: ${JSON.stringify(count)} is not a count`;
  const componentBytes = COMPONENT_BYTES[accessor['componentType'] as number];
  if (!componentBytes) return `${at}/componentType: ${JSON.stringify(accessor['componentType'])} is not a glTF component type`;
  const size = TYPE_SIZE[accessor['type'] as string];
  if (!size) return `${at}/type: ${JSON.stringify(accessor['type'])} is not a glTF accessor type`;
  const viewFault = ref(`${at}/bufferView`, accessor['bufferView'], 'bufferViews');
  if (viewFault || accessor['bufferView'] === undefined) return viewFault;
  const view = list(json['bufferViews'])[accessor['bufferView'] as number] as Json;
  const stride = typeof view['byteStride'] === 'number' ? view['byteStride'] : componentBytes * size;
  const needed = count === 0 ? 0 : Number(accessor['byteOffset'] ?? 0) + stride * (count - 1) + componentBytes * size;
  const length = Number(view['byteLength']);
  return needed > length ? `${at}: ${count} × ${accessor['type'] as string} needs ${needed} bytes of bufferView ${accessor['bufferView'] as number}, which has ${length}` : undefined;
}

function bufferViewFault(json: Json, view: Json, v: number, binLength: number | undefined, ref: (pointer: string, value: unknown, collection: string) => string | undefined): string | undefined {
  const fault = ref(`/bufferViews/${v}/buffer`, view['buffer'], 'buffers');
  if (fault) return fault;
  const buffer = list(json['buffers'])[view['buffer'] as number] as Json;
  const end = Number(view['byteOffset'] ?? 0) + Number(view['byteLength']);
  const declared = Number(buffer['byteLength']);
  if (!(end <= declared)) return `/bufferViews/${v}: ends at byte ${end}, past the ${declared} bytes of buffer ${view['buffer'] as number}`;
  // The GLB's own buffer: its data is the BIN chunk, which a broken writer can leave short.
  if (buffer['uri'] === undefined && view['buffer'] === 0 && binLength !== undefined && end > binLength) {
    return `/bufferViews/${v}: ends at byte ${end}, past the ${binLength}-byte BIN chunk (buffer 0 declares ${declared})`;
  }
  return undefined;
}

/** A node that is its own ancestor (three.js recurses into it until the stack overflows). */
function nodeCycle(nodes: Json[]): string | undefined {
  const state = new Uint8Array(nodes.length); // 0 unseen, 1 on the path, 2 done
  const visit = (n: number): string | undefined => {
    state[n] = 1;
    for (const [i, child] of list(nodes[n]?.['children']).entries()) {
      const c = child as unknown as number;
      if (state[c] === 1) return `/nodes/${n}/children/${i}: node ${c} is its own ancestor (a cycle)`;
      if (state[c] === 0) {
        const found = visit(c);
        if (found) return found;
      }
    }
    state[n] = 2;
    return undefined;
  };
  for (let n = 0; n < nodes.length; n++) {
    if (state[n] === 0) {
      const found = visit(n);
      if (found) return found;
    }
  }
  return undefined;
}

/** The BIN chunk's length of a GLB, or `undefined` (a .gltf, or no BIN chunk). @internal */
export function binChunkLength(bytes: ArrayBuffer): number | undefined {
  const view = new DataView(bytes);
  if (bytes.byteLength < 20 || view.getUint32(0, true) !== 0x46546c67) return undefined;
  const next = 20 + view.getUint32(12, true);
  if (next + 8 > bytes.byteLength || view.getUint32(next + 4, true) !== 0x004e4942) return undefined;
  return Math.min(view.getUint32(next, true), bytes.byteLength - next - 8);
}
