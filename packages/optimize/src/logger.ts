import type { ILogger } from '@gltf-transform/core';

/**
 * Where `@kiln/optimize` sends diagnostics. Nothing is logged unless a logger is given; warnings
 * that matter to the result are also collected in `report.warnings`.
 */
export interface OptimizeLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
}

/** A logger that drops everything (the default). */
export const SILENT_LOGGER: OptimizeLogger = Object.freeze({
  debug() {},
  info() {},
  warn() {},
});

/**
 * @internal Adapts a Kiln logger to glTF Transform's `ILogger`, prefixing its messages, so that
 * glTF Transform never writes to the console itself. glTF Transform's info messages become debug.
 */
export function toGltfTransformLogger(logger: OptimizeLogger): ILogger {
  return {
    debug: (text) => logger.debug(`gltf-transform: ${text}`),
    info: (text) => logger.debug(`gltf-transform: ${text}`),
    warn: (text) => logger.warn(`gltf-transform: ${text}`),
    error: (text) => logger.warn(`gltf-transform: ${text}`),
  };
}
