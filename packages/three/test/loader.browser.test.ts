// @kiln/three in real headless Chromium (Debian's, WebGL on SwiftShader): the test page is served
// from one origin (the app server), the assets from others (the @kiln/storage CDN server, a
// fault-injecting proxy in front of it, and RGW with presigned URLs in rgw.browser.test.ts).
import { Document, Format, NodeIO } from '@gltf-transform/core';
import { KHRMeshQuantization } from '@gltf-transform/extensions';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Manifest } from '@kiln/manifest';
import type {} from './browser/page.js';
import { prepareApp, startAppServer, type AppServer } from './helpers/app.js';
import { browserMissing, launchBrowser, openPage, type PageLog } from './helpers/browser.js';
import { startChaosProxy, type ChaosProxy } from './helpers/chaos.js';
import { checker, encodePng, skinnedStripDocument, spherePrimitive, uvSphere } from './fixtures/generate.js';
import { ensureFixtures } from './helpers/fixtures.js';
import { startAssetStack, type AssetStack } from './helpers/stack.js';

const missing = browserMissing();

describe.skipIf(missing !== undefined)(`@kiln/three in Chromium${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let browser: Browser;
  let app: AppServer;
  let stack: AssetStack;
  let chaos: ChaosProxy;
  let page: Page;
  let log: PageLog;
  /** Arguments every page-side scenario gets. */
  let env: { manifest: Manifest; cdn: string; chaos: string; decoders: string; manifestUrl: string };
  let appDir: string;
  let fixtureDir: string;

  beforeAll(async () => {
    const fixtures = await ensureFixtures();
    fixtureDir = fixtures.dir;
    appDir = await prepareApp('test/browser/page.ts', 'app-loader-test');
    [app, stack, browser] = await Promise.all([startAppServer(appDir), startAssetStack(fixtures.dir, fixtures.files), launchBrowser()]);
    chaos = await startChaosProxy({ cdn: stack.cdn.url, app: app.url });
    env = { manifest: stack.manifest, cdn: stack.cdn.url, chaos: chaos.url, decoders: `${app.url}/decoders/`, manifestUrl: stack.manifestUrl };
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([app?.close(), stack?.close(), chaos?.close()]);
  });

  beforeEach(async () => {
    ({ page, log } = await openPage(browser, app.url));
    chaos.log.length = 0;
    app.log.length = 0;
  });

  afterEach(async () => {
    await page?.close();
    expect(log.errors, 'uncaught page errors').toEqual([]);
    // Kiln logs nothing itself, and three has nothing to warn about (one KTX2Loader at a time, …).
    expect(log.console.filter((m) => m.type === 'warning' && m.text.includes('THREE.'))).toEqual([]);
  });

  it('serves the page and the assets from different origins', () => {
    expect(new URL(app.url).origin).not.toBe(new URL(stack.cdn.url).origin);
    expect(new URL(app.url).origin).not.toBe(new URL(chaos.url).origin);
  });

  it('loads Draco, meshopt, KTX2 ETC1S and KTX2 UASTC GLBs and renders each', async () => {
    const results = await page.evaluate(async ({ manifest, decoders }) => {
      const { kt } = window;
      const loader = kt.loader({ manifest, decoderPath: decoders });
      const out: Record<string, unknown> = {};
      for (const id of ['sphere-draco', 'sphere-meshopt', 'sphere-etc1s', 'sphere-uastc', 'sphere-draco-etc1s']) {
        const asset = await loader.load(id);
        const mesh = asset.scene.getObjectByProperty('isMesh', true) as InstanceType<typeof kt.THREE.Mesh> | undefined;
        const material = mesh?.material as InstanceType<typeof kt.THREE.MeshStandardMaterial> | undefined;
        const map = material?.map;
        out[id] = {
          pixels: kt.render([asset.scene]),
          triangles: (mesh?.geometry.index?.count ?? 0) / 3,
          compressed: map ? (map as { isCompressedTexture?: boolean }).isCompressedTexture === true : null,
          format: map?.format,
          cacheKey: asset.cacheKey,
          level: asset.level,
        };
        asset.release();
      }
      loader.dispose();
      return out;
    }, env);
    for (const [id, result] of Object.entries(results)) {
      const r = result as { pixels: { nonBackground: number; unique: number; total: number }; triangles: number; compressed: boolean | null; cacheKey: string; level: number };
      expect(r.pixels.nonBackground, `${id}: pixels drawn`).toBeGreaterThan(r.pixels.total * 0.1);
      expect(r.pixels.unique, `${id}: textured, shaded colours`).toBeGreaterThan(50);
      expect(r.triangles, `${id}: geometry decoded`).toBeGreaterThan(1000);
      expect(r.level).toBe(0);
      expect(r.cacheKey).toMatch(new RegExp(`^${id}#0@[0-9a-f]{64}$`));
      expect(r.compressed, `${id}: texture kind`).toBe(id.includes('etc1s') || id.includes('uastc'));
    }
  });
  it('builds a THREE.LOD from the manifest, progressively, and caps the finest level on mobile', async () => {
    const result = await page.evaluate(async ({ manifest, decoders, chaos }) => {
      const { kt } = window;
      const loader = kt.loader({ manifest, decoderPath: decoders, cdnBaseUrl: `${chaos}/pass/cdn` });
      const shown: number[] = [];
      const lod = await loader.loadLod('lod', { onLevel: (level) => shown.push(level) });
      const firstLevels = lod.loadedLevels();
      const firstCount = lod.lod.levels.length;
      await lod.ready;
      const camera = new kt.THREE.PerspectiveCamera(50, 1, 0.1, 100);
      const visibleAt = (distance: number) => {
        camera.position.set(0, 0, distance);
        camera.updateMatrixWorld();
        lod.lod.update(camera);
        return lod.lod.getCurrentLevel();
      };
      const desktop = {
        firstLevels,
        firstCount,
        shown: [...shown],
        levels: lod.lod.levels.map((level) => level.distance),
        current: [visibleAt(2), visibleAt(6), visibleAt(20)],
        pixels: kt.render([lod.lod]),
      };
      lod.release();
      loader.dispose();
      const mobileLoader = kt.loader({ manifest, decoderPath: decoders, cdnBaseUrl: `${chaos}/pass/cdn`, platform: 'mobile' });
      const mobile = await mobileLoader.loadLod('lod', { progressive: false });
      const mobileResult = { levels: mobile.levels, distances: mobile.lod.levels.map((level) => level.distance) };
      mobile.release();
      mobileLoader.dispose();
      // Screen coverage instead of distances: turned into distances from the bounding sphere and fov.
      const byCoverage = structuredClone(manifest);
      const asset = byCoverage.assets.find((a) => a.id === 'lod');
      if (!asset?.lods) throw new Error('fixture missing');
      asset.lods = asset.lods.map(({ switchDistance: _, ...variant }, i) => ({ ...variant, screenCoverage: i === 0 ? 0.5 : 0.2 }));
      const coverageLoader = kt.loader({ manifest: byCoverage, decoderPath: decoders });
      const coverage = await coverageLoader.loadLod('lod', { progressive: false, fov: 50 });
      const coverageDistances = coverage.lod.levels.map((level) => level.distance);
      coverage.release();
      coverageLoader.dispose();
      return { desktop, mobile: mobileResult, coverageDistances };
    }, env);
    // Progressive: the coarsest level (2) is in and shown alone before the finer ones.
    expect(result.desktop.firstLevels).toEqual([2]);
    expect(result.desktop.firstCount).toBe(1);
    expect(result.desktop.shown[0]).toBe(2);
    expect([...result.desktop.shown].sort()).toEqual([0, 1, 2]);
    expect(result.desktop.levels).toEqual([0, 4, 10]);
    expect(result.desktop.current).toEqual([0, 1, 2]);
    expect(result.desktop.pixels.nonBackground).toBeGreaterThan(result.desktop.pixels.total * 0.05);
    // Mobile: LOD0 is never used (the manifest's default floor), and never downloaded.
    expect(result.mobile.levels).toEqual([1, 2]);
    expect(result.mobile.distances).toEqual([0, 10]);
    // Coverage c of a unit sphere at fov 50°: distance = 1 / (c * tan(25°)).
    const tan = Math.tan((25 * Math.PI) / 180);
    expect(result.coverageDistances[0]).toBe(0);
    expect(result.coverageDistances[1]).toBeCloseTo(1 / (0.5 * tan), 1);
    expect(result.coverageDistances[2]).toBeCloseTo(1 / (0.2 * tan), 1);
    const lod0Key = stack.manifest.assets.find((asset) => asset.id === 'lod')?.key as string;
    const requested = chaos.log.map((entry) => entry.path);
    expect(requested.filter((path) => path === `/${lod0Key}`)).toHaveLength(1);
  });

  it('animates every level of a skinned LOD in step through animationRoot, levels that arrive later included', async () => {
    const result = await page.evaluate(async ({ manifest, decoders }) => {
      const { kt } = window;
      const loader = kt.loader({ manifest, decoderPath: decoders });
      const lod = await loader.loadLod('skinned-lod');
      const mixer = new kt.THREE.AnimationMixer(lod.animationRoot);
      const clip = lod.animations.find((candidate) => candidate.name === 'bend');
      if (!clip) throw new Error(`no "bend" clip: ${lod.animations.map((c) => c.name).join(', ')}`);
      mixer.clipAction(clip).play();
      mixer.update(0.25);
      const firstLevels = lod.loadedLevels();
      await lod.ready;
      mixer.update(0.25);
      const tipAngle = (object: InstanceType<typeof kt.THREE.Object3D>) => {
        const tip = object.getObjectByName('tip');
        return tip ? 2 * Math.asin(tip.quaternion.z) : null;
      };
      const angles = lod.lod.levels.map((level) => tipAngle(level.object));
      const strips = lod.lod.levels.map((level) => (level.object.getObjectByProperty('isSkinnedMesh', true) as InstanceType<typeof kt.THREE.SkinnedMesh> | undefined)?.skeleton.uuid);
      const pixels = kt.render([lod.lod]);
      mixer.stopAllAction();
      const clips = lod.animations.map((c) => c.name);
      lod.release();
      // `stats` is in three (AnimationObjectGroup.js) but not in its type declarations.
      const afterRelease = (lod.animationRoot as unknown as { stats: { objects: { total: number } } }).stats.objects.total;
      loader.dispose();
      return { clips, firstLevels, angles, skeletons: new Set(strips).size, levels: lod.levels, pixels, afterRelease };
    }, env);
    expect(result.clips).toEqual(['bend']);
    expect(result.firstLevels).toEqual([2]); // progressive: the others joined the mixer's target later
    expect(result.levels).toEqual([0, 1, 2]);
    expect(result.skeletons, 'each level has its own skeleton').toBe(3);
    // Half way through a bend of 45° about z, on every level.
    expect(result.angles).toHaveLength(3);
    for (const angle of result.angles) expect(angle).toBeCloseTo(Math.PI / 8, 3);
    expect(result.pixels.nonBackground).toBeGreaterThan(0);
    expect(result.afterRelease).toBe(0);
  });

  it('precompile: compiles each model for the given scene as it loads, so its first frame compiles no shader', async () => {
    const result = await page.evaluate(async ({ manifest, decoders }) => {
      const { kt } = window;
      const { THREE } = kt;
      const programs = () => kt.renderer.info.programs?.length ?? 0;
      const camera = new THREE.PerspectiveCamera(50, 1, 0.1, 100);
      camera.position.set(0, 0, 4);
      // With precompile: the programs exist once load() resolves, and the frame adds none.
      const scene = new THREE.Scene();
      scene.add(new THREE.AmbientLight(0xffffff, 0.5), new THREE.DirectionalLight(0xffffff, 2), new THREE.PointLight(0xff8800, 3));
      const loader = kt.loader({ manifest, decoderPath: decoders, precompile: { scene, camera } });
      const start = programs();
      const a = await loader.load('sphere-etc1s');
      const b = await loader.load('skinned');
      const afterLoad = programs();
      scene.add(a.scene, b.scene);
      kt.renderer.render(scene, camera);
      const afterFrame = programs();
      a.release();
      b.release();
      loader.dispose(); // one KTX2Loader at a time
      // Without: another light set (other programs), compiled in the first frame.
      const other = new THREE.Scene();
      other.add(new THREE.HemisphereLight(0xffffff, 0x444444, 1), new THREE.SpotLight(0xffffff, 5));
      const plain = kt.loader({ manifest, decoderPath: decoders });
      const plainStart = programs();
      const c = await plain.load('sphere-etc1s');
      const plainAfterLoad = programs();
      other.add(c.scene);
      kt.renderer.render(other, camera);
      const plainAfterFrame = programs();
      c.release();
      plain.dispose();
      return { start, afterLoad, afterFrame, plainStart, plainAfterLoad, plainAfterFrame };
    }, env);
    expect(result.afterLoad, 'programs compiled during load').toBeGreaterThanOrEqual(result.start + 2);
    expect(result.afterFrame, 'the frame found them ready').toBe(result.afterLoad);
    expect(result.plainAfterLoad, 'without precompile, load compiles nothing').toBe(result.plainStart);
    expect(result.plainAfterFrame, 'without precompile the frame compiles').toBeGreaterThan(result.plainAfterLoad);
  });

  it('loads HDR and EXR environment maps through PMREM and lights a scene with them', async () => {
    const result = await page.evaluate(async ({ manifest, decoders }) => {
      const { kt } = window;
      const loader = kt.loader({ manifest, decoderPath: decoders });
      const out: Record<string, unknown> = {};
      for (const id of ['env-hdr', 'env-exr']) {
        const environment = await loader.loadEnvironment(id);
        // A mirror ball lit only by the prefiltered map.
        const ball = new kt.THREE.Mesh(new kt.THREE.SphereGeometry(1, 32, 16), new kt.THREE.MeshStandardMaterial({ metalness: 1, roughness: 0.2 }));
        const lit = kt.render([ball], { environment: environment.texture });
        ball.geometry.dispose();
        ball.material.dispose();
        out[id] = { pmrem: (environment.texture as { isPMREMTexture?: boolean }).isPMREMTexture === true, lit, cacheKey: environment.cacheKey };
        environment.release();
      }
      loader.dispose();
      return { out };
    }, env);
    for (const id of ['env-hdr', 'env-exr']) {
      const r = result.out[id] as { pmrem: boolean; lit: { nonBackground: number; unique: number; total: number }; cacheKey: string };
      expect(r.pmrem, id).toBe(true);
      expect(r.lit.nonBackground, id).toBeGreaterThan(r.lit.total * 0.1);
      expect(r.lit.unique, id).toBeGreaterThan(20);
      expect(r.cacheKey).toMatch(new RegExp(`^${id}#0@[0-9a-f]{64}\\|env$`));
    }
  });

  it('aborts in the middle of a download with an aborted error, then loads again', async () => {
    const result = await page.evaluate(async ({ manifest, decoders, chaos }) => {
      const { kt } = window;
      const loader = kt.loader({ manifest, decoderPath: decoders, cdnBaseUrl: `${chaos}/slow/cdn` });
      const controller = new AbortController();
      const seen: { loaded: number; total: number | undefined }[] = [];
      let error: unknown;
      try {
        await loader.load('big-draco', {
          signal: controller.signal,
          onProgress: (p) => {
            seen.push({ loaded: p.loaded, total: p.total });
            if (p.loaded > 0 && p.total !== undefined && p.loaded < p.total) controller.abort();
          },
        });
      } catch (e) {
        error = e;
      }
      const aborted = kt.errorInfo(error);
      const statsAfterAbort = loader.stats();
      const again = await loader.load('big-draco');
      const pixels = kt.render([again.scene]);
      again.release();
      loader.dispose();
      return { aborted, seen, statsAfterAbort, pixels };
    }, env);
    expect(result.aborted).toMatchObject({ code: 'aborted', isKilnLoadError: true, name: 'KilnLoadError' });
    const last = result.seen[result.seen.length - 1] as { loaded: number; total: number };
    expect(last.loaded).toBeGreaterThan(0);
    expect(last.loaded).toBeLessThan(last.total);
    expect(result.statsAfterAbort).toMatchObject({ entries: 0, pending: 0 });
    expect(result.pixels.nonBackground).toBeGreaterThan(result.pixels.total * 0.1);
    expect(chaos.log.filter((entry) => entry.path.endsWith('big-draco.glb') || entry.mode === 'slow').length).toBe(2);
  });

  it('an abort while the Draco decoder downloads does not break the decoder', async () => {
    const result = await page.evaluate(async ({ manifest, chaos }) => {
      const { kt } = window;
      // Decoders come through the slow proxy: the abort lands while they download.
      const loader = kt.loader({ manifest, decoderPath: `${chaos}/slow/app/decoders/` });
      const controller = new AbortController();
      let error: unknown;
      const pending = loader.load('sphere-draco', {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.fraction === 1) setTimeout(() => controller.abort(), 30);
        },
      });
      try {
        await pending;
      } catch (e) {
        error = e;
      }
      const again = await loader.load('sphere-draco');
      const other = await loader.load('big-draco');
      const pixels = kt.render([again.scene, other.scene]);
      again.release();
      other.release();
      loader.dispose();
      return { aborted: kt.errorInfo(error), pixels };
    }, env);
    expect(result.aborted.code).toBe('aborted');
    expect(result.pixels.nonBackground).toBeGreaterThan(result.pixels.total * 0.1);
    // The decoder was downloaded once, by Kiln's own channel, and never re-requested.
    const wasm = chaos.log.filter((entry) => /draco_decoder\.wasm(\.gz)?$/.test(entry.path));
    expect(wasm.map((entry) => [entry.path.replace(/^.*\//, ''), entry.status])).toEqual([['draco_decoder.wasm.gz', 200]]);
  });

  it('refreshes an expired presigned URL through resolveUrl (403, then a fresh URL)', async () => {
    const result = await page.evaluate(async ({ manifest, decoders, chaos }) => {
      const { kt } = window;
      const reasons: string[] = [];
      const loader = kt.loader({
        manifest,
        decoderPath: decoders,
        resolveUrl: ({ key, reason }) => {
          reasons.push(reason);
          const sig = reason === 'initial' ? 'stale' : 'fresh';
          return `${chaos}/forbid/cdn/${key}?X-Amz-Expires=60&X-Amz-Signature=abc&sig=${sig}`;
        },
      });
      const asset = await loader.load('sphere-meshopt');
      const pixels = kt.render([asset.scene]);
      asset.release();
      const noRefresh = kt.loader({ manifest, decoderPath: decoders, cdnBaseUrl: `${chaos}/forbid/cdn` });
      let error: unknown;
      try {
        await noRefresh.load('sphere-meshopt');
      } catch (e) {
        error = e;
      }
      loader.dispose();
      noRefresh.dispose();
      return { reasons, pixels, error: kt.errorInfo(error) };
    }, env);
    expect(result.reasons).toEqual(['initial', 'http-403']);
    expect(result.pixels.nonBackground).toBeGreaterThan(result.pixels.total * 0.1);
    expect(chaos.log.filter((entry) => entry.mode === 'forbid').map((entry) => entry.status)).toEqual([403, 200, 403]);
    expect(result.error).toMatchObject({ code: 'http', details: { status: 403 } });
    expect(result.error.message).not.toContain('X-Amz-Signature');
  });

  it('retries a 503 with backoff, and reports http after the last retry', async () => {
    const token = `t${Date.now()}`;
    const result = await page.evaluate(async ({ manifest, decoders, chaos, token }) => {
      const { kt } = window;
      const loader = kt.loader({ manifest, decoderPath: decoders, cdnBaseUrl: `${chaos}/flaky-2-${token}/cdn`, retry: { minDelayMs: 20, maxDelayMs: 50 } });
      const asset = await loader.load('sphere-etc1s');
      const pixels = kt.render([asset.scene]);
      asset.release();
      loader.dispose();
      const giveUp = kt.loader({ manifest, decoderPath: decoders, cdnBaseUrl: `${chaos}/flaky-9-${token}x/cdn`, retry: { retries: 2, minDelayMs: 20, maxDelayMs: 50 } });
      let error: unknown;
      try {
        await giveUp.load('sphere-etc1s');
      } catch (e) {
        error = e;
      }
      giveUp.dispose();
      return { pixels, error: kt.errorInfo(error) };
    }, { ...env, token });
    expect(result.pixels.nonBackground).toBeGreaterThan(result.pixels.total * 0.1);
    expect(chaos.log.filter((entry) => entry.mode === `flaky-2-${token}`).map((entry) => entry.status)).toEqual([503, 503, 200]);
    expect(result.error).toMatchObject({ code: 'http', details: { status: 503, attempts: 3 } });
    expect(chaos.log.filter((entry) => entry.mode === `flaky-9-${token}x`)).toHaveLength(3);
  });

  it('rejects an integrity mismatch before parsing, and accepts matching bytes', async () => {
    const result = await page.evaluate(async ({ manifest, decoders }) => {
      const { kt } = window;
      const tampered = structuredClone(manifest);
      const meshopt = tampered.assets.find((asset) => asset.id === 'sphere-meshopt');
      const other = tampered.assets.find((asset) => asset.id === 'sphere-draco');
      if (!meshopt || !other) throw new Error('fixtures missing');
      meshopt.sha256 = other.sha256;
      const loader = kt.loader({ manifest: tampered, decoderPath: decoders, integrity: true });
      let error: unknown;
      try {
        await loader.load('sphere-meshopt');
      } catch (e) {
        error = e;
      }
      const good = await loader.load('sphere-draco');
      good.release();
      const stats = loader.stats();
      loader.dispose();
      return { error: kt.errorInfo(error), stats };
    }, env);
    expect(result.error).toMatchObject({ code: 'integrity', isKilnLoadError: true });
    expect(result.error.message).toMatch(/SHA-256 mismatch/);
    expect(result.stats.entries).toBe(1);
  });

  it('never lets a load that asks for integrity join an unverified download of the same asset', async () => {
    const result = await page.evaluate(async ({ manifest, decoders }) => {
      const { kt } = window;
      const tampered = structuredClone(manifest);
      const meshopt = tampered.assets.find((asset) => asset.id === 'sphere-meshopt');
      const other = tampered.assets.find((asset) => asset.id === 'sphere-draco');
      if (!meshopt || !other) throw new Error('fixtures missing');
      meshopt.sha256 = other.sha256;
      const loader = kt.loader({ manifest: tampered, decoderPath: decoders, integrity: false });
      const [unchecked, checked] = await Promise.allSettled([
        loader.load('sphere-meshopt'),
        loader.load('sphere-meshopt', { integrity: true }),
      ]);
      if (unchecked.status === 'fulfilled') unchecked.value.release();
      loader.dispose();
      return { unchecked: unchecked.status, error: checked.status === 'rejected' ? kt.errorInfo(checked.reason) : null };
    }, env);
    expect(result.unchecked).toBe('fulfilled');
    expect(result.error).toMatchObject({ code: 'integrity' });
  });

  it('after release(), renderer.info.memory and the WebGL buffers return to their baseline (skinned and instanced clones, and a light that cast shadows, too)', async () => {
    const result = await page.evaluate(async ({ manifest, decoders }) => {
      const { kt } = window;
      kt.warmRenderer();
      const baseline = kt.memory();
      const loader = kt.loader({ manifest, decoderPath: decoders });
      const a = await loader.load('sphere-etc1s');
      const b = await loader.load('sphere-etc1s');
      const c = await loader.load('sphere-draco');
      const d = await loader.load('skinned');
      const e = await loader.load('skinned');
      // EXT_mesh_gpu_instancing: each clone is an InstancedMesh with its own instance buffer.
      const f = await loader.load('instanced');
      const g = await loader.load('instanced');
      const instancedPixels = kt.render([f.scene]);
      // A game that lets a loaded light cast shadows: three gives the clone's light a shadow map.
      kt.renderer.shadowMap.enabled = true;
      const lamp = g.scene.getObjectByProperty('isSpotLight', true) as InstanceType<typeof kt.THREE.SpotLight>;
      lamp.castShadow = true;
      kt.render([g.scene]);
      kt.renderer.shadowMap.enabled = false;
      const shadowMap = lamp.shadow.map !== null;
      kt.render([a.scene, b.scene, c.scene, d.scene, e.scene, f.scene, g.scene]);
      const loaded = kt.memory();
      const shared = {
        geometry: (a.scene.getObjectByProperty('isMesh', true) as InstanceType<typeof kt.THREE.Mesh>).geometry === (b.scene.getObjectByProperty('isMesh', true) as InstanceType<typeof kt.THREE.Mesh>).geometry,
        distinctScenes: a.scene !== b.scene,
        distinctSkeletons:
          (d.scene.getObjectByProperty('isSkinnedMesh', true) as InstanceType<typeof kt.THREE.SkinnedMesh>).skeleton !==
          (e.scene.getObjectByProperty('isSkinnedMesh', true) as InstanceType<typeof kt.THREE.SkinnedMesh>).skeleton,
        animations: d.animations.length,
        shadowMap,
        instanced: [f, g].map((asset) => (asset.scene.getObjectByProperty('isInstancedMesh', true) as InstanceType<typeof kt.THREE.InstancedMesh> | undefined)?.count ?? 0),
      };
      a.release();
      kt.render([b.scene]);
      const afterOne = kt.memory();
      for (const asset of [b, c, d, e, f, g]) asset.release();
      b.release();
      kt.render([]);
      const released = kt.memory();
      const stats = loader.stats();
      // Idle in the cache: loads again without a download and uploads again.
      const again = await loader.load('sphere-etc1s');
      const pixels = kt.render([again.scene]);
      again.release();
      const instancedAgain = await loader.load('instanced');
      const instancedAgainPixels = kt.render([instancedAgain.scene]);
      instancedAgain.release();
      kt.render([]);
      const final = kt.memory();
      loader.dispose();
      return { baseline, loaded, afterOne, released, final, shared, stats, pixels, instancedPixels, instancedAgainPixels };
    }, env);
    expect(result.loaded.geometries).toBeGreaterThan(result.baseline.geometries);
    expect(result.loaded.textures).toBeGreaterThan(result.baseline.textures);
    expect(result.afterOne.geometries, 'one clone released, the other still holds the asset').toBeGreaterThan(result.baseline.geometries);
    expect(result.released).toEqual(result.baseline);
    expect(result.final).toEqual(result.baseline);
    expect(result.loaded.buffers).toBeGreaterThan(result.baseline.buffers);
    expect(result.shared).toEqual({ geometry: true, distinctScenes: true, distinctSkeletons: true, animations: 1, shadowMap: true, instanced: [4, 4] });
    expect(result.stats).toMatchObject({ entries: 4, inUse: 0 });
    expect(result.instancedPixels.nonBackground).toBeGreaterThan(result.instancedPixels.total * 0.05);
    expect(result.instancedAgainPixels, 'an instanced asset released and loaded again from the cache draws the same').toEqual(result.instancedPixels);
    expect(result.pixels.nonBackground).toBeGreaterThan(result.pixels.total * 0.1);
  });

  it('8 loads at once start no more than maxWorkers decoder workers', async () => {
    const result = await page.evaluate(async ({ manifest, decoders }) => {
      const { kt } = window;
      const before = kt.workers.created;
      const loader = kt.loader({ manifest, decoderPath: decoders, maxWorkers: 2 });
      const assets = await Promise.all(Array.from({ length: 8 }, (_, i) => loader.load(`worker-${i}`)));
      const created = kt.workers.created - before;
      const pixels = kt.render(assets.map((asset) => asset.scene));
      for (const asset of assets) asset.release();
      const stats = loader.stats();
      const terminatedBefore = kt.workers.terminated;
      loader.dispose();
      return { created, pixels, stats, limits: loader.workerLimits, terminated: kt.workers.terminated - terminatedBefore };
    }, env);
    expect(result.created).toBeGreaterThan(0);
    expect(result.created).toBeLessThanOrEqual(2);
    expect(result.limits).toEqual({ draco: 1, ktx2: 1 });
    expect(result.stats.entries).toBe(8);
    expect(result.terminated).toBe(result.created);
    expect(result.pixels.nonBackground).toBeGreaterThan(result.pixels.total * 0.1);
  });

  it('preload() fetches the manifest and the decoders and starts the workers before the first asset', async () => {
    const result = await page.evaluate(async ({ manifestUrl, decoders }) => {
      const { kt } = window;
      const before = kt.workers.created;
      const pmremPrograms = () => (kt.renderer.info.programs ?? []).filter((program) => program.name === 'PMREMEquirectangularToCubemap').length;
      const pmremBefore = pmremPrograms();
      const loader = kt.loader({ manifestUrl, decoderPath: decoders, maxWorkers: 4 });
      await loader.preload();
      const afterPreload = kt.workers.created - before;
      // The manifest lists environment maps, but this scene uses none: no PMREM shader yet.
      const pmremAfterPreload = pmremPrograms();
      const asset = await loader.load('sphere-draco-etc1s');
      const afterLoad = kt.workers.created - before;
      asset.release();
      loader.dispose();
      const asked = kt.loader({ manifestUrl, decoderPath: decoders });
      const badOption = await asked.preload({ environment: 'yes' as never }).then(() => null, kt.errorInfo);
      await asked.preload({ decoders: false, environment: true });
      const pmremAsked = pmremPrograms();
      asked.dispose();
      return { afterPreload, afterLoad, pmremBefore, pmremAfterPreload, pmremAsked, pmremAfterDispose: pmremPrograms(), badOption };
    }, env);
    expect(result.afterPreload).toBe(4);
    expect(result.afterLoad).toBe(4);
    expect(result.pmremBefore).toBe(0);
    expect(result.pmremAfterPreload, 'preload() compiles no PMREM shader unless asked').toBe(0);
    expect(result.pmremAsked, 'preload({ environment: true }) compiles it').toBe(1);
    expect(result.pmremAfterDispose).toBe(0);
    expect(result.badOption).toMatchObject({ name: 'KilnValidationError', code: 'invalid_input', message: 'preload: invalid options: environment: must be a boolean' });
    // The gzip copies, each once: 335 KB on the wire instead of 835 KB.
    const decoderFiles = app.log.filter((path) => path.startsWith('/decoders/')).sort();
    expect(decoderFiles).toEqual(['/decoders/basis/basis_transcoder.js.gz', '/decoders/basis/basis_transcoder.wasm.gz', '/decoders/draco/draco_decoder.wasm.gz', '/decoders/draco/draco_wasm_wrapper.js.gz']);
  });

  it("falls back to the plain decoder files, with a warning, where the .gz copies are missing; decoderCompression: 'none' asks for the plain files only", async () => {
    const result = await page.evaluate(async ({ manifest, decoders }) => {
      const { kt } = window;
      const plainPath = decoders.replace(/decoders\/$/, 'decoders-plain/');
      const warnings: string[] = [];
      const fallback = kt.loader({ manifest, decoderPath: plainPath, logger: { warn: (message) => warnings.push(message) } });
      const a = await fallback.load('sphere-draco-etc1s');
      const fallbackPixels = kt.render([a.scene]);
      a.release();
      fallback.dispose();
      const spaWarnings: string[] = [];
      const spa = kt.loader({ manifest, decoderPath: decoders.replace(/decoders\/$/, 'decoders-spa/'), logger: { warn: (message) => spaWarnings.push(message) } });
      const s = await spa.load('sphere-draco-etc1s');
      const spaPixels = kt.render([s.scene]);
      s.release();
      spa.dispose();
      const none = kt.loader({ manifest, decoderPath: decoders, decoderCompression: 'none' });
      const b = await none.load('sphere-draco-etc1s');
      const nonePixels = kt.render([b.scene]);
      b.release();
      none.dispose();
      return { warnings, fallbackPixels, nonePixels, spaWarnings, spaPixels };
    }, env);
    expect(result.fallbackPixels.nonBackground).toBeGreaterThan(result.fallbackPixels.total * 0.1);
    expect(result.nonePixels.nonBackground).toBeGreaterThan(result.nonePixels.total * 0.1);
    expect(result.warnings).toHaveLength(4);
    expect(result.warnings[0]).toMatch(/decoders-plain\/\w+\/\w+\.(js|wasm)\.gz answered 404; fetching the uncompressed .* decoderCompression: 'none'/);
    // An HTML page where a .gz should be (a single-page app's fallback) is not taken for the decoder.
    expect(result.spaPixels.nonBackground).toBeGreaterThan(result.spaPixels.total * 0.1);
    expect(result.spaWarnings).toHaveLength(4);
    expect(result.spaWarnings[0]).toMatch(/decoders-spa\/.*\.gz answered with neither gzip nor the file/);
    const plain = app.log.filter((path) => path.startsWith('/decoders-plain/')).sort();
    expect(plain).toEqual([
      '/decoders-plain/basis/basis_transcoder.js',
      '/decoders-plain/basis/basis_transcoder.js.gz',
      '/decoders-plain/basis/basis_transcoder.wasm',
      '/decoders-plain/basis/basis_transcoder.wasm.gz',
      '/decoders-plain/draco/draco_decoder.wasm',
      '/decoders-plain/draco/draco_decoder.wasm.gz',
      '/decoders-plain/draco/draco_wasm_wrapper.js',
      '/decoders-plain/draco/draco_wasm_wrapper.js.gz',
    ]);
    const none = app.log.filter((path) => path.startsWith('/decoders/')).sort();
    expect(none).toEqual(['/decoders/basis/basis_transcoder.js', '/decoders/basis/basis_transcoder.wasm', '/decoders/draco/draco_decoder.wasm', '/decoders/draco/draco_wasm_wrapper.js']);
  });

  it('reports monotonic progress that ends at 100%, also with gzip and without Content-Length', async () => {
    const result = await page.evaluate(async ({ manifest, decoders, chaos, cdn }) => {
      const { kt } = window;
      const loader = kt.loader({ manifest, decoderPath: decoders });
      const key = manifest.assets.find((asset) => asset.id === 'big-draco')?.key as string;
      const runs: Record<string, { loaded: number; total: number | undefined; fraction: number | undefined }[]> = {};
      const cases: [string, string][] = [
        ['plain-id', 'big-draco'],
        ['gzip-url', `${chaos}/gzip/cdn/${key}`],
        ['nolen-url', `${chaos}/nolen/cdn/${key}`],
        ['slow-url', `${chaos}/slow/cdn/${key}`],
        ['slowgzip-url', `${chaos}/slowgzip/cdn/${key}`],
      ];
      for (const [name, source] of cases) {
        const events: { loaded: number; total: number | undefined; fraction: number | undefined }[] = [];
        const asset = await loader.load(source, { onProgress: (p) => events.push(p) });
        asset.release();
        runs[name] = events;
      }
      for (const mode of ['gzip', 'slowgzip']) {
        const byId = kt.loader({ manifest, decoderPath: decoders, cdnBaseUrl: `${chaos}/${mode}/cdn` });
        const events: { loaded: number; total: number | undefined; fraction: number | undefined }[] = [];
        (await byId.load('big-draco', { onProgress: (p) => events.push(p) })).release();
        runs[`${mode}-id`] = events;
        byId.dispose();
      }
      loader.dispose();
      return { runs, bytes: manifest.assets.find((asset) => asset.id === 'big-draco')?.bytes as number, cdn };
    }, env);
    for (const [name, events] of Object.entries(result.runs)) {
      expect(events.length, name).toBeGreaterThan(1);
      const last = events[events.length - 1];
      expect(last, name).toEqual({ loaded: result.bytes, total: result.bytes, fraction: 1 });
      for (let i = 1; i < events.length; i++) {
        const previous = events[i - 1] as { loaded: number; fraction: number | undefined };
        const current = events[i] as { loaded: number; fraction: number | undefined };
        expect(current.loaded, name).toBeGreaterThanOrEqual(previous.loaded);
        if (previous.fraction !== undefined) expect(current.fraction, name).toBeGreaterThanOrEqual(previous.fraction);
      }
      for (const event of events) if (event.fraction !== undefined) expect(event.fraction, name).toBeLessThanOrEqual(1);
    }
    // Without Content-Length and for a URL there is no size until the end; by id the manifest has it.
    expect(result.runs['nolen-url']?.slice(0, -1).every((event) => event.fraction === undefined)).toBe(true);
    // gzip: Content-Length is the compressed size (three reports over 100%); by id the manifest size wins.
    expect(result.runs['slowgzip-id']?.filter((event) => event.fraction !== undefined && event.fraction > 0 && event.fraction < 1).length).toBeGreaterThan(3);
    expect(result.runs['slow-url']?.filter((event) => event.fraction !== undefined && event.fraction > 0 && event.fraction < 1).length).toBeGreaterThan(3);
  });

  it('shares one request between concurrent loads and keeps the cache within its byte budget', async () => {
    const result = await page.evaluate(async ({ manifest, decoders, chaos }) => {
      const { kt } = window;
      const loader = kt.loader({ manifest, decoderPath: decoders, cdnBaseUrl: `${chaos}/pass/cdn` });
      const [a, b, c] = await Promise.all([loader.load('sphere-meshopt'), loader.load('sphere-meshopt'), loader.load('sphere-meshopt')]);
      const sameKey = a.cacheKey === b.cacheKey && b.cacheKey === c.cacheKey;
      for (const asset of [a, b, c]) asset.release();
      const oneBytes = loader.stats().bytes;
      loader.dispose();
      // A budget that fits one asset: the least recently released idle one is evicted.
      const small = kt.loader({ manifest, decoderPath: decoders, cdnBaseUrl: `${chaos}/pass/cdn`, cacheBytes: oneBytes * 1.5 });
      const first = await small.load('sphere-meshopt');
      const second = await small.load('sphere-draco');
      const bothInUse = small.stats();
      first.release();
      const afterFirst = small.stats();
      second.release();
      const afterSecond = small.stats();
      small.dispose();
      return { sameKey, oneBytes, bothInUse, afterFirst, afterSecond };
    }, env);
    expect(result.sameKey).toBe(true);
    const meshoptRequests = chaos.log.filter((entry) => entry.mode === 'pass');
    expect(meshoptRequests).toHaveLength(3);
    expect(result.oneBytes).toBeGreaterThan(0);
    expect(result.bothInUse).toMatchObject({ entries: 2, inUse: 2 });
    expect(result.afterFirst).toMatchObject({ entries: 1, inUse: 1 });
    expect(result.afterSecond).toMatchObject({ entries: 1, inUse: 0 });
  });

  it('a texture that cannot decode is an error by default, or a warning when configured', async () => {
    const result = await page.evaluate(async ({ manifest, decoders }) => {
      const { kt } = window;
      const strict = kt.loader({ manifest, decoderPath: decoders });
      let error: unknown;
      try {
        await strict.load('broken-texture');
      } catch (e) {
        error = e;
      }
      const warnings: string[] = [];
      const lenient = kt.loader({ manifest, decoderPath: decoders, missingTexture: 'warn', logger: { warn: (m) => warnings.push(m) } });
      const asset = await lenient.load('broken-texture');
      const pixels = kt.render([asset.scene]);
      asset.release();
      strict.dispose();
      lenient.dispose();
      return { error: kt.errorInfo(error), warnings, pixels };
    }, env);
    expect(result.error).toMatchObject({ code: 'decode' });
    expect(result.error.message).toMatch(/texture 0 "broken"/);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(/^@kiln\/three: load\("broken-texture"\): 1 texture\(s\) failed/);
    expect(result.pixels.nonBackground).toBeGreaterThan(0);
    // three.js itself logs the failure; Kiln adds no console output of its own.
    expect(log.console.filter((m) => m.type === 'error').every((m) => m.text.includes("Couldn't load texture"))).toBe(true);
  });

  it('loads a .gltf by URL with the .bin and images beside it; a missing one is a decode error that names it', async () => {
    // A .gltf with external files, served (from the app origin) as a static host would.
    const io = new NodeIO();
    const doc = new Document();
    const buffer = doc.createBuffer();
    const prim = spherePrimitive(doc, buffer, uvSphere(32)).setMaterial(doc.createMaterial('checker').setBaseColorTexture(doc.createTexture('checker').setImage(encodePng(64, 64, checker(64))).setMimeType('image/png').setURI('checker texture.png')));
    doc.createScene().addChild(doc.createNode('sphere').setMesh(doc.createMesh().addPrimitive(prim)));
    const { json, resources } = await io.writeJSON(doc, { format: Format.GLTF, basename: 'sphere' });
    (json.images ?? [])[0] = { ...json.images?.[0], uri: 'checker%20texture.png' }; // percent-encoded, as a URI must be
    const folders = { whole: Object.keys(resources), 'no-image': Object.keys(resources).filter((f) => !f.endsWith('.png')), 'no-bin': Object.keys(resources).filter((f) => !f.endsWith('.bin')) };
    for (const [folder, files] of Object.entries(folders)) {
      mkdirSync(join(appDir, 'gltf', folder), { recursive: true });
      writeFileSync(join(appDir, 'gltf', folder, 'sphere.gltf'), JSON.stringify(json));
      for (const file of files) writeFileSync(join(appDir, 'gltf', folder, file), resources[file] as Uint8Array);
    }

    const result = await page.evaluate(async ({ decoders, base }) => {
      const { kt } = window;
      const loader = kt.loader({ decoderPath: decoders });
      const attempt = async (url: string) => {
        try {
          const asset = await loader.load(url);
          const pixels = kt.render([asset.scene]);
          asset.release();
          return { pixels };
        } catch (e) {
          return { error: kt.errorInfo(e) };
        }
      };
      const out = { whole: await attempt(`${base}/whole/sphere.gltf?v=1`), noImage: await attempt(`${base}/no-image/sphere.gltf`), noBin: await attempt(`${base}/no-bin/sphere.gltf`) };
      loader.dispose();
      return out;
    }, { decoders: env.decoders, base: `${app.url}/gltf` });
    expect(result.whole.error).toBeUndefined();
    expect(result.whole.pixels?.nonBackground).toBeGreaterThan(0);
    expect(result.whole.pixels?.unique, 'textured').toBeGreaterThan(20);
    expect(result.noImage.error).toMatchObject({ code: 'decode' });
    expect(result.noImage.error?.message).toMatch(/texture 0 "checker" \(checker%20texture\.png\)/);
    expect(result.noBin.error).toMatchObject({ code: 'decode' });
    expect(result.noBin.error?.message).toMatch(/sphere\.gltf/);
    // three.js logs the texture it could not load; nothing else reaches the console.
    expect(log.console.filter((m) => m.type === 'error').every((m) => /Couldn't load texture|404/.test(m.text))).toBe(true);
  });

  it('resolves with world matrices current, so the bounds of a skinned model are right at once', async () => {
    // The fixtures' skinned strip as gltfpack writes it (integer positions). three.js reads the
    // bounds of a SkinnedMesh through its bones' and its own world matrices, and caches them.
    const doc = skinnedStripDocument(8, { quantized: true });
    mkdirSync(join(appDir, 'skin'), { recursive: true });
    writeFileSync(join(appDir, 'skin', 'quantized.glb'), await new NodeIO().registerExtensions([KHRMeshQuantization]).writeBinary(doc));

    const result = await page.evaluate(async ({ decoders, url }) => {
      const { kt } = window;
      const loader = kt.loader({ decoderPath: decoders });
      const first = await loader.load(url);
      const second = await loader.load(url); // a clone of the cached template
      // What a game template does on load to place or frame a model.
      const boxes = [first, second].map((asset) => {
        const box = new kt.THREE.Box3().setFromObject(asset.scene);
        return [...box.min.toArray(), ...box.max.toArray()].map((v) => Math.round(v * 100) / 100);
      });
      first.release();
      second.release();
      loader.dispose();
      return boxes;
    }, { decoders: env.decoders, url: `${app.url}/skin/quantized.glb` });
    // The strip's bind pose: 0.8 wide, 0 to 2 high.
    for (const box of result) expect(box).toEqual([-0.4, 0, 0, 0.4, 2, 0]);
  });

  it('says what is wrong with a cut GLB, corrupt Draco data and a broken reference', async () => {
    const glb = new Uint8Array(readFileSync(join(fixtureDir, 'sphere-draco.glb')));
    const jsonLength = new DataView(glb.buffer, glb.byteOffset).getUint32(12, true);
    const json = JSON.parse(new TextDecoder().decode(glb.subarray(20, 20 + jsonLength)));
    const view = json.bufferViews[json.meshes[0].primitives[0].extensions.KHR_draco_mesh_compression.bufferView];
    const start = 20 + jsonLength + 8 + (view.byteOffset ?? 0);
    const corrupt = glb.slice();
    for (let i = 4; i < view.byteLength; i++) corrupt[start + i] = (i * 7919) & 0xff;
    mkdirSync(join(appDir, 'bad'), { recursive: true });
    writeFileSync(join(appDir, 'bad', 'cut.glb'), glb.subarray(0, glb.byteLength >> 1));
    writeFileSync(join(appDir, 'bad', 'corrupt-draco.glb'), corrupt);
    // A scene naming a node the file lacks: three.js alone says "Cannot read properties of undefined".
    const brokenJson = new TextEncoder().encode(JSON.stringify({ ...json, scenes: [{ nodes: [...json.scenes[0].nodes, 42] }] }));
    const padded = Math.ceil(brokenJson.byteLength / 4) * 4;
    const rest = glb.subarray(20 + jsonLength);
    const broken = new Uint8Array(20 + padded + rest.byteLength).fill(0x20, 20, 20 + padded);
    broken.set(glb.subarray(0, 20));
    broken.set(brokenJson, 20);
    broken.set(rest, 20 + padded);
    new DataView(broken.buffer).setUint32(8, broken.byteLength, true);
    new DataView(broken.buffer).setUint32(12, padded, true);
    writeFileSync(join(appDir, 'bad', 'broken-ref.glb'), broken);

    const result = await page.evaluate(async ({ decoders, base }) => {
      const { kt } = window;
      const loader = kt.loader({ decoderPath: decoders });
      const attempt = async (url: string) => {
        try {
          (await loader.load(url)).release();
          return undefined;
        } catch (e) {
          return kt.errorInfo(e);
        }
      };
      const out = { cut: await attempt(`${base}/cut.glb`), corrupt: await attempt(`${base}/corrupt-draco.glb`), broken: await attempt(`${base}/broken-ref.glb`) };
      loader.dispose();
      return out;
    }, { decoders: env.decoders, base: `${app.url}/bad` });
    expect(result.cut).toMatchObject({ code: 'decode', message: expect.stringContaining(`truncated GLB: its header declares ${glb.byteLength} bytes, ${glb.byteLength >> 1} arrived`) });
    expect(result.corrupt).toMatchObject({ code: 'decode', message: expect.stringMatching(/corrupt-draco\.glb: THREE\.DRACOLoader: \w/) });
    const nodes = json.nodes.length;
    expect(result.broken).toMatchObject({ code: 'decode', message: expect.stringMatching(new RegExp(`broken-ref\\.glb: .+ \\(/scenes/0/nodes/${json.scenes[0].nodes.length}: node 42 does not exist \\(the file has ${nodes} nodes?\\)\\)$`)) });
  });

  it('dispose() at any moment (downloads, decoder start-up, parsing) rejects each load with aborted, leaves no worker running and frees what was made', async () => {
    const result = await page.evaluate(async ({ manifest, decoders, chaos }) => {
      const { kt } = window;
      kt.warmRenderer();
      const baseline = kt.memory();
      const workersBefore = { ...kt.workers };
      const loader = kt.loader({ manifest, decoderPath: decoders, cdnBaseUrl: `${chaos}/slow/cdn` });
      void loader.preload().catch(() => undefined);
      // Disposed as soon as the first bytes arrive (8 KiB every 20 ms): every download is then
      // in flight, a second load waits on the first's, and the decoders are still starting.
      let firstBytes: () => void = () => undefined;
      const started = new Promise<void>((resolve) => (firstBytes = resolve));
      const pending = ['big-draco', 'sphere-etc1s', 'sphere-meshopt', 'big-draco'].map((id) =>
        loader.load(id, { onProgress: (p) => p.loaded > 0 && firstBytes() }).then(
          (asset) => ({ id, ok: true as const, release: asset.release }),
          (error: unknown) => ({ id, ok: false as const, error: kt.errorInfo(error) }),
        ),
      );
      await started;
      loader.dispose();
      const settled = await Promise.all(pending);
      for (const s of settled) if (s.ok) s.release();
      // Give terminated workers and late decoder replies a moment.
      await new Promise((resolve) => setTimeout(resolve, 200));
      let afterDispose: unknown;
      try {
        await loader.load('sphere-meshopt');
      } catch (e) {
        afterDispose = kt.errorInfo(e);
      }
      // Disposed while GLTFLoader parses (the workers decode Draco and Basis): the load must not
      // wait for decoders that will never answer.
      const parsing = kt.loader({ manifest, decoderPath: decoders });
      await parsing.preload();
      let duringParse: unknown;
      try {
        await parsing.load('sphere-draco-etc1s', { onProgress: (p) => p.fraction === 1 && setTimeout(() => parsing.dispose(), 0) });
        duringParse = 'loaded';
      } catch (e) {
        duringParse = kt.errorInfo(e);
      }
      parsing.dispose();
      // Disposed at every moment of a warm-up: never a worker left running afterwards.
      for (let delay = 0; delay <= 240; delay += 12) {
        const warming = kt.loader({ manifest, decoderPath: decoders });
        const warmed = warming.preload().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, delay));
        warming.dispose();
        await warmed;
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      return {
        duringParse,
        settled: settled.map((s) => (s.ok ? { id: s.id, ok: true } : { id: s.id, ok: false, code: s.error.code })),
        memory: kt.memory(),
        baseline,
        workers: { created: kt.workers.created - workersBefore.created, terminated: kt.workers.terminated - workersBefore.terminated },
        afterDispose,
      };
    }, env);
    for (const s of result.settled) expect(s, s.id).toMatchObject({ ok: false, code: 'aborted' });
    expect(result.memory).toEqual(result.baseline);
    expect(result.workers.terminated).toBe(result.workers.created);
    expect(result.afterDispose).toMatchObject({ code: 'aborted' });
    // Loaded before the dispose landed, or aborted: never left waiting.
    if (result.duringParse !== 'loaded') expect(result.duringParse).toMatchObject({ code: 'aborted' });
  });

  it('types every failure: manifest, http, network', async () => {
    // A port nothing listens on (Chromium refuses low "unsafe" ports before connecting).
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const closedPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const result = await page.evaluate(async ({ manifest, decoders, cdn, closedPort }) => {
      const { kt } = window;
      const loader = kt.loader({ manifest, decoderPath: decoders, retry: { retries: 1, minDelayMs: 10 } });
      const attempt = async (run: () => Promise<unknown>) => {
        try {
          await run();
          return undefined;
        } catch (e) {
          return kt.errorInfo(e);
        }
      };
      const out = {
        unknownId: await attempt(() => loader.load('no-such-asset')),
        badLod: await attempt(() => loader.load('lod', { lod: 7 })),
        notFound: await attempt(() => loader.load(`${cdn}/game/run-1/model_3d/missing.glb`)),
        refused: await attempt(() => loader.load(`http://127.0.0.1:${closedPort}/nothing.glb`)),
        notGlb: await attempt(() => loader.load('env-hdr')),
        noManifest: await attempt(() => kt.loader({ decoderPath: decoders }).load('sphere-draco')),
      };
      loader.dispose();
      return out;
    }, { ...env, closedPort });
    expect(result.unknownId).toMatchObject({ code: 'manifest', isKilnLoadError: true });
    expect(result.unknownId?.message).toMatch(/not found in the manifest/);
    expect(result.badLod).toMatchObject({ code: 'manifest' });
    expect(result.notFound).toMatchObject({ code: 'http', details: { status: 404 } });
    expect(result.refused).toMatchObject({ code: 'network', details: { attempts: 2 } });
    expect(result.notGlb).toMatchObject({ code: 'decode' });
    expect(result.noManifest).toMatchObject({ code: 'manifest' });
  });
});
