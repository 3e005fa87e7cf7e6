// The asset origin: the fixtures stored with @kiln/storage in a local folder, served by its CDN
// server, with the run's manifest written by the store.
import { createAssetStore, fsDriver, type ManifestAssetInput } from '@kiln/storage';
import { startCdnServer, type CdnServer } from '@kiln/storage/serve';
import type { Manifest } from '@kiln/manifest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FixtureFile } from '../fixtures/generate.js';

export interface AssetStack {
  cdn: CdnServer;
  manifest: Manifest;
  manifestUrl: string;
  close(): Promise<void>;
}

export const TENANT = 'game';
export const RUN = 'run-1';

/** The manifest entries of the fixtures: one asset per file, the LOD trio as one asset, worker-test aliases. */
export function manifestAssets(files: FixtureFile[], extra: ManifestAssetInput[] = []): ManifestAssetInput[] {
  const name = (file: string) => ({ runId: RUN, artifactType: file.endsWith('.glb') ? ('model_3d' as const) : ('environment_map' as const), filename: file });
  const triangles = (file: string) => files.find((f) => f.file === file)?.triangles;
  const assets: ManifestAssetInput[] = [];
  for (const { file } of files) {
    if (/^(bench-|skinned-)?lod[12]\.glb$/.test(file)) continue;
    const lodMatch = /^(bench-)?lod0\.glb$/.exec(file);
    if (lodMatch) {
      const prefix = lodMatch[1] ?? '';
      assets.push({
        name: name(file),
        id: `${prefix}lod`,
        triangles: triangles(file) as number,
        lods: [
          { name: name(`${prefix}lod1.glb`), triangles: triangles(`${prefix}lod1.glb`) as number, switchDistance: 4 },
          { name: name(`${prefix}lod2.glb`), triangles: triangles(`${prefix}lod2.glb`) as number, switchDistance: 10 },
        ],
      });
      continue;
    }
    const id = file.replace(/\.glb$/, '').replace('.', '-');
    const t = triangles(file);
    assets.push({ name: name(file), id, ...(t === undefined ? {} : { triangles: t }) });
  }
  if (files.some((f) => f.file === 'skinned-lod1.glb')) {
    // The animated strip with two coarser levels: the same bones and clip in every level.
    assets.push({
      name: name('skinned.glb'),
      id: 'skinned-lod',
      triangles: triangles('skinned.glb') as number,
      lods: [
        { name: name('skinned-lod1.glb'), triangles: triangles('skinned-lod1.glb') as number, switchDistance: 4 },
        { name: name('skinned-lod2.glb'), triangles: triangles('skinned-lod2.glb') as number, switchDistance: 10 },
      ],
    });
  }
  for (let i = 0; i < 8; i++) assets.push({ name: name('sphere-draco-etc1s.glb'), id: `worker-${i}` });
  return [...assets, ...extra];
}

/** Stores the fixtures, writes the manifest and serves them. */
export async function startAssetStack(fixturesDir: string, files: FixtureFile[]): Promise<AssetStack> {
  const root = mkdtempSync(join(tmpdir(), 'kiln-three-cdn-'));
  const cdn = await startCdnServer({ root });
  const store = createAssetStore({ driver: fsDriver({ root }), cdnBaseUrl: cdn.url });
  const tenant = store.tenant(TENANT);
  for (const { file } of files) {
    await tenant.put({ runId: RUN, artifactType: file.endsWith('.glb') ? 'model_3d' : 'environment_map', filename: file }, readFileSync(join(fixturesDir, file)));
  }
  const written = await tenant.writeManifest({ runId: RUN, assets: manifestAssets(files) });
  return {
    cdn,
    manifest: written.manifest,
    manifestUrl: written.url,
    close: async () => {
      await cdn.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
