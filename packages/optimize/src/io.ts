import { NodeIO } from '@gltf-transform/core';
import { ALL_EXTENSIONS } from '@gltf-transform/extensions';
import type { OptimizeDeps } from './deps.js';
import { toGltfTransformLogger, type OptimizeLogger } from './logger.js';

/** @internal A NodeIO that reads and writes every extension glTF Transform knows, network off. */
export function createIO(deps: OptimizeDeps, logger: OptimizeLogger): NodeIO {
  const dependencies: Record<string, unknown> = {
    'meshopt.encoder': deps.meshoptEncoder,
    'meshopt.decoder': deps.meshoptDecoder,
  };
  if (deps.draco) {
    dependencies['draco3d.encoder'] = deps.draco.encoder;
    dependencies['draco3d.decoder'] = deps.draco.decoder;
  }
  return new NodeIO().setLogger(toGltfTransformLogger(logger)).registerExtensions(ALL_EXTENSIONS).registerDependencies(dependencies);
}
