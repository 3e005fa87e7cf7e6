import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PLATFORM_MIN_LOD,
  KilnValidationError,
  ResolveError,
  resolveAsset,
  selectLod,
  type Manifest,
} from '../src/index.js';
import { chairAsset, manifestOf, rockAsset, SHA, textureAsset } from './helpers/fixtures.js';

function caught<E extends Error>(type: new (...args: never[]) => E, run: () => unknown): E {
  try {
    run();
  } catch (error) {
    if (error instanceof type) return error;
    throw error;
  }
  throw new Error(`expected a ${type.name}`);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}

describe('DEFAULT_PLATFORM_MIN_LOD', () => {
  it('skips LOD0 on mobile only', () => {
    expect(DEFAULT_PLATFORM_MIN_LOD).toEqual({ mobile: 1, pc: 0, console: 0, web: 0 });
  });
});

describe('selectLod', () => {
  const chair = chairAsset();
  const rock = rockAsset();

  it('counts the variants whose switchDistance <= distance', () => {
    expect([0, 9.99, 10, 49.99, 50, Number.POSITIVE_INFINITY].map((distance) => selectLod(chair, { distance }))).toEqual([
      0, 0, 1, 1, 2, 2,
    ]);
  });

  it('counts the variants whose screenCoverage >= coverage', () => {
    expect([1.5, 1, 0.51, 0.5, 0.2, 0.1, 0.01, 0].map((screenCoverage) => selectLod(rock, { screenCoverage }))).toEqual([
      0, 0, 0, 1, 1, 2, 2, 2,
    ]);
  });

  it('gives level 0 without the measure the asset uses', () => {
    expect(selectLod(chair)).toBe(0);
    expect(selectLod(chair, { screenCoverage: 0 })).toBe(0);
    expect(selectLod(rock, { distance: 1000 })).toBe(0);
  });

  it('applies the platform floor, defaulting to DEFAULT_PLATFORM_MIN_LOD', () => {
    expect(selectLod(chair, { distance: 0, platform: 'mobile' })).toBe(1);
    expect(selectLod(chair, { distance: 0, platform: 'pc' })).toBe(0);
    expect(selectLod(chair, { distance: 60, platform: 'mobile' })).toBe(2);
    expect(selectLod(chairAsset({ platformMinLod: { mobile: 0 } }), { distance: 0, platform: 'mobile' })).toBe(0);
    expect(selectLod(chairAsset({ platformMinLod: { web: 2 } }), { distance: 0, platform: 'web' })).toBe(2);
  });

  it('clamps the floor to the number of variants, and keeps assets without variants at 0', () => {
    expect(selectLod(chairAsset({ platformMinLod: { console: 9 } }), { platform: 'console' })).toBe(2);
    expect(selectLod(textureAsset(), { platform: 'mobile', distance: 100 })).toBe(0);
    expect(selectLod({ lods: [], platformMinLod: { mobile: 3 } }, { platform: 'mobile' })).toBe(0);
  });

  it('needs only lods and platformMinLod', () => {
    expect(selectLod({ lods: chair.lods }, { distance: 10 })).toBe(1);
  });

  it.each([
    [{ distance: -1 }, 'distance: must be a number >= 0'],
    [{ distance: Number.NaN }, 'distance: must be a number >= 0'],
    [{ screenCoverage: -0.1 }, 'screenCoverage: must be a number >= 0'],
    [{ platform: 'switch' }, 'platform: must be one of mobile, pc, console, web'],
  ])('rejects %j', (options, message) => {
    const error = caught(KilnValidationError, () => selectLod(chair, options as never));
    expect(error.code).toBe('invalid_input');
    expect(error.message).toBe(`selectLod: invalid options: ${message}`);
  });
});

