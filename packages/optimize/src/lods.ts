import type { Document } from '@gltf-transform/core';
import { getBounds } from '@gltf-transform/functions';
import type { LodVariant } from '@kiln/manifest';
import { LOD_SWITCH_DEFAULTS, type LodSwitchOptions } from './options.js';

/** One LOD variant: a self-contained GLB and what it reached. */
export interface LodResult {
  /** 1 for the first reduced level (LOD0 is `result.glb`). */
  level: number;
  requestedRatio: number;
  /** Triangles divided by LOD0's triangles: what was reached, not what was asked. */
  achievedRatio: number;
  triangles: number;
  /** Largest simplification error, as a fraction of the mesh extent. */
  error: number;
  glb: Uint8Array;
  bytes: number;
  sha256: string;
  /** False when it has no fewer triangles than the level before (the simplifier stalled). */
  distinct: boolean;
}

/**
 * One entry of the LOD descriptor: a distinct LOD level with exactly one switch measure, ready
 * for the manifest's `asset.lods` once a storage key is known (see {@link toManifestLods}).
 */
export interface LodDescriptorEntry {
  level: number;
  sha256: string;
  bytes: number;
  triangles: number;
  achievedRatio: number;
  screenCoverage?: number;
  switchDistance?: number;
}

const round = (value: number, digits = 6) => Number(value.toFixed(digits));

/** @internal Radius of the bounding sphere around the default scene's box, or 1 when empty. */
export function sceneRadius(document: Document): number {
  const scene = document.getRoot().getDefaultScene() ?? document.getRoot().listScenes()[0];
  if (!scene) return 1;
  const { min, max } = getBounds(scene);
  const r = Math.hypot(max[0] - min[0], max[1] - min[1], max[2] - min[2]) / 2;
  return Number.isFinite(r) && r > 0 ? r : 1;
}

/**
 * Builds the LOD descriptor from the achieved ratios. Levels that stalled (no fewer triangles
 * than the previous level) are left out, so the switch points stay strictly ordered as the
 * manifest requires.
 *
 * Screen coverage is the manifest's: the object's projected height as a fraction of the screen
 * height (Unity's `LODGroup` convention; @kiln/three and the Unity package read it so). Switch
 * points keep triangles per covered pixel constant: covered pixels grow with the square of the
 * height, so level i is used at and below `fullDetailCoverage × sqrt(achievedRatio_i)`. Switch
 * distance is where a sphere of the model's radius has that projected height with the given
 * vertical field of view: `radius / (tan(fov / 2) × coverage)`, the same conversion the players
 * make, so both measures switch at the same point.
 */
export function lodDescriptor(lods: readonly LodResult[], radius: number, options: LodSwitchOptions = {}): LodDescriptorEntry[] {
  const o = { ...LOD_SWITCH_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as Required<LodSwitchOptions>;
  const tanHalf = Math.tan(((o.fovDegrees / 180) * Math.PI) / 2);
  return lods
    .filter((lod) => lod.distinct)
    .map((lod) => {
      const coverage = o.fullDetailCoverage * Math.sqrt(lod.achievedRatio);
      const entry: LodDescriptorEntry = { level: lod.level, sha256: lod.sha256, bytes: lod.bytes, triangles: lod.triangles, achievedRatio: lod.achievedRatio };
      if (o.measure === 'screenCoverage') entry.screenCoverage = round(coverage);
      else entry.switchDistance = round(radius / (tanHalf * coverage), 4);
      return entry;
    });
}

/**
 * A level reaching more than this many times its requested ratio is reported as short of it (the
 * simplifier lands at or just under its target unless the error bound stops it).
 */
const SHORTFALL = 1.1;

/**
 * @internal What to warn about one LOD level, or null: a level that stalled (no fewer triangles
 * than the level before: left out of the descriptor), or one that stopped well short of its
 * ratio at the error bound (kept, but the warning says how little it saves over the level before).
 */
export function lodWarning(lod: LodResult, previousTriangles: number, lodError: number): string | null {
  const reached = `${lod.triangles} triangle${lod.triangles === 1 ? '' : 's'} (${(lod.achievedRatio * 100).toFixed(1)}% of LOD0)`;
  const hint = 'a larger error bound (lodError; kiln optimize --lod-error) may go further';
  if (!lod.distinct) return `LOD ${lod.level} (ratio ${lod.requestedRatio}) stalled at ${reached} at the error bound ${lodError}: not in the LOD descriptor; ${hint}`;
  if (lod.achievedRatio <= lod.requestedRatio * SHORTFALL) return null;
  const saved = previousTriangles - lod.triangles;
  return `LOD ${lod.level} (ratio ${lod.requestedRatio}) reached only ${reached} at the error bound ${lodError}, ${saved} triangle${saved === 1 ? '' : 's'} fewer than LOD ${lod.level - 1}; ${hint}`;
}

/**
 * Turns a LOD descriptor into the manifest's `asset.lods`, given the storage key (and optional
 * URL) each level was uploaded to.
 */
export function toManifestLods(descriptor: readonly LodDescriptorEntry[], location: (entry: LodDescriptorEntry) => { key: string; url?: string }): LodVariant[] {
  return descriptor.map((entry) => {
    const { key, url } = location(entry);
    const variant: LodVariant = { key, sha256: entry.sha256, bytes: entry.bytes, triangles: entry.triangles };
    if (url !== undefined) variant.url = url;
    if (entry.screenCoverage !== undefined) variant.screenCoverage = entry.screenCoverage;
    if (entry.switchDistance !== undefined) variant.switchDistance = entry.switchDistance;
    return variant;
  });
}
