// The scene's environment map: the manifest's `environment_map` through @kiln/three (HDR or EXR,
// PMREM-prefiltered), or, when the manifest has none, three's RoomEnvironment prefiltered here.
import * as THREE from 'three';
import { RoomEnvironment } from 'three/examples/jsm/environments/RoomEnvironment.js';
import type { KilnEnvironment, KilnLoader } from '@kiln/three';

/** An environment in use; `release()` gives it back. */
export interface SceneEnvironment {
  source: 'manifest' | 'generated';
  release(): void;
}

/** Loads the manifest's environment map `assetId`, or generates one when it is `undefined`. */
export async function applyEnvironment(
  scene: THREE.Scene,
  renderer: THREE.WebGLRenderer,
  loader: KilnLoader,
  assetId: string | undefined,
  signal: AbortSignal,
): Promise<SceneEnvironment> {
  if (assetId !== undefined) {
    const sky: KilnEnvironment = await loader.loadEnvironment(assetId, { signal });
    scene.environment = sky.texture;
    scene.background = sky.texture;
    scene.backgroundBlurriness = 0.3;
    return { source: 'manifest', release: () => sky.release() };
  }
  const pmrem = new THREE.PMREMGenerator(renderer);
  const room = new RoomEnvironment();
  const target = pmrem.fromScene(room, 0.04);
  room.dispose();
  pmrem.dispose();
  scene.environment = target.texture;
  scene.environmentIntensity = 0.8;
  scene.background = new THREE.Color(0x8fb4d9);
  scene.fog = new THREE.Fog(0x8fb4d9, 30, 80);
  return { source: 'generated', release: () => target.dispose() };
}
