// The benchmark page's module (bundled with esbuild by three.bench.ts): the same scene loaded by
// @kiln/three and by a hand-wired three.js setup, each timed from a cold start to the first frame.
import type { Manifest } from '@kiln/manifest';
import * as THREE from 'three';
import { DRACOLoader } from 'three/examples/jsm/loaders/DRACOLoader.js';
import { GLTFLoader } from 'three/examples/jsm/loaders/GLTFLoader.js';
import { KTX2Loader } from 'three/examples/jsm/loaders/KTX2Loader.js';
import { createKilnLoader } from '../src/index.js';

const SIZE = 256;
const canvas = document.createElement('canvas');
document.body.append(canvas);
const renderer = new THREE.WebGLRenderer({ canvas, antialias: false });
renderer.setPixelRatio(1);
renderer.setSize(SIZE, SIZE, false);

/** The game's scene before any asset: two lights and a camera. */
function stage(): { scene: THREE.Scene; camera: THREE.PerspectiveCamera } {
  const s = new THREE.Scene();
  s.add(new THREE.AmbientLight(0xffffff, 0.8), new THREE.DirectionalLight(0xffffff, 2));
  const camera = new THREE.PerspectiveCamera(50, 1, 0.1, 100);
  camera.position.set(0, 0, 14);
  return { scene: s, camera };
}

/** Renders and waits until the GPU has drawn the frame (a 1-pixel read forces completion). */
function frame(objects: THREE.Object3D[], camera?: THREE.Camera, built = stage()): void {
  objects.forEach((object, i) => {
    object.position.set((i % 5) * 2.5 - 5, Math.floor(i / 5) * 2.5 - 1.25, 0);
    built.scene.add(object);
  });
  renderer.render(built.scene, camera ?? built.camera);
  const gl = renderer.getContext();
  gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array(4));
}

async function kiln(manifest: Manifest, ids: string[], decoderPath: string, options: { maxWorkers?: number; preload?: boolean } = {}): Promise<number> {
  const t0 = performance.now();
  // As a game would: the scene (lights, camera) exists before the assets, so that each model's
  // shaders compile for it while the others still load.
  const built = stage();
  const loader = createKilnLoader({ renderer, manifest, decoderPath, precompile: built, ...(options.maxWorkers === undefined ? {} : { maxWorkers: options.maxWorkers }) });
  if (options.preload ?? true) void loader.preload().catch(() => {});
  const assets = await Promise.all(ids.map((id) => loader.load(id)));
  frame(
    assets.map((asset) => asset.scene),
    undefined,
    built,
  );
  return performance.now() - t0;
}

async function handWired(urls: string[], decoderPath: string): Promise<number> {
  const t0 = performance.now();
  // The usual setup from three's examples: one of each loader, default worker limits.
  const { MeshoptDecoder } = await import('three/examples/jsm/libs/meshopt_decoder.module.js');
  const draco = new DRACOLoader().setDecoderPath(`${decoderPath}draco/`);
  const ktx2 = new KTX2Loader().setTranscoderPath(`${decoderPath}basis/`).detectSupport(renderer);
  const gltf = new GLTFLoader().setDRACOLoader(draco).setKTX2Loader(ktx2).setMeshoptDecoder(MeshoptDecoder);
  const loaded = await Promise.all(urls.map((url) => gltf.loadAsync(url)));
  frame(loaded.map((result) => result.scene));
  return performance.now() - t0;
}

async function progressiveLod(manifest: Manifest, id: string, decoderPath: string): Promise<{ first: number; full: number }> {
  const t0 = performance.now();
  const loader = createKilnLoader({ renderer, manifest, decoderPath });
  void loader.preload().catch(() => {});
  const camera = new THREE.PerspectiveCamera(50, 1, 0.1, 100);
  camera.position.set(0, 0, 3);
  const lod = await loader.loadLod(id);
  frame([lod.lod], camera);
  const first = performance.now() - t0;
  await lod.ready;
  frame([lod.lod], camera);
  return { first, full: performance.now() - t0 };
}

async function fullModel(manifest: Manifest, id: string, decoderPath: string): Promise<number> {
  const t0 = performance.now();
  const loader = createKilnLoader({ renderer, manifest, decoderPath });
  void loader.preload().catch(() => {});
  const camera = new THREE.PerspectiveCamera(50, 1, 0.1, 100);
  camera.position.set(0, 0, 3);
  const asset = await loader.load(id, { lod: 0 });
  frame([asset.scene], camera);
  return performance.now() - t0;
}

const api = { kiln, handWired, progressiveLod, fullModel, cores: navigator.hardwareConcurrency };
export type BenchApi = typeof api;
declare global {
  interface Window {
    bench: BenchApi;
  }
}
window.bench = api;
