import { type Document, NodeIO } from '@gltf-transform/core';
import { ALL_EXTENSIONS } from '@gltf-transform/extensions';
import draco3d from 'draco3dgltf';
import { MeshoptDecoder } from 'meshoptimizer';

let decoder: Promise<unknown> | undefined;

/** Reads a GLB back with every extension and both geometry decoders. */
export async function readGlb(glb: Uint8Array): Promise<Document> {
  decoder ??= draco3d.createDecoderModule({});
  await MeshoptDecoder.ready;
  const io = new NodeIO().registerExtensions(ALL_EXTENSIONS).registerDependencies({ 'meshopt.decoder': MeshoptDecoder, 'draco3d.decoder': await decoder });
  const doc = await io.readBinary(glb);
  doc.setLogger({ debug() {}, info() {}, warn() {}, error() {} } as never);
  return doc;
}

/** The JSON chunk of a GLB. */
export function glbJson(glb: Uint8Array): Record<string, any> {
  const view = new DataView(glb.buffer, glb.byteOffset, glb.byteLength);
  return JSON.parse(new TextDecoder().decode(glb.subarray(20, 20 + view.getUint32(12, true))));
}
