// The template: one renderer, one Kiln loader, the manifest's assets from the CDN.
import * as THREE from 'three';
import { createKilnLoader, isKilnLoadError, type KilnAsset, type KilnLod } from '@kiln/three';

const manifestUrl = import.meta.env['VITE_KILN_MANIFEST_URL'] as string | undefined;
const status = document.querySelector<HTMLDivElement>('#status')!;
const bar = document.querySelector<HTMLDivElement>('#bar > div')!;

const renderer = new THREE.WebGLRenderer({ antialias: true });
renderer.setPixelRatio(Math.min(devicePixelRatio, 2));
renderer.setSize(innerWidth, innerHeight);
renderer.toneMapping = THREE.ACESFilmicToneMapping;
document.body.append(renderer.domElement);

const scene = new THREE.Scene();
const camera = new THREE.PerspectiveCamera(50, innerWidth / innerHeight, 0.1, 200);
addEventListener('resize', () => {
  camera.aspect = innerWidth / innerHeight;
  camera.updateProjectionMatrix();
  renderer.setSize(innerWidth, innerHeight);
});

const loader = createKilnLoader({
  renderer,
  manifestUrl: manifestUrl ?? '/manifest.json',
  decoderPath: '/kiln-decoders/', // copied from node_modules/@kiln/three/decoders by scripts/dev.mjs
  platform: /Android|iPhone|iPad/.test(navigator.userAgent) ? 'mobile' : 'web',
});

const loaded: { release(): void }[] = [];
const controller = new AbortController();
addEventListener('pagehide', () => {
  controller.abort();
  for (const asset of loaded) asset.release();
  loader.dispose();
});

async function main(): Promise<void> {
  await loader.preload({ signal: controller.signal });

  const sky = await loader.loadEnvironment('sky', { signal: controller.signal });
  loaded.push(sky);
  scene.environment = sky.texture;
  scene.background = sky.texture;
  scene.backgroundBlurriness = 0.3;

  // Progressive LOD: the coarse crystal shows first, finer levels swap in as they arrive.
  const crystal: KilnLod = await loader.loadLod('crystal', {
    signal: controller.signal,
    onLevel: (level) => (status.textContent = `crystal: level ${level} in`),
  });
  loaded.push(crystal);
  crystal.lod.position.set(0, 1.2, 0);
  scene.add(crystal.lod);

  const manifest = await loader.getManifest();
  const rocks = manifest.assets.filter((asset) => asset.id.startsWith('rock-'));
  const bytes = new Map<string, number>();
  const total = rocks.reduce((sum, asset) => sum + asset.bytes, 0);
  const assets: KilnAsset[] = await Promise.all(
    rocks.map((asset) =>
      loader.load(asset.id, {
        signal: controller.signal,
        onProgress: (p) => {
          bytes.set(asset.id, p.loaded);
          bar.style.width = `${(100 * [...bytes.values()].reduce((a, b) => a + b, 0)) / total}%`;
        },
      }),
    ),
  );
  assets.forEach((rock, i) => {
    const angle = (i / assets.length) * Math.PI * 2;
    rock.scene.position.set(Math.cos(angle) * 4, 0.3, Math.sin(angle) * 4);
    rock.scene.scale.setScalar(0.6);
    scene.add(rock.scene);
    loaded.push(rock);
  });
  await crystal.ready;
  status.textContent = `${assets.length + 1} models, LOD levels ${crystal.loadedLevels().join('/')}, cache ${(loader.stats().bytes / 1024).toFixed(0)} KiB`;
}

main().catch((error: unknown) => {
  status.textContent = isKilnLoadError(error) ? `load failed (${error.code}): ${error.message}` : String(error);
});

renderer.setAnimationLoop((time) => {
  // The camera drifts in and out, so the crystal's LOD levels switch (at 6 and 14 m).
  const distance = 10 + 8 * Math.sin(time / 4000);
  camera.position.set(Math.sin(time / 6000) * distance, 3, Math.cos(time / 6000) * distance);
  camera.lookAt(0, 1, 0);
  renderer.render(scene, camera);
});
