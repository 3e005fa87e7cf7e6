import { selectLod, type Asset, type LodVariant, type Platform } from '@kiln/manifest';
import { AnimationObjectGroup, LOD, Sphere, type AnimationClip, type BufferGeometry, type Object3D } from 'three';
import { KilnLoadError } from './errors.js';
import type { KilnAsset } from './load-types.js';
import type { KilnLoader } from './loader.js';
import { abortedError, throwIfAborted } from './signal.js';

/** Options of {@link KilnLoader.loadLod}. */
export interface LoadLodOptions {
  /** Platform whose LOD floor caps the finest level (`'mobile'` skips LOD0 by default). Default: the loader's. */
  platform?: Platform;
  /**
   * Show the coarsest level as soon as it arrives, then swap finer ones in (the promise resolves
   * after the first). With `false`, the promise resolves when every level is in. Default: `true`.
   */
  progressive?: boolean;
  /** Stops the loads still pending (levels already shown stay until `release()`). */
  signal?: AbortSignal;
  /** Vertical field of view in degrees, to turn `screenCoverage` thresholds into distances. Default: `50`. */
  fov?: number;
  /** `THREE.LOD` hysteresis for every level. Default: `0`. */
  hysteresis?: number;
  /** Check each level's SHA-256. Default: the loader's `integrity`. */
  integrity?: boolean;
  /** Called each time a level is shown. */
  onLevel?: (level: number) => void;
}

/** A `THREE.LOD` built from a manifest asset's LOD variants. */
export interface KilnLod {
  /** Add this to your scene; three switches levels by camera distance. */
  readonly lod: LOD;
  readonly assetId: string;
  /** The levels this LOD uses (from the platform floor to the coarsest). */
  readonly levels: readonly number[];
  /** Levels loaded so far. */
  loadedLevels(): number[];
  /** Distance from which each used level shows (level → distance). */
  readonly distances: ReadonlyMap<number, number>;
  /** Settles when every level is loaded (rejects when one fails; the LOD keeps those that loaded). */
  readonly ready: Promise<void>;
  /**
   * The asset's animation clips, from the first level that loaded (shared, read-only). Levels
   * made by `@kiln/optimize` carry the same clips and node names, so one clip drives them all.
   */
  readonly animations: readonly AnimationClip[];
  /**
   * Every loaded level's scene, as one animation target: pass it to `new AnimationMixer(root)`
   * and each level plays the same action in step, whichever one the LOD shows. A level that
   * loads later (progressive mode) joins it, and `release()` takes the levels out. A mixer bound
   * to the LOD object itself would animate only the first level it finds a bone in.
   * When you are done, `mixer.stopAllAction()` and drop the mixer: three r187's
   * `mixer.uncacheRoot()` throws for a group root.
   */
  readonly animationRoot: AnimationObjectGroup;
  /** Releases every level and stops the pending loads. Safe to call twice. */
  release(): void;
}

