// The template: one renderer, one Kiln loader, every model of a manifest on a small grid map.
// The manifest comes from `?manifest=<url>`, else VITE_KILN_MANIFEST_URL at build time, so one
// production build serves any manifest. Models with LOD variants become a THREE.LOD (the level on
// screen is highlighted in the side panel as the camera moves); the environment map is the
// manifest's, or a generated one.
import * as THREE from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import { createKilnLoader, isKilnLoadError, type KilnLoader } from '@kiln/three';
import { applyEnvironment } from './environment.js';
import { createTileMap, placeOnTile, tilePositions } from './map.js';
import { addAssetCard, addHeading, type AssetCard } from './panel.js';
import { createViewerState } from './state.js';

type Asset = Awaited<ReturnType<KilnLoader['getManifest']>>['assets'][number];

/** Distance between tile centres, and the footprint a model is fitted to, in metres. */
const TILE = 3;
const FOOTPRINT = 1.9;

const manifestUrl = new URLSearchParams(location.search).get('manifest') ?? (import.meta.env['VITE_KILN_MANIFEST_URL'] as string | undefined) ?? '/manifest.json';
const state = createViewerState(manifestUrl);
const status = document.querySelector<HTMLDivElement>('#status')!;
const bar = document.querySelector<HTMLDivElement>('#bar > div')!;
const panel = document.querySelector<HTMLElement>('#panel')!;

const renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
renderer.setPixelRatio(Math.min(devicePixelRatio, 2));
renderer.setSize(innerWidth, innerHeight);
renderer.toneMapping = THREE.ACESFilmicToneMapping;
document.body.prepend(renderer.domElement);

const scene = new THREE.Scene();
scene.add(new THREE.HemisphereLight(0xdde8ff, 0x4a5a3a, 0.6));
const sun = new THREE.DirectionalLight(0xffffff, 1.6);
sun.position.set(6, 12, 4);
scene.add(sun);
const camera = new THREE.PerspectiveCamera(50, innerWidth / innerHeight, 0.1, 300);
camera.position.set(0, 9, 14);
const controls = new OrbitControls(camera, renderer.domElement);
controls.enableDamping = true;
controls.autoRotate = true;
controls.autoRotateSpeed = 0.6;
controls.maxPolarAngle = Math.PI * 0.47;
/** Keeps the map centred in the part of the window the side panel leaves free. */
function fitView(): void {
  renderer.setSize(innerWidth, innerHeight);
  camera.aspect = innerWidth / innerHeight;
  const covered = panel.childElementCount > 0 && innerWidth > 2 * panel.offsetWidth ? panel.offsetWidth : 0;
  camera.setViewOffset(innerWidth, innerHeight, covered / 2, 0, innerWidth, innerHeight);
  camera.updateProjectionMatrix();
}
addEventListener('resize', fitView);

const loader = createKilnLoader({
  renderer,
  manifestUrl,
  decoderPath: new URL('kiln-decoders/', document.baseURI).href, // @kiln/three's decoders, self-hosted next to the page
  platform: /Android|iPhone|iPad/.test(navigator.userAgent) ? 'mobile' : 'web',
});

const controller = new AbortController();
const releases: (() => void)[] = [];
addEventListener('pagehide', () => {
  controller.abort();
  for (const release of releases) release();
  loader.dispose();
});

/** LOD objects and their cards, to highlight the level on screen. */
const lods: { lod: THREE.LOD; levels: readonly number[]; card: AssetCard }[] = [];
const mixers: THREE.AnimationMixer[] = [];

function showError(text: string): void {
  status.textContent = text;
  status.classList.add('error');
}

function describe(error: unknown): { code: string; message: string } {
  if (isKilnLoadError(error)) return { code: error.code, message: error.message };
  return { code: 'error', message: error instanceof Error ? error.message : String(error) };
}

function focusOn(position: THREE.Vector3): void {
  tour = false;
  const offset = camera.position.clone().sub(controls.target).setLength(6);
  controls.target.copy(position);
  camera.position.copy(position).add(offset);
}

async function loadModel(asset: Asset, position: THREE.Vector3, card: AssetCard): Promise<void> {
  const signal = controller.signal;
  if ((asset.lods ?? []).length > 0) {
    // Progressive: the coarsest level shows first, finer ones swap in as they arrive.
    const kilnLod = await loader.loadLod(asset.id, { signal });
    releases.push(() => kilnLod.release());
    scene.add(kilnLod.lod);
    state.timings.firstModel ??= Math.round(performance.now());
    const scale = placeOnTile(kilnLod.lod, position, FOOTPRINT);
    // One mixer for every level: finer levels join animationRoot as they arrive and move in step.
    const clip = kilnLod.animations[0];
    if (clip) {
      const mixer = new THREE.AnimationMixer(kilnLod.animationRoot);
      mixer.clipAction(clip).play();
      mixers.push(mixer);
    }
    await kilnLod.ready;
    // Switch distances come from the model's own size; keep them in step with the fitted size.
    for (const level of kilnLod.lod.levels) level.distance *= scale;
    lods.push({ lod: kilnLod.lod, levels: kilnLod.levels, card });
    state.levels[asset.id] = kilnLod.loadedLevels();
  } else {
    const model = await loader.load(asset.id, { signal });
    releases.push(() => model.release());
    scene.add(model.scene);
    state.timings.firstModel ??= Math.round(performance.now());
    placeOnTile(model.scene, position, FOOTPRINT);
    const idle = model.animations[0];
    if (idle) {
      const mixer = new THREE.AnimationMixer(model.scene);
      mixer.clipAction(idle).play();
      mixers.push(mixer);
    }
    card.setCurrentLevel(0);
    state.levels[asset.id] = [model.level ?? 0];
  }
}

