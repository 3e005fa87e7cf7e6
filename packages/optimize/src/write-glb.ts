import type { Document, NodeIO } from '@gltf-transform/core';
import { cloneDocument, unpartition } from '@gltf-transform/functions';
import { editGlbJson } from './glb.js';

/**
 * @internal Writes `doc` as one GLB with `io`, mended where glTF Transform 4.5's writer breaks the
 * glTF schema: it writes a scene without nodes as `"nodes": []`, which the validator reports as
 * an EMPTY_ENTITY error (a material library has such a scene, and so has a model whose only
 * nodes `flatten` dropped). The property is omitted instead, as the schema allows.
 *
 * A GLB holds one buffer, and glTF Transform refuses to write more ("GLB must have 0–1 buffers"):
 * a document with several (a .gltf may name several .bin files) is written from a copy whose
 * buffers are merged, and `doc` is left as it is. `optimize` merges its own copy after reading.
 */
export async function writeGlb(io: NodeIO, doc: Document): Promise<Uint8Array> {
  if (doc.getRoot().listBuffers().length > 1) {
    const merged = cloneDocument(doc);
    merged.setLogger(doc.getLogger());
    return writeGlb(io, await merged.transform(unpartition()));
  }
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
