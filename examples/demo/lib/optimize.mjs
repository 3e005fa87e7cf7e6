// Stage 3: optimization. Each generated model goes through @kiln/optimize with the `web` preset:
// meshopt geometry, WebP (or KTX2) textures, and two LOD levels, each checked by the glTF
// validator. Returns the GLBs to store and prints the size table.
import { optimize } from '@kiln/optimize';
import { kib, percent, say, table } from './terminal.mjs';

/** Ratios of LOD0's triangles for the reduced levels. */
export const LOD_RATIOS = [0.5, 0.25];

/**
 * @param {{ models: { id: string, bytes: Uint8Array }[], textures: 'webp' | 'ktx2', quiet?: boolean }} options
 * @returns {Promise<{ id: string, before: number, glb: Uint8Array, triangles: number, lods: { level: number, glb: Uint8Array, triangles: number, screenCoverage?: number, switchDistance?: number }[], textureBytes: { before: number, after: number } }[]>}
 */
export async function optimizeModels({ models, textures, quiet = false }) {
  const optimized = [];
  for (const { id, bytes } of models) {
    const { glb, lods, lodDescriptor, report } = await optimize(bytes, { preset: 'web', textures, lods: LOD_RATIOS, name: id });
    // Levels that could not get smaller are left out of the descriptor; store only those it lists.
    const levels = lodDescriptor.map((entry) => {
      const lod = lods.find((l) => l.level === entry.level);
      return { level: entry.level, glb: lod.glb, triangles: entry.triangles, screenCoverage: entry.screenCoverage, switchDistance: entry.switchDistance };
    });
    optimized.push({
      id,
      before: bytes.byteLength,
      glb,
      triangles: report.after.triangles,
      lods: levels,
      textureBytes: { before: report.before.textureBytes, after: report.after.textureBytes },
      ms: report.ms,
    });
  }
  if (!quiet) printSizes(optimized, textures);
  return optimized;
}

function printSizes(optimized, textures) {
  const rows = [['asset', 'generated', `web (${textures})`, 'saved', 'LOD1', 'LOD2', 'triangles', 'time']];
  for (const o of optimized) {
    rows.push([
      o.id,
      kib(o.before),
      kib(o.glb.byteLength),
      percent(o.before - o.glb.byteLength, o.before),
      o.lods[0] ? kib(o.lods[0].glb.byteLength) : '-',
      o.lods[1] ? kib(o.lods[1].glb.byteLength) : '-',
      [o.triangles, ...o.lods.map((l) => l.triangles)].join(' / '),
      `${o.ms} ms`,
    ]);
  }
  const before = optimized.reduce((sum, o) => sum + o.before, 0);
  const after = optimized.reduce((sum, o) => sum + o.glb.byteLength, 0);
  rows.push(['total', kib(before), kib(after), percent(before - after, before), '', '', '', '']);
  table(rows);
  say(`  LOD0 is the main model; LOD1 and LOD2 keep ${LOD_RATIOS.map((r) => `${r * 100}%`).join(' and ')} of its triangles (meshoptimizer simplifier).`);
}
