// Checks right after glTF Transform reads the input. Its reader takes some broken references
// (an attribute or a channel's sampler naming a missing object) as absent, and some valid inputs
// make its transforms fail later with a bare TypeError: both are dealt with here, up front.
import type { Document, GLTF } from '@gltf-transform/core';

/**
 * @internal Removes the mesh primitives without POSITION. They are valid glTF, and clients skip
 * them when rendering (glTF 2.0, 3.7.2.1), but glTF Transform's weld, quantize and codecs fail on
 * one. A mesh left without primitives goes too (the schema asks for at least one), and with it
 * the nodes' references to it. Returns one warning per mesh touched.
 *
 * @param json the input's JSON, when read from one: a primitive whose POSITION names an accessor
 *   the document lacks is a broken reference, which glTF Transform reads as absent.
 * @throws {Error} for such a broken reference, naming it.
 */
export function dropPositionless(document: Document, json?: GLTF.IGLTF): string[] {
  const warnings: string[] = [];
  document
    .getRoot()
    .listMeshes()
    .forEach((mesh, m) => {
      const primitives = mesh.listPrimitives();
      const positionless = primitives.filter((primitive, p) => {
        if (primitive.getAttribute('POSITION')) return false;
        const named = json?.meshes?.[m]?.primitives?.[p]?.attributes?.['POSITION'];
        if (named !== undefined) throw new Error(`mesh ${m} primitive ${p}: POSITION names accessor ${JSON.stringify(named)}, which does not resolve`);
        return true;
      });
      if (positionless.length === 0) return;
      const label = mesh.getName() ? `mesh "${mesh.getName()}"` : `mesh ${m}`;
      const emptied = positionless.length === primitives.length;
      warnings.push(
        `${label}: ${positionless.length} primitive${positionless.length > 1 ? 's' : ''} without POSITION dropped (clients do not draw one; glTF Transform cannot process it)` +
          (emptied ? ', and the mesh with them' : ''),
      );
      for (const primitive of positionless) primitive.dispose();
      if (emptied) mesh.dispose();
    });
  return warnings;
}

/**
 * @internal Throws for an animation channel without a sampler: the schema requires one, so the
 * input named a sampler that does not exist (glTF Transform reads that as none, and would write
 * the channel without it).
 */
export function assertChannelSamplers(document: Document): void {
  document
    .getRoot()
    .listAnimations()
    .forEach((animation, a) =>
      animation.listChannels().forEach((channel, c) => {
        if (!channel.getSampler()) throw new Error(`animation ${a} channel ${c}: its sampler does not resolve`);
      }),
    );
}
