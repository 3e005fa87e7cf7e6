import type { Sharp } from './textures/compress.js';
import type { Simplifier } from './geometry/simplify.js';

/** The encoders and decoders of the pipeline (WASM modules and sharp), loaded on first use. */
export interface OptimizeDeps {
  sharp: Sharp;
  simplifier: Simplifier;
  meshoptEncoder: unknown;
  meshoptDecoder: unknown;
  /** Only loaded when Draco is written or read. */
  draco: { encoder: unknown; decoder: unknown } | null;
}

/** draco3dgltf ships no types; imported by a variable so that no ambient declaration is needed. */
interface Draco3d {
  createEncoderModule(options?: object): Promise<unknown>;
  createDecoderModule(options?: object): Promise<unknown>;
}
const DRACO: string = 'draco3dgltf';

let meshopt: Promise<Pick<OptimizeDeps, 'simplifier' | 'meshoptEncoder' | 'meshoptDecoder'>> | undefined;
let draco: Promise<{ encoder: unknown; decoder: unknown }> | undefined;
let sharp: Promise<Sharp> | undefined;

/** @internal Loads (once per process) what the pipeline needs; nothing happens at import time. */
export async function loadDeps(needDraco: boolean): Promise<OptimizeDeps> {
  meshopt ??= import('meshoptimizer').then(async (m) => {
    await Promise.all([m.MeshoptEncoder.ready, m.MeshoptDecoder.ready, m.MeshoptSimplifier.ready]);
    return { simplifier: m.MeshoptSimplifier as Simplifier, meshoptEncoder: m.MeshoptEncoder, meshoptDecoder: m.MeshoptDecoder };
  });
  sharp ??= import('sharp').then((m) => m.default);
  if (needDraco) {
    draco ??= import(DRACO as 'draco3dgltf').then(async (m: { default: Draco3d }) => {
      const draco3d = m.default;
      const [encoder, decoder] = await Promise.all([draco3d.createEncoderModule({}), draco3d.createDecoderModule({})]);
      return { encoder, decoder };
    });
  }
  const [m, s, d] = await Promise.all([meshopt, sharp, needDraco ? draco : undefined]);
  return { ...m, sharp: s, draco: d ?? null };
}
