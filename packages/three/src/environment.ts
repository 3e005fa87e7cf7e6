import { stripQuery } from '@kiln/manifest';
import { EquirectangularReflectionMapping, type DataTexture, type WebGLRenderTarget } from 'three';
import { EXRLoader } from 'three/examples/jsm/loaders/EXRLoader.js';
import { HDRLoader } from 'three/examples/jsm/loaders/HDRLoader.js';
import type { Cacheable } from './cache.js';
import { KilnLoadError } from './errors.js';
import { messageOf } from './fetch.js';
import { sniffEnvironment, type EnvironmentFormat } from './gltf-header.js';

/**
 * A cached environment map: the equirectangular source (CPU) and, while in use, its PMREM
 * render target (GPU), freed on the last release and rebuilt on the next load. @internal
 */
export interface EnvironmentValue extends Cacheable {
  readonly equirect: DataTexture;
  target: WebGLRenderTarget | undefined;
}

/** Decodes an HDR (Radiance RGBE) or OpenEXR file into an equirectangular DataTexture. @internal */
export function decodeEnvironment(bytes: ArrayBuffer, format: EnvironmentFormat | undefined, label: string, url: string): EnvironmentValue {
  const kind = format ?? sniffEnvironment(bytes);
  if (kind === undefined) {
    throw new KilnLoadError('decode', `${label}: ${stripQuery(url)} is neither Radiance HDR nor OpenEXR`, { details: { url: stripQuery(url) } });
  }
  let equirect: DataTexture;
  try {
    equirect = (kind === 'hdr' ? new HDRLoader() : new EXRLoader()).createDataTexture(bytes);
  } catch (error) {
    throw new KilnLoadError('decode', `${label}: could not decode ${kind.toUpperCase()} ${stripQuery(url)}: ${messageOf(error)}`, { cause: error });
  }
  equirect.mapping = EquirectangularReflectionMapping;
  const image = equirect.image as { data?: ArrayBufferView };
  const value: EnvironmentValue = {
    equirect,
    target: undefined,
    bytes: image.data?.byteLength ?? 0,
    disposeGpu: () => {
      value.target?.dispose();
      value.target = undefined;
      equirect.dispose();
    },
    free: () => {},
  };
  return value;
}
