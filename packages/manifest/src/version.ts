import { ManifestError } from './errors.js';

/**
 * The manifest version this package writes: `"MAJOR.MINOR"`.
 *
 * Compatibility rule, shared by every reader (TypeScript, C#):
 * - a reader accepts any MINOR of its own MAJOR: minor versions only add optional fields, and
 *   fields a reader does not know are ignored and preserved;
 * - a higher MAJOR is rejected with `manifest_version_unsupported`;
 * - a lower MAJOR is migrated, one MAJOR at a time, through {@link MANIFEST_MIGRATIONS};
 * - a missing or malformed version is `manifest_invalid`.
 */
export const CURRENT_MANIFEST_VERSION = '1.0';

/** The MAJOR part of {@link CURRENT_MANIFEST_VERSION}. */
export const CURRENT_MANIFEST_MAJOR = 1;

/** A parsed `"MAJOR.MINOR"` manifest version. */
export interface ManifestVersion {
  major: number;
  minor: number;
}

const VERSION_PATTERN = /^(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

/**
 * Parses a `"MAJOR.MINOR"` version string (decimal, no leading zeros, no sign, no third part).
 * Returns `undefined` for anything else, including numbers such as `1.0`.
 */
export function parseManifestVersion(value: unknown): ManifestVersion | undefined {
  if (typeof value !== 'string') return undefined;
  const match = VERSION_PATTERN.exec(value);
  if (!match) return undefined;
  const major = Number(match[1]);
  const minor = Number(match[2]);
  if (!Number.isSafeInteger(major) || !Number.isSafeInteger(minor)) return undefined;
  return { major, minor };
}

/**
 * Migrates a manifest of MAJOR `N` (the registry key) to MAJOR `N + 1`. It receives the raw,
 * not yet validated object and returns a new object (it must not mutate its input). The
 * migration engine then sets `manifestVersion` to `"N+1.0"`, so a step need not.
 */
export type ManifestMigration = (manifest: Readonly<Record<string, unknown>>) => Record<string, unknown>;

/** Migration steps keyed by the MAJOR they migrate from. */
export type MigrationRegistry = ReadonlyMap<number, ManifestMigration>;

/**
 * The built-in migrations. Empty today: MAJOR 1 is the first. When MAJOR 2 ships, the step
 * `1 → 2` is added here (and to the C# port) so that readers of 2.x still read 1.x manifests.
 */
export const MANIFEST_MIGRATIONS: MigrationRegistry = new Map<number, ManifestMigration>();

/** Options of {@link migrateManifest}. */
export interface MigrateOptions {
  /** Migration steps to use. Default: {@link MANIFEST_MIGRATIONS}. */
  migrations?: MigrationRegistry;
}

/** Defaults of {@link MigrateOptions}. */
export const MIGRATE_DEFAULTS: Required<MigrateOptions> = { migrations: MANIFEST_MIGRATIONS };

/**
 * Brings a raw manifest object to the current MAJOR, without validating its other fields.
 * A manifest of the current MAJOR (any MINOR) is returned as is.
 *
 * @throws {@link ManifestError} `manifest_invalid` for a missing or malformed `manifestVersion`
 *   or a failing migration step; `manifest_version_unsupported` for a newer MAJOR or an older
 *   MAJOR without a registered step.
 */
export function migrateManifest(
  manifest: Readonly<Record<string, unknown>>,
  options: MigrateOptions = {},
): Readonly<Record<string, unknown>> {
  return migrate(manifest, options.migrations ?? MIGRATE_DEFAULTS.migrations, 'migrateManifest');
}

/** @internal {@link migrateManifest} with the caller's name as the message prefix. */
export function migrate(
  manifest: Readonly<Record<string, unknown>>,
  migrations: MigrationRegistry,
  prefix: string,
): Readonly<Record<string, unknown>> {
  const raw = manifest['manifestVersion'];
  const version = parseManifestVersion(raw);
  if (!version) {
    const message =
      raw === undefined
        ? `required: a "MAJOR.MINOR" string such as "${CURRENT_MANIFEST_VERSION}"`
        : `must be a "MAJOR.MINOR" string such as "${CURRENT_MANIFEST_VERSION}", got ${describeValue(raw)}`;
    throw new ManifestError('manifest_invalid', `${prefix}: invalid manifest: manifestVersion: ${message}`, [
      { path: 'manifestVersion', message },
    ]);
  }
  if (version.major > CURRENT_MANIFEST_MAJOR) {
    throw new ManifestError(
      'manifest_version_unsupported',
      `${prefix}: manifest version ${String(raw)} is newer than this reader supports (${CURRENT_MANIFEST_MAJOR}.x); upgrade @kiln/manifest`,
      [],
      { details: { manifestVersion: raw, supportedMajor: CURRENT_MANIFEST_MAJOR } },
    );
  }
  let current = manifest;
  for (let major = version.major; major < CURRENT_MANIFEST_MAJOR; major++) {
    const step = migrations.get(major);
    if (!step) {
      throw new ManifestError(
        'manifest_version_unsupported',
        `${prefix}: manifest version ${String(raw)} cannot be read: no migration from MAJOR ${major} to ${major + 1} is registered`,
        [],
        { details: { manifestVersion: raw, supportedMajor: CURRENT_MANIFEST_MAJOR } },
      );
    }
    let next: unknown;
    try {
      next = step(current);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ManifestError(
        'manifest_invalid',
        `${prefix}: invalid manifest: migration from MAJOR ${major} to ${major + 1} failed: ${reason}`,
        [{ path: '', message: reason }],
        { cause: error },
      );
    }
    if (!isPlainObject(next)) {
      throw new ManifestError(
        'manifest_invalid',
        `${prefix}: invalid manifest: migration from MAJOR ${major} to ${major + 1} did not return an object`,
        [{ path: '', message: 'migration did not return an object' }],
      );
    }
    current = { ...next, manifestVersion: `${major + 1}.0` };
  }
  return current;
}

/** @internal True for a non-null, non-array object. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'an array';
  return `a value of type ${typeof value}`;
}