describe('resolveAsset', () => {
  const manifest = manifestOf([chairAsset(), rockAsset(), textureAsset()]);

  it('resolves level 0 to the asset itself', () => {
    expect(resolveAsset(manifest, 'chair', { distance: 1 })).toEqual({
      assetId: 'chair',
      level: 0,
      key: 'acme/chair/lod0.glb',
      url: 'https://cdn.example.com/kiln/acme/chair/lod0.glb',
      sha256: SHA.a,
      bytes: 1000,
      contentType: 'model/gltf-binary',
      triangles: 10_000,
      cacheKey: `chair#0@${SHA.a}`,
    });
  });

  it('resolves level i to lods[i - 1], with the asset content type', () => {
    expect(resolveAsset(manifest, 'rock', { screenCoverage: 0.05, platform: 'web' })).toEqual({
      assetId: 'rock',
      level: 2,
      key: 'acme/rock/lod2.glb',
      url: 'https://cdn.example.com/kiln/acme/rock/lod2.glb',
      sha256: SHA.c,
      bytes: 100,
      contentType: 'model/gltf-binary',
      triangles: 300,
      cacheKey: `rock#2@${SHA.c}`,
    });
  });

  it('leaves triangles out when the level has none', () => {
    expect('triangles' in resolveAsset(manifest, 'wood')).toBe(false);
    expect('triangles' in resolveAsset(manifest, 'rock')).toBe(false);
  });

  it('keeps the cache key when only the presigned URL changes', () => {
    const at = (url: string) => resolveAsset(manifestOf([textureAsset({ url })]), 'wood');
    const first = at('https://bucket.example.com/acme/wood.ktx2?X-Amz-Signature=1&X-Amz-Date=20250101');
    const second = at('https://bucket.example.com/acme/wood.ktx2?X-Amz-Signature=2&X-Amz-Date=20250102');
    expect(first.url).not.toBe(second.url);
    expect(first.cacheKey).toBe(second.cacheKey);
    expect(first.cacheKey).toBe(`wood#0@${SHA.d}`);
  });

  it('prefers options.cdnBaseUrl to the manifest base, and encodes the key', () => {
    const resolved = resolveAsset(manifestOf([textureAsset({ key: 'acme/old wood#1.ktx2' })]), 'wood', {
      cdnBaseUrl: 'https://mirror.example.org/',
    });
    expect(resolved.url).toBe('https://mirror.example.org/acme/old%20wood%231.ktx2');
    expect(resolved.key).toBe('acme/old wood#1.ktx2');
  });

  it('takes an explicit level, bypassing measures and the platform floor', () => {
    expect(resolveAsset(manifest, 'chair', { level: 0, platform: 'mobile', distance: 100 }).level).toBe(0);
    expect(resolveAsset(manifest, 'chair', { level: 2 }).key).toBe('acme/chair/lod2.glb');
  });

  it('throws lod_not_found for a level beyond the variants', () => {
    const error = caught(ResolveError, () => resolveAsset(manifest, 'chair', { level: 3 }));
    expect(error.code).toBe('lod_not_found');
    expect(error.message).toBe('resolveAsset: asset "chair" has no level 3 (levels 0..2)');
    expect(error.details).toEqual({ assetId: 'chair', level: 3, levels: 3 });
  });

  it('throws asset_not_found for an unknown id', () => {
    const error = caught(ResolveError, () => resolveAsset(manifest, 'table'));
    expect(error.code).toBe('asset_not_found');
    expect(error.message).toBe('resolveAsset: asset "table" not found in the manifest (3 assets)');
  });

  it('throws manifest_unresolvable without url and base', () => {
    const bare: Manifest = { ...manifest };
    delete bare.cdnBaseUrl;
    const error = caught(ResolveError, () => resolveAsset(bare, 'chair', { distance: 10 }));
    expect(error.code).toBe('manifest_unresolvable');
    expect(error.message).toContain('asset "chair" level 1 has no url and there is no cdnBaseUrl');
    expect(error.details).toEqual({ assetId: 'chair', level: 1, key: 'acme/chair/lod1.glb' });
  });

  it('reports every invalid option at once', () => {
    const error = caught(KilnValidationError, () =>
      resolveAsset(manifest, 'chair', { distance: -1, level: 1.5, cdnBaseUrl: 'https://cdn.example.com/?sig=1' }),
    );
    expect(error.issues).toEqual([
      { path: 'distance', message: 'must be a number >= 0' },
      { path: 'level', message: 'must be an integer >= 0' },
      { path: 'cdnBaseUrl', message: 'must be an absolute http(s) URL without query string or fragment' },
    ]);
  });

  it('does not modify the manifest', () => {
    const frozen = deepFreeze(manifestOf([chairAsset()]));
    expect(resolveAsset(frozen, 'chair', { distance: 50, platform: 'mobile' }).level).toBe(2);
  });
});
