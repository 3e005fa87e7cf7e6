import type { Document, NodeIO } from '@gltf-transform/core';

const GLB_MAGIC = 0x46546c67; // 'glTF'
const CHUNK_JSON = 0x4e4f534a;

/**
 * @internal Writes `doc` as one GLB with `io`, mended where glTF Transform 4.5's writer breaks the
 * glTF schema: it writes a scene without nodes as `"nodes": []`, which the validator reports as
 * an EMPTY_ENTITY error (a material library has such a scene, and so has a model whose only
 * nodes `flatten` dropped). The property is omitted instead, as the schema allows.
 */
export async function writeGlb(io: NodeIO, doc: Document): Promise<Uint8Array> {
  const glb = await io.writeBinary(doc);
  const emptyScene = doc
    .getRoot()
    .listScenes()
    .some((scene) => scene.listChildren().length === 0);
  return emptyScene ? editGlbJson(glb, omitEmptySceneNodes) : glb;
}

function omitEmptySceneNodes(json: { scenes?: { nodes?: unknown[] }[] }): void {
  for (const scene of json.scenes ?? []) {
    if (scene.nodes?.length === 0) delete scene.nodes;
  }
}

/**
 * @internal Rewrites a GLB's JSON chunk with `edit`, keeping every other chunk byte for byte.
 * The GLB is glTF Transform's own output, so its layout is trusted (`input.ts` checks inputs).
 */
export function editGlbJson<T>(glb: Uint8Array, edit: (json: T) => void): Uint8Array {
  const view = new DataView(glb.buffer, glb.byteOffset, glb.byteLength);
  const jsonLength = view.getUint32(12, true);
  const json = JSON.parse(new TextDecoder().decode(glb.subarray(20, 20 + jsonLength))) as T;
  edit(json);
  const text = new TextEncoder().encode(JSON.stringify(json));
  const padded = Math.ceil(text.byteLength / 4) * 4;
  const rest = glb.subarray(20 + jsonLength);
  const out = new Uint8Array(20 + padded + rest.byteLength);
  const outView = new DataView(out.buffer);
  outView.setUint32(0, GLB_MAGIC, true);
  outView.setUint32(4, 2, true);
  outView.setUint32(8, out.byteLength, true);
  outView.setUint32(12, padded, true);
  outView.setUint32(16, CHUNK_JSON, true);
  out.set(text, 20);
  out.fill(0x20, 20 + text.byteLength, 20 + padded); // the GLB spec pads JSON with spaces
  out.set(rest, 20 + padded);
  return out;
}
