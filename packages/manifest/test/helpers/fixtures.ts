import type { Asset, Manifest } from '../../src/index.js';

/** SHA-256-shaped digests, one per letter. */
export const SHA = {
  a: 'a'.repeat(64),
  b: 'b'.repeat(64),
  c: 'c'.repeat(64),
  d: 'd'.repeat(64),
} as const;

/** A model with two distance-mode LOD variants (10 and 50). */
export function chairAsset(overrides: Partial<Asset> = {}): Asset {
  return {
    id: 'chair',
    type: 'model_3d',
    contentType: 'model/gltf-binary',
    bytes: 1000,
    sha256: SHA.a,
    key: 'acme/chair/lod0.glb',
    triangles: 10_000,
    lods: [
      { key: 'acme/chair/lod1.glb', sha256: SHA.b, bytes: 500, triangles: 5000, switchDistance: 10 },
      { key: 'acme/chair/lod2.glb', sha256: SHA.c, bytes: 200, triangles: 1000, switchDistance: 50 },
    ],
    ...overrides,
  };
}

/** A model with two coverage-mode LOD variants (0.5 and 0.1). */
export function rockAsset(overrides: Partial<Asset> = {}): Asset {
  return {
    id: 'rock',
    type: 'model_3d',
    contentType: 'model/gltf-binary',
    bytes: 900,
    sha256: SHA.a,
    key: 'acme/rock/lod0.glb',
    lods: [
      { key: 'acme/rock/lod1.glb', sha256: SHA.b, bytes: 400, triangles: 2000, screenCoverage: 0.5 },
      { key: 'acme/rock/lod2.glb', sha256: SHA.c, bytes: 100, triangles: 300, screenCoverage: 0.1 },
    ],
    ...overrides,
  };
}

/** A texture without LOD variants. */
export function textureAsset(overrides: Partial<Asset> = {}): Asset {
  return {
    id: 'wood',
    type: 'texture',
    contentType: 'image/ktx2',
    bytes: 4096,
    sha256: SHA.d,
    key: 'acme/wood.ktx2',
    ...overrides,
  };
}

/** A valid raw manifest (plain JSON data) around `assets`. */
export function rawManifest(assets: unknown[], overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    manifestVersion: '1.0',
    tenantId: 'acme',
    generatedAt: '2025-01-31T12:00:00Z',
    cdnBaseUrl: 'https://cdn.example.com/kiln',
    assets,
    ...overrides,
  };
}

/** {@link rawManifest} typed as a parsed manifest, for resolution tests. */
export function manifestOf(assets: Asset[], overrides: Partial<Manifest> = {}): Manifest {
  return rawManifest(assets, overrides) as Manifest;
}
