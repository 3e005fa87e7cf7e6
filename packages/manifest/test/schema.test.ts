import { describe, expect, it } from 'vitest';
import {
  ASSET_ID_PATTERN,
  AssetMetadataSchema,
  AssetSchema,
  LodVariantSchema,
  ManifestSchema,
  SHA256_PATTERN,
  STORAGE_KEY_PATTERN,
} from '../src/index.js';
import { chairAsset, rawManifest, rockAsset, SHA, textureAsset } from './helpers/fixtures.js';

function issuesOf(result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) {
  return (result.error?.issues ?? []).map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('ManifestSchema', () => {
  it('accepts a manifest using every field and keeps unknown fields at every level', () => {
    const input = rawManifest(
      [
        chairAsset({
          url: 'https://bucket.s3.amazonaws.com/acme/chair/lod0.glb?X-Amz-Signature=abc',
          platformMinLod: { mobile: 2, pc: 0 },
          textureCodecs: ['ktx2-etc1s', 'webp'],
          metadata: {
            prompt: 'a wooden chair',
            negativePrompt: 'blurry',
            tags: ['furniture'],
            qualityRating: 4.5,
            version: 3,
            lineage: { parentIds: ['chair-draft'], pipeline: 'trellis', steps: ['generate', 'decimate'], extra: 1 },
            seed: 1234,
          },
          futureAssetField: { any: 'thing' },
        }),
        rockAsset(),
        textureAsset({ metadata: { version: 'v2' } }),
      ],
      { runId: 'run-1', futureTopLevel: [1, 2] },
    );
    const lods = (input['assets'] as Record<string, unknown>[])[0]?.['lods'] as Record<string, unknown>[];
    (lods[0] as Record<string, unknown>)['futureLodField'] = true;

    const result = ManifestSchema.safeParse(input);
    expect(issuesOf(result)).toEqual([]);
    expect(result.data).toEqual(input);
    expect(result.data).not.toBe(input);
  });

  it('reports a duplicate id at the duplicate, naming the first occurrence', () => {
    const result = ManifestSchema.safeParse(rawManifest([textureAsset(), chairAsset(), textureAsset()]));
    expect(issuesOf(result)).toEqual(['assets.2.id: duplicate asset id "wood" (also assets.0.id)']);
  });

  it('accepts date-times with an offset or fractional seconds and rejects local ones', () => {
    for (const generatedAt of ['2025-01-31T12:00:00Z', '2025-01-31T12:00:00.123Z', '2025-01-31T14:00:00+02:00']) {
      expect(ManifestSchema.safeParse(rawManifest([], { generatedAt })).success, generatedAt).toBe(true);
    }
    for (const generatedAt of ['2025-01-31T12:00:00', '2025-01-31', '31/01/2025', '2025-02-30T12:00:00Z']) {
      expect(ManifestSchema.safeParse(rawManifest([], { generatedAt })).success, generatedAt).toBe(false);
    }
  });

  it('takes only absolute http(s) cdnBaseUrls without query string or fragment', () => {
    for (const cdnBaseUrl of ['https://cdn.example.com', 'https://cdn.example.com/a/b/', 'http://localhost:9000/bucket']) {
      expect(ManifestSchema.safeParse(rawManifest([], { cdnBaseUrl })).success, cdnBaseUrl).toBe(true);
    }
    for (const cdnBaseUrl of ['cdn.example.com', '/kiln', 'ftp://cdn.example.com', 'https://cdn.example.com/?a=1', 'https://cdn.example.com/#x', 'HTTPS://CDN.EXAMPLE.COM']) {
      expect(ManifestSchema.safeParse(rawManifest([], { cdnBaseUrl })).success, cdnBaseUrl).toBe(false);
    }
  });

  it('accepts any MINOR of MAJOR 1 only', () => {
    expect(ManifestSchema.safeParse(rawManifest([], { manifestVersion: '1.42' })).success).toBe(true);
    expect(ManifestSchema.safeParse(rawManifest([], { manifestVersion: '2.0' })).success).toBe(false);
    expect(ManifestSchema.safeParse(rawManifest([], { manifestVersion: '1.01' })).success).toBe(false);
  });
});

describe('patterns', () => {
  it('ASSET_ID_PATTERN: 1-200 of A-Z a-z 0-9 . _ : -', () => {
    for (const id of ['a', 'Chair_01', 'run-42:wood.v2', 'x'.repeat(200)]) expect(ASSET_ID_PATTERN.test(id), id).toBe(true);
    for (const id of ['', 'a b', 'a/b', 'é', 'x'.repeat(201), 'a#b']) expect(ASSET_ID_PATTERN.test(id), id).toBe(false);
  });

  it('SHA256_PATTERN: 64 lowercase hex', () => {
    expect(SHA256_PATTERN.test('0123456789abcdef'.repeat(4))).toBe(true);
    expect(SHA256_PATTERN.test('0123456789ABCDEF'.repeat(4))).toBe(false);
    expect(SHA256_PATTERN.test('a'.repeat(63))).toBe(false);
    expect(SHA256_PATTERN.test('a'.repeat(65))).toBe(false);
  });

  it('STORAGE_KEY_PATTERN: relative, no ".." segment, no control character', () => {
    for (const key of ['a', 'a/b.glb', 'a..b', '...', 'a/.../b', '.hidden/x', 'a//b', 'my chair #2?.glb', 'modèles/椅子.glb']) {
      expect(STORAGE_KEY_PATTERN.test(key), key).toBe(true);
    }
    for (const key of ['', '/a', '..', '../a', 'a/..', 'a/../b', 'a\nb', 'a\u0000b', 'a\u007fb']) {
      expect(STORAGE_KEY_PATTERN.test(key), JSON.stringify(key)).toBe(false);
    }
  });

  it('rejects a key that is not well-formed Unicode', () => {
    const result = AssetSchema.safeParse(textureAsset({ key: 'acme/\ud800.glb' }));
    expect(issuesOf(result)).toEqual(['key: must be well-formed Unicode (no lone surrogate)']);
    expect(AssetSchema.safeParse(textureAsset({ key: 'acme/\ud83e\ude91.glb' })).success).toBe(true);
  });
});

describe('AssetSchema', () => {
  it('reports a missing required field at its path', () => {
    const { sha256: _sha256, ...withoutSha } = textureAsset();
    const result = AssetSchema.safeParse(withoutSha);
    expect(issuesOf(result)).toEqual(['sha256: Invalid input: expected string, received undefined']);
  });

  it('accepts media types with parameters and rejects bare extensions', () => {
    expect(AssetSchema.safeParse(textureAsset({ contentType: 'model/gltf+json; charset=utf-8' })).success).toBe(true);
    expect(AssetSchema.safeParse(textureAsset({ contentType: 'glb' })).success).toBe(false);
  });

  it('allows url only as absolute http(s)', () => {
    expect(AssetSchema.safeParse(textureAsset({ url: 'https://x.example.com/a.ktx2?sig=1' })).success).toBe(true);
    for (const url of ['/a.ktx2', 'file:///etc/passwd', 'javascript:alert(1)', 'data:image/png;base64,AAAA']) {
      expect(issuesOf(AssetSchema.safeParse(textureAsset({ url }))), url).toEqual(['url: must be an absolute http(s) URL']);
    }
  });
});

describe('LodVariantSchema and lods', () => {
  const variant = { key: 'a/lod1.glb', sha256: SHA.b, bytes: 1, triangles: 1 };

  it('requires exactly one measure per variant', () => {
    expect(LodVariantSchema.safeParse({ ...variant, switchDistance: 0 }).success).toBe(true);
    expect(LodVariantSchema.safeParse({ ...variant, screenCoverage: 1 }).success).toBe(true);
    expect(issuesOf(LodVariantSchema.safeParse(variant))).toEqual([': set exactly one of switchDistance or screenCoverage']);
    expect(issuesOf(LodVariantSchema.safeParse({ ...variant, switchDistance: 1, screenCoverage: 0.5 }))).toEqual([
      ': set exactly one of switchDistance or screenCoverage, not both',
    ]);
  });

  it('rejects non-finite thresholds', () => {
    expect(LodVariantSchema.safeParse({ ...variant, switchDistance: Number.POSITIVE_INFINITY }).success).toBe(false);
    expect(LodVariantSchema.safeParse({ ...variant, switchDistance: Number.NaN }).success).toBe(false);
  });

  it('checks each variant against the previous one of the same measure (7 follows 5, not 10)', () => {
    const result = AssetSchema.safeParse(
      chairAsset({
        lods: [
          { ...variant, switchDistance: 10 },
          { ...variant, screenCoverage: 0.5 },
          { ...variant, switchDistance: 5 },
          { ...variant, switchDistance: 7 },
        ],
      }),
    );
    expect(issuesOf(result)).toEqual([
      'lods.1.screenCoverage: uses screenCoverage but lods.0 uses switchDistance: all variants of an asset use the same measure',
      'lods.2.switchDistance: must be greater than lods.0.switchDistance (10): distances increase strictly, most detailed variant first',
    ]);
  });

  it('takes the measure of the first variant that sets exactly one', () => {
    const result = AssetSchema.safeParse(
      rockAsset({ lods: [{ ...variant }, { ...variant, screenCoverage: 0.5 }, { ...variant, screenCoverage: 0.6 }] }),
    );
    expect(issuesOf(result)).toEqual([
      'lods.0: set exactly one of switchDistance or screenCoverage',
      'lods.2.screenCoverage: must be less than lods.1.screenCoverage (0.5): coverages decrease strictly, most detailed variant first',
    ]);
  });

  it('accepts an empty lods array and a platform floor beyond the variants', () => {
    expect(AssetSchema.safeParse(textureAsset({ lods: [], platformMinLod: { mobile: 5 } })).success).toBe(true);
  });
});

describe('AssetMetadataSchema', () => {
  it('types known fields and keeps the rest', () => {
    const metadata = { prompt: 'p', qualityRating: 0, version: 'v1', custom: { nested: true } };
    expect(AssetMetadataSchema.parse(metadata)).toEqual(metadata);
    expect(AssetMetadataSchema.safeParse({ qualityRating: 5.01 }).success).toBe(false);
    expect(AssetMetadataSchema.safeParse({ tags: ['a', 1] }).success).toBe(false);
    expect(AssetMetadataSchema.safeParse({ lineage: { parentIds: 'a' } }).success).toBe(false);
  });
});
