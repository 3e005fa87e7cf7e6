// The test page's module (bundled with esbuild at test time): a renderer, a pixel check, worker
// counting, and @kiln/three itself, on `window.kt` for the tests' `page.evaluate` calls.
import * as THREE from 'three';
import { createKilnLoader, isKilnLoadError, type KilnLoader, type KilnLoaderOptions } from '../../src/index.js';

/** Workers created and terminated since the page loaded (three's decoders use Blob workers). */
const workers = { created: 0, terminated: 0 };
const NativeWorker = window.Worker;
class CountingWorker extends NativeWorker {
  constructor(url: string | URL, options?: WorkerOptions) {
    super(url, options);
    workers.created += 1;
  }
  override terminate(): void {
    workers.terminated += 1;
    super.terminate();
  }
}
window.Worker = CountingWorker;

/** WebGL buffers alive (renderer.info.memory counts geometries, not per-object instance buffers). */
const glBuffers = { live: 0 };
const liveBuffers = new WeakSet<WebGLBuffer>();
const createBuffer = WebGL2RenderingContext.prototype.createBuffer;
const deleteBuffer = WebGL2RenderingContext.prototype.deleteBuffer;
WebGL2RenderingContext.prototype.createBuffer = function (this: WebGL2RenderingContext) {
  const buffer = createBuffer.call(this);
  if (buffer) {
    liveBuffers.add(buffer);
    glBuffers.live += 1;
  }
  return buffer;
};
WebGL2RenderingContext.prototype.deleteBuffer = function (this: WebGL2RenderingContext, buffer: WebGLBuffer | null) {
  if (buffer && liveBuffers.delete(buffer)) glBuffers.live -= 1;
  deleteBuffer.call(this, buffer);
};

const SIZE = 128;
const canvas = document.createElement('canvas');
canvas.width = SIZE;
canvas.height = SIZE;
document.body.append(canvas);
const renderer = new THREE.WebGLRenderer({ canvas, antialias: false, preserveDrawingBuffer: true });
renderer.setPixelRatio(1);
renderer.setSize(SIZE, SIZE, false);
renderer.setClearColor(0x000000, 1);

export interface RenderStats {
  /** Pixels that are not the black background. */
  nonBackground: number;
  /** Distinct colours among them. */
  unique: number;
  total: number;
}

/** Renders `objects` framed by the camera and counts the pixels that are not background. */
function render(objects: THREE.Object3D[], options: { environment?: THREE.Texture; background?: boolean } = {}): RenderStats {
  const scene = new THREE.Scene();
  scene.add(new THREE.AmbientLight(0xffffff, 0.6));
  const sun = new THREE.DirectionalLight(0xffffff, 2);
  sun.position.set(2, 3, 4);
  scene.add(sun);
  if (options.environment) {
    scene.environment = options.environment;
    if (options.background) scene.background = options.environment;
  }
  const group = new THREE.Group();
  for (const object of objects) group.add(object);
  scene.add(group);
  const box = new THREE.Box3().setFromObject(group);
  const sphere = box.isEmpty() ? new THREE.Sphere(new THREE.Vector3(), 1) : box.getBoundingSphere(new THREE.Sphere());
  const camera = new THREE.PerspectiveCamera(50, 1, 0.01, 1000);
  camera.position.copy(sphere.center).add(new THREE.Vector3(0, sphere.radius * 0.4, sphere.radius * 2.6));
  camera.lookAt(sphere.center);
  renderer.render(scene, camera);
  const gl = renderer.getContext();
  const pixels = new Uint8Array(SIZE * SIZE * 4);
  gl.readPixels(0, 0, SIZE, SIZE, gl.RGBA, gl.UNSIGNED_BYTE, pixels);
  let nonBackground = 0;
  const colours = new Set<number>();
  for (let i = 0; i < pixels.length; i += 4) {
    const r = pixels[i] as number;
    const g = pixels[i + 1] as number;
    const b = pixels[i + 2] as number;
    if (r + g + b > 12) {
      nonBackground += 1;
      colours.add((r << 16) | (g << 8) | b);
    }
  }
  for (const object of objects) group.remove(object);
  return { nonBackground, unique: colours.size, total: SIZE * SIZE };
}

/** What a rejected load looks like from the test's side. */
export interface ErrorInfo {
  name: string;
  code: string | undefined;
  message: string;
  isKilnLoadError: boolean;
  details: Record<string, unknown>;
}

function errorInfo(error: unknown): ErrorInfo {
  const e = error as { name?: string; code?: string; message?: string; details?: Record<string, unknown> };
  return { name: String(e?.name), code: e?.code, message: String(e?.message ?? error), isKilnLoadError: isKilnLoadError(error), details: { ...(e?.details ?? {}) } };
}

/** Textures and geometries the renderer holds, and the WebGL buffers alive. */
function memory(): { geometries: number; textures: number; buffers: number } {
  return { geometries: renderer.info.memory.geometries, textures: renderer.info.memory.textures, buffers: glBuffers.live };
}

/** A loader for this page's renderer (options without the renderer). */
function loader(options: Omit<KilnLoaderOptions, 'renderer'>): KilnLoader {
  return createKilnLoader({ renderer, ...options });
}

/** A render of a plain standard-material box: allocates three's persistent internal textures. */
function warmRenderer(): void {
  const mesh = new THREE.Mesh(new THREE.BoxGeometry(), new THREE.MeshStandardMaterial({ color: 0x888888 }));
  render([mesh]);
  mesh.geometry.dispose();
  mesh.material.dispose();
}

const api = { THREE, renderer, workers, render, memory, errorInfo, loader, warmRenderer, isKilnLoadError };
export type PageApi = typeof api;

declare global {
  interface Window {
    kt: PageApi;
  }
}

window.kt = api;
