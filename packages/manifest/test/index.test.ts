import { describe, expect, it } from 'vitest';
import * as api from '../src/index.js';

describe('@kiln/manifest barrel', () => {
  it('exports exactly the public runtime API', () => {
    expect(Object.keys(api).sort()).toEqual(
      [
        'ASSET_ID_PATTERN',
        'ASSET_TYPES',
        'AssetLineageSchema',
        'AssetMetadataSchema',
        'AssetSchema',
        'AssetTypeSchema',
        'CURRENT_MANIFEST_MAJOR',
        'CURRENT_MANIFEST_VERSION',
        'DEFAULT_PLATFORM_MIN_LOD',
        'KilnError',
        'KilnValidationError',
        'LodVariantSchema',
        'MANIFEST_MIGRATIONS',
        'MIGRATE_DEFAULTS',
        'ManifestError',
        'ManifestSchema',
        'PARSE_MANIFEST_DEFAULTS',
        'PLATFORMS',
        'PlatformSchema',
        'ResolveError',
        'SHA256_PATTERN',
        'STORAGE_KEY_PATTERN',
        'TEXTURE_CODECS',
        'TextureCodecSchema',
        'createManifest',
        'formatPath',
        'isKilnError',
        'joinCdnUrl',
        'migrateManifest',
        'parseInput',
        'parseManifest',
        'parseManifestVersion',
        'resolveAsset',
        'safeParseManifest',
        'selectLod',
        'stripQuery',
      ].sort(),
    );
  });

  it('keeps internals out', () => {
    for (const name of ['toManifestJsonSchema', 'manifestDocs', 'CdnBaseUrlSchema', 'lodMeasure', 'migrate', 'isPlainObject']) {
      expect(api).not.toHaveProperty(name);
    }
  });
});
