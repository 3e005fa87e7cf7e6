import type { Document, Transform } from '@gltf-transform/core';
import { createTransform, dequantizePrimitive, draco, meshopt } from '@gltf-transform/functions';
import type { GeometryCodec } from '../presets.js';

/** Options of {@link geometryCodec}. */
export interface GeometryCodecOptions {
  codec: GeometryCodec;
  /** meshoptimizer's `MeshoptEncoder`, injected; required for `meshopt`. */
  meshoptEncoder?: unknown;
}

/** Draco settings: edgebreaker, speed 5 for both (the notes' measured setting). */
export const DRACO_SETTINGS = Object.freeze({ method: 'edgebreaker', encodeSpeed: 5, decodeSpeed: 5 } as const);

/** The compression extensions of each codec, as a compressed input declares them. */
const CODEC_EXTENSIONS = {
  meshopt: ['EXT_meshopt_compression', 'KHR_meshopt_compression'],
  draco: ['KHR_draco_mesh_compression'],
} as const;

/**
 * The geometry codec as one transform: `meshopt` = reorder + quantize (KHR_mesh_quantization) +
 * EXT_meshopt_compression with filters (also compresses animation and morph data); `draco` =
 * KHR_draco_mesh_compression (edgebreaker); `none` = leaves geometry as it is, in the codec the
 * input had. Compression itself happens when the document is written, with the encoders
 * registered on the I/O.
 *
 * A compressed input keeps its codec's extension on the document after reading (its data is
 * decoded), and glTF Transform writes with every compression extension present: a Draco input
 * written with meshopt would carry both, each primitive's data twice and both decoders required.
 * So `meshopt` and `draco` drop the other codec's extension first.
 */
export function geometryCodec(options: GeometryCodecOptions): Transform {
  switch (options.codec) {
    case 'meshopt': {
      if (!options.meshoptEncoder) throw new TypeError('geometryCodec: meshopt needs meshoptEncoder');
      const encode = meshopt({ encoder: options.meshoptEncoder, level: 'high' });
      return createTransform('meshopt', async (doc, context) => {
        disposeExtensions(doc, CODEC_EXTENSIONS.draco);
        dequantizePositions(doc);
        await encode(doc, context);
      });
    }
    case 'draco': {
      const encode = draco({ ...DRACO_SETTINGS });
      return createTransform('draco', async (doc, context) => {
        disposeExtensions(doc, CODEC_EXTENSIONS.meshopt);
        unshareWithinPrimitives(doc);
        await encode(doc, context);
      });
    }
    case 'none':
      return createTransform('geometry-none', () => {});
  }
}

/**
 * Gives each attribute of a primitive its own accessor. dedup joins identical accessors, so one
 * can serve two attributes of the same primitive (a unit sphere's POSITION and NORMAL, a copied
 * TEXCOORD_1). glTF Transform's Draco writer then writes that accessor's data uncompressed as
 * well, unused, beside a placeholder no attribute uses (which more than doubled a sphere's file).
 * Draco compresses each attribute on its own anyway, so the copy costs nothing once encoded.
 */
function unshareWithinPrimitives(doc: Document): void {
  for (const mesh of doc.getRoot().listMeshes()) {
    for (const prim of mesh.listPrimitives()) {
      const seen = new Set([prim.getIndices()]);
      for (const semantic of prim.listSemantics()) {
        const accessor = prim.getAttribute(semantic);
        if (!accessor) continue;
        if (seen.has(accessor)) prim.setAttribute(semantic, accessor.clone());
        else seen.add(accessor);
      }
    }
  }
}

/**
 * Turns integer positions (KHR_mesh_quantization, as gltfpack writes them: unnormalized uint16
 * with the scale on the node) back into floats before meshopt's quantize step. glTF Transform
 * 4.5.1's `quantize()` writes the re-centred floats into the integer array before quantizing
 * them, which truncates every position to 0 or 1: the mesh collapsed to a line and drew nothing.
 * The node transform it computes is right; only the data was lost.
 */
function dequantizePositions(doc: Document): void {
  for (const mesh of doc.getRoot().listMeshes()) {
    for (const prim of mesh.listPrimitives()) {
      const integer = [prim.getAttribute('POSITION'), ...prim.listTargets().map((t) => t.getAttribute('POSITION'))].some((a) => a && a.getComponentType() !== 5126);
      if (integer) dequantizePrimitive(prim, { pattern: /^POSITION$/ });
    }
  }
}

function disposeExtensions(doc: Document, names: readonly string[]): void {
  for (const extension of doc.getRoot().listExtensionsUsed()) {
    if (names.includes(extension.extensionName)) extension.dispose();
  }
}
