// Stage 4: storage. The embedded fs store served by the local CDN server (default), or a
// private Ceph RGW bucket with presigned URLs (--s3). Both run the same @kiln/storage code:
// content-hash dedup, immutable blobs, and a manifest the loaders read.
import { join } from 'node:path';
import { createAssetStore, fsDriver } from '@kiln/storage';
import { startCdnServer } from '@kiln/storage/serve';

/** The tenant everything is stored under. */
export const TENANT = 'demo';

/** A throw-away signing secret for the local CDN server's presigned URLs. */
const SIGNING_SECRET = 'demo-only-secret-change-me-0123456789';

/**
 * The embedded fs store under `root`, served by the local CDN server on 127.0.0.1.
 * `open()` gives a fresh AssetStore on it: each run gets its own, so its uploads can be counted.
 */
export async function openFsBackend(root) {
  const server = await startCdnServer({ root, signingSecret: SIGNING_SECRET });
  return {
    kind: 'fs',
    where: root,
    cdnUrl: server.url,
    open: () => createAssetStore({ driver: fsDriver({ root, baseUrl: server.url, signingSecret: SIGNING_SECRET }), cdnBaseUrl: server.url }),
    manifestLocation: (key) => join(root, key),
    close: () => server.close(),
  };
}

/**
 * Stores the optimized models (LOD0 and the LOD levels) under `runId` and writes the run's
 * manifest with prompt, quality rating, triangles and LOD switch points per asset.
 */
export async function deliver({ store, runId, optimized, generated, textures }) {
  const tenant = store.tenant(TENANT);
  const name = (filename) => ({ runId, artifactType: 'model_3d', filename });
  const assets = [];
  for (const o of optimized) {
    const source = generated.find((g) => g.id === o.id);
    await tenant.put(name(`${o.id}.glb`), o.glb);
    for (const lod of o.lods) await tenant.put(name(`${o.id}.lod${lod.level}.glb`), lod.glb);
    assets.push({
      name: name(`${o.id}.glb`),
      id: o.id,
      triangles: o.triangles,
      lods: o.lods.map((lod) => ({
        name: name(`${o.id}.lod${lod.level}.glb`),
        triangles: lod.triangles,
        ...(lod.screenCoverage === undefined ? { switchDistance: lod.switchDistance } : { screenCoverage: lod.screenCoverage }),
      })),
      textureCodecs: textures === 'ktx2' ? ['ktx2-etc1s'] : ['webp'],
      metadata: {
        prompt: source.prompt,
        negativePrompt: source.negativePrompt,
        qualityRating: source.score,
        quality: source.rating,
        tags: [source.category],
        lineage: { pipeline: 'strategy-model', steps: ['text_to_image', 'image_to_3d', 'retopology', 'export', 'optimize:web'], job: source.runId },
      },
    });
  }
  return tenant.writeManifest({ runId, assets });
}

/** What a store's uploads did: new blobs, dedup hits, bytes sent. */
export function uploadStats(store) {
  const done = store.uploads.list().filter((u) => u.state === 'done' && u.result);
  const hits = done.filter((u) => u.result.deduplicated);
  return {
    uploads: done.length,
    hits: hits.length,
    bytes: done.reduce((sum, u) => sum + u.result.bytes, 0),
    sent: done.reduce((sum, u) => sum + u.result.uploadedBytes, 0),
  };
}
