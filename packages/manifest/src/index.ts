/**
 * `@kiln/manifest`: the Kiln asset manifest (zod schema, types, version rule) and the pure
 * resolution rules (LOD choice, URL, cache key) shared by every Kiln reader.
 *
 * @module @kiln/manifest
 */

export {
  isKilnError,
  formatPath,
  parseInput,
  KilnError,
  KilnValidationError,
  ManifestError,
  ResolveError,
} from './errors.js';
export type {
  KilnErrorOptions,
  ValidationIssue,
  ManifestErrorCode,
  ResolveErrorCode,
} from './errors.js';

export {
  ASSET_TYPES,
  PLATFORMS,
  TEXTURE_CODECS,
  ASSET_ID_PATTERN,
  SHA256_PATTERN,
  STORAGE_KEY_PATTERN,
  AssetTypeSchema,
  PlatformSchema,
  TextureCodecSchema,
  LodVariantSchema,
  AssetLineageSchema,
  AssetMetadataSchema,
  AssetSchema,
  ManifestSchema,
} from './schema.js';
export type {
  AssetType,
  Platform,
  TextureCodec,
  LodVariant,
  AssetLineage,
  AssetMetadata,
  Asset,
  Manifest,
} from './schema.js';

export {
  CURRENT_MANIFEST_VERSION,
  CURRENT_MANIFEST_MAJOR,
  MANIFEST_MIGRATIONS,
  MIGRATE_DEFAULTS,
  parseManifestVersion,
  migrateManifest,
} from './version.js';
export type { ManifestVersion, ManifestMigration, MigrationRegistry, MigrateOptions } from './version.js';

export { PARSE_MANIFEST_DEFAULTS, parseManifest, safeParseManifest, createManifest } from './parse.js';
export type { ParseManifestOptions, SafeParseManifestResult, CreateManifestOptions } from './parse.js';

export { DEFAULT_PLATFORM_MIN_LOD, selectLod, resolveAsset } from './resolve.js';
export type { SelectLodOptions, LodSource, ResolveAssetOptions, ResolvedAsset } from './resolve.js';

export { joinCdnUrl, stripQuery } from './url.js';

// Intentionally not exported: `toManifestJsonSchema` (the generated file ships as
// `@kiln/manifest/schema.json`), `manifestDocs`, `CdnBaseUrlSchema`, `lodMeasure`, `migrate`.