/** @internal */
export async function buildLod(loader: KilnLoader, assetId: string, options: LoadLodOptions): Promise<KilnLod> {
  const label = `loadLod(${JSON.stringify(assetId)})`;
  throwIfAborted(options.signal, label);
  const { manifest } = await loader.resolve(assetId, 0, options.signal);
  const asset = manifest.assets.find((candidate) => candidate.id === assetId) as Asset;
  const variants = asset.lods ?? [];
  const platform = options.platform ?? loader.getPlatform();
  const floor = platform === undefined ? 0 : selectLod(asset, { platform });
  const levels: number[] = [];
  for (let level = floor; level <= variants.length; level++) levels.push(level);

  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const lod = new LOD();
  lod.name = `kiln-lod:${assetId}`;
  const animationRoot = new AnimationObjectGroup();
  let animations: readonly AnimationClip[] = [];
  const loaded = new Map<number, KilnAsset>();
  const distances = new Map<number, number>();
  let released = false;
  const hysteresis = options.hysteresis ?? 0;
  const fov = options.fov ?? 50;

  const computeDistances = (first: KilnAsset) => {
    const sphere = boundingSphere(first.scene);
    const radius = Number.isFinite(sphere.radius) && sphere.radius > 0 ? sphere.radius : 1;
    const tan = Math.tan(((fov * Math.PI) / 180) / 2);
    for (const level of levels) {
      if (level === floor) {
        distances.set(level, 0);
        continue;
      }
      const variant = variants[level - 1] as LodVariant;
      const distance =
        variant.switchDistance !== undefined
          ? variant.switchDistance
          : variant.screenCoverage !== undefined
            ? radius / (variant.screenCoverage * tan)
            : 0;
      distances.set(level, distance);
    }
  };

  const rebuild = () => {
    for (const entry of lod.levels) lod.remove(entry.object);
    lod.levels.length = 0;
    let previous: number | undefined;
    for (const band of levels) {
      const available = [...loaded.keys()].sort((a, b) => a - b);
      const show = available.find((level) => level >= band) ?? available[available.length - 1];
      if (show === undefined || show === previous) continue;
      previous = show;
      lod.addLevel((loaded.get(show) as KilnAsset).scene, distances.get(band) ?? 0, hysteresis);
    }
  };

  const loadLevel = async (level: number) => {
    const asset = await loader.load(assetId, {
      lod: level,
      signal: controller.signal,
      ...(options.integrity === undefined ? {} : { integrity: options.integrity }),
    });
    if (released) {
      asset.release();
      throw abortedError(controller.signal, label);
    }
    if (distances.size === 0) {
      computeDistances(asset);
      animations = asset.animations;
    }
    loaded.set(level, asset);
    animationRoot.add(asset.scene);
    rebuild();
    options.onLevel?.(level);
  };

  const release = () => {
    if (released) return;
    released = true;
    options.signal?.removeEventListener('abort', onAbort);
    controller.abort(new KilnLoadError('aborted', `${label}: released`));
    // uncache, not remove: a removed object stays referenced by the group. Never re-added, so
    // three's stale-index bug in uncache() (mrdoob/three.js#34035) does not apply.
    animationRoot.uncache(...[...loaded.values()].map((asset) => asset.scene));
    for (const asset of loaded.values()) asset.release();
    loaded.clear();
    lod.levels.length = 0;
  };

  const progressive = options.progressive ?? true;
  const coarsest = levels[levels.length - 1] as number;
  let ready: Promise<void>;
  try {
    if (progressive) {
      await loadLevel(coarsest);
      ready = Promise.all(levels.filter((level) => level !== coarsest).reverse().map(loadLevel)).then(() => {});
    } else {
      ready = Promise.all(levels.map(loadLevel)).then(() => {});
      await ready;
    }
  } catch (error) {
    release();
    throw error;
  }
  ready.then(
    () => options.signal?.removeEventListener('abort', onAbort),
    () => {},
  );
  return {
    lod,
    assetId,
    levels,
    distances,
    loadedLevels: () => [...loaded.keys()].sort((a, b) => a - b),
    ready,
    get animations() {
      return animations;
    },
    animationRoot,
    release,
  };
}

/** The union of the meshes' bounding spheres in the object's space (tighter than a box's sphere). */
function boundingSphere(root: Object3D): Sphere {
  root.updateMatrixWorld(true);
  const result = new Sphere();
  let empty = true;
  root.traverse((object) => {
    const geometry = (object as { geometry?: BufferGeometry }).geometry;
    if (!geometry?.isBufferGeometry) return;
    // GLTFLoader sets a loose sphere (half the box diagonal); compute the tight one from the vertices.
    geometry.computeBoundingSphere();
    if (geometry.boundingSphere === null) return;
    const sphere = geometry.boundingSphere.clone().applyMatrix4(object.matrixWorld);
    if (empty) result.copy(sphere);
    else result.union(sphere);
    empty = false;
  });
  return result;
}
