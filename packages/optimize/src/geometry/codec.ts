import type { Transform } from '@gltf-transform/core';
import { createTransform, draco, meshopt } from '@gltf-transform/functions';
import type { GeometryCodec } from '../presets.js';

/** Options of {@link geometryCodec}. */
export interface GeometryCodecOptions {
  codec: GeometryCodec;
  /** meshoptimizer's `MeshoptEncoder`, injected; required for `meshopt`. */
  meshoptEncoder?: unknown;
}

/** Draco settings: edgebreaker, speed 5 for both (the notes' measured setting). */
export const DRACO_SETTINGS = Object.freeze({ method: 'edgebreaker', encodeSpeed: 5, decodeSpeed: 5 } as const);

/**
 * The geometry codec as one transform: `meshopt` = reorder + quantize (KHR_mesh_quantization) +
 * EXT_meshopt_compression with filters (also compresses animation and morph data); `draco` =
 * KHR_draco_mesh_compression (edgebreaker); `none` = leaves geometry as it is. Compression itself
 * happens when the document is written, with the encoders registered on the I/O.
 */
export function geometryCodec(options: GeometryCodecOptions): Transform {
  switch (options.codec) {
    case 'meshopt':
      if (!options.meshoptEncoder) throw new TypeError('geometryCodec: meshopt needs meshoptEncoder');
      return meshopt({ encoder: options.meshoptEncoder, level: 'high' });
    case 'draco':
      return draco({ ...DRACO_SETTINGS });
    case 'none':
      return createTransform('geometry-none', () => {});
  }
}