async function main(): Promise<void> {
  // The manifest (and the PMREM shader if it lists an environment map). Decoders start with the
  // first model that needs one: meshopt + WebP, the web preset, need no Draco or Basis worker.
  await loader.preload({ decoders: false, signal: controller.signal });
  state.timings.preload = Math.round(performance.now());
  const manifest = await loader.getManifest();
  const models = manifest.assets.filter((asset) => asset.type === 'model_3d');
  const sky = manifest.assets.find((asset) => asset.type === 'environment_map');
  state.expected = [...models.map((asset) => asset.id), ...(sky ? [sky.id] : [])];
  addHeading(panel, `${manifest.tenantId}${manifest.runId ? ` / ${manifest.runId}` : ''}: ${models.length} models`);
  fitView();

  const positions = tilePositions(models.length, TILE);
  scene.add(createTileMap(positions, TILE));
  const radius = Math.max(TILE, ...positions.map((p) => p.length()));
  camera.position.set(0, radius * 1.4 + 3, radius * 2 + 4);
  tourDistance = camera.position.length();

  let finished = 0;
  const total = state.expected.length;
  const settle = (id: string, error?: unknown) => {
    finished++;
    bar.style.width = `${(100 * finished) / Math.max(1, total)}%`;
    if (error === undefined) state.loaded.push(id);
    else state.failed.push({ id, ...describe(error) });
  };

  const environment = applyEnvironment(scene, renderer, loader, sky?.id, controller.signal).then(
    (env) => {
      releases.push(env.release);
      state.environment = env.source;
      if (sky) settle(sky.id);
    },
    (error: unknown) => {
      if (sky) settle(sky.id, error);
    },
  );
  const loads = models.map(async (asset, i) => {
    const position = positions[i]!;
    const card = addAssetCard(panel, asset, () => focusOn(position));
    try {
      await loadModel(asset, position, card);
      card.setState('loaded');
      settle(asset.id);
    } catch (error) {
      card.setState('failed', describe(error).message);
      settle(asset.id, error);
    }
  });
  await Promise.all([environment, ...loads]);

  const levels = Object.values(state.levels).reduce((sum, l) => sum + l.length, 0);
  if (state.failed.length > 0) {
    showError(`${state.loaded.length}/${total} assets loaded; failed: ${state.failed.map((f) => `${f.id} (${f.code}): ${f.message}`).join('\n')}`);
  } else {
    status.textContent = `${models.length} models (${levels} LOD levels)${sky ? ' + environment map' : ''}, cache ${(loader.stats().bytes / 1024).toFixed(0)} KiB`;
  }
  state.timings.done = Math.round(performance.now());
  state.done = true;
}

main().catch((error: unknown) => {
  const { code, message } = describe(error);
  state.error = `${code}: ${message}`;
  state.done = true;
  showError(`load failed (${code}): ${message}`);
});

// The camera tours the map, drifting in and out so the LOD levels switch, until the user takes
// over (drag to orbit, wheel to zoom, click a card to focus an asset).
let tour = true;
let tourDistance = 20;
renderer.domElement.addEventListener('pointerdown', () => (tour = false));
renderer.domElement.addEventListener('wheel', () => (tour = false), { passive: true });
const clock = new THREE.Clock();
let sinceHighlight = 0;

// On a software renderer (SwiftShader: headless Chromium, machines without a GPU) one frame takes
// hundreds of milliseconds of the main thread that parsing and texture uploads need too: there the
// scene is first drawn once every asset is in (the panel and the progress bar show the loading).
const gl = renderer.getContext();
const gpu = String(gl.getParameter(gl.getExtension('WEBGL_debug_renderer_info')?.UNMASKED_RENDERER_WEBGL ?? gl.RENDERER));
const softwareRenderer = /SwiftShader|llvmpipe|software/i.test(gpu);

renderer.setAnimationLoop((time) => {
  if (softwareRenderer && !state.done) return;
  const delta = clock.getDelta();
  if (tour) camera.position.sub(controls.target).setLength(tourDistance * (0.75 + 0.45 * Math.sin(time / 3000))).add(controls.target);
  controls.autoRotate = tour;
  controls.update(delta);
  for (const mixer of mixers) mixer.update(delta);
  renderer.render(scene, camera);
  sinceHighlight += delta;
  if (sinceHighlight > 0.25) {
    sinceHighlight = 0;
    for (const { lod, levels, card } of lods) card.setCurrentLevel(levels[lod.getCurrentLevel()]);
  }
});
