import { describe, expect, it } from 'vitest';
import {
  CURRENT_MANIFEST_MAJOR,
  CURRENT_MANIFEST_VERSION,
  MANIFEST_MIGRATIONS,
  ManifestError,
  migrateManifest,
  parseManifest,
  parseManifestVersion,
  type ManifestMigration,
  type MigrationRegistry,
} from '../src/index.js';
import { rawManifest, textureAsset } from './helpers/fixtures.js';

function caught(run: () => unknown): ManifestError {
  try {
    run();
  } catch (error) {
    if (error instanceof ManifestError) return error;
    throw error;
  }
  throw new Error('expected a ManifestError');
}

/** A MAJOR 0 manifest, as a hypothetical older writer produced it. */
const v0 = {
  manifestVersion: '0.4',
  tenant: 'acme',
  created: '2024-06-01T00:00:00Z',
  files: [{ ...textureAsset(), kind: 'texture' }],
};

const zeroToOne: ManifestMigration = ({ tenant, created, files, ...rest }) => ({
  ...rest,
  tenantId: tenant,
  generatedAt: created,
  assets: files,
});

describe('CURRENT_MANIFEST_VERSION', () => {
  it('is 1.0 and agrees with CURRENT_MANIFEST_MAJOR', () => {
    expect(CURRENT_MANIFEST_VERSION).toBe('1.0');
    expect(parseManifestVersion(CURRENT_MANIFEST_VERSION)).toEqual({ major: CURRENT_MANIFEST_MAJOR, minor: 0 });
  });

  it('has no built-in migration yet (MAJOR 1 is the first)', () => {
    expect(MANIFEST_MIGRATIONS.size).toBe(0);
  });
});

describe('parseManifestVersion', () => {
  it.each([
    ['1.0', { major: 1, minor: 0 }],
    ['1.7', { major: 1, minor: 7 }],
    ['0.12', { major: 0, minor: 12 }],
    ['10.0', { major: 10, minor: 0 }],
  ])('parses %s', (input, expected) => {
    expect(parseManifestVersion(input)).toEqual(expected);
  });

  it.each([['1'], ['1.0.0'], ['v1.0'], ['01.0'], ['1.01'], [' 1.0'], ['-1.0'], ['1.x'], [''], [1], [1.5], [null], [undefined], [{}]])(
    'rejects %j',
    (input) => {
      expect(parseManifestVersion(input)).toBeUndefined();
    },
  );

  it('rejects majors beyond safe integers', () => {
    expect(parseManifestVersion('99999999999999999999.0')).toBeUndefined();
  });
});

describe('migrateManifest', () => {
  it('returns a manifest of the current MAJOR unchanged, whatever its MINOR', () => {
    const manifest = rawManifest([], { manifestVersion: '1.9', extra: true });
    expect(migrateManifest(manifest)).toBe(manifest);
  });

  it('runs the step registered for an older MAJOR and sets the new version', () => {
    const migrations: MigrationRegistry = new Map([[0, zeroToOne]]);
    const frozen = Object.freeze({ ...v0 });
    const migrated = migrateManifest(frozen, { migrations });
    expect(migrated).toEqual({
      manifestVersion: '1.0',
      tenantId: 'acme',
      generatedAt: '2024-06-01T00:00:00Z',
      assets: v0.files,
    });
    expect(frozen.manifestVersion).toBe('0.4');
  });

  it('lets parseManifest read an older MAJOR through an injected registry', () => {
    const manifest = parseManifest(JSON.stringify(v0), { migrations: new Map([[0, zeroToOne]]) });
    expect(manifest.manifestVersion).toBe('1.0');
    expect(manifest.tenantId).toBe('acme');
    expect(manifest.assets[0]?.['kind']).toBe('texture');
  });

  it('validates the migrated manifest', () => {
    const broken: ManifestMigration = (manifest) => ({ ...manifest });
    const error = caught(() => parseManifest(v0, { migrations: new Map([[0, broken]]) }));
    expect(error.code).toBe('manifest_invalid');
    expect(error.issues.map((issue) => issue.path)).toEqual(['tenantId', 'generatedAt', 'assets']);
  });

  it('rejects an older MAJOR without a registered step', () => {
    const error = caught(() => migrateManifest(v0, { migrations: new Map() }));
    expect(error.code).toBe('manifest_version_unsupported');
    expect(error.message).toBe(
      'migrateManifest: manifest version 0.4 cannot be read: no migration from MAJOR 0 to 1 is registered',
    );
  });

  it('rejects a newer MAJOR, naming the supported one', () => {
    const error = caught(() => migrateManifest(rawManifest([], { manifestVersion: '2.3' })));
    expect(error.code).toBe('manifest_version_unsupported');
    expect(error.message).toContain('2.3 is newer than this reader supports (1.x)');
    expect(error.details).toMatchObject({ manifestVersion: '2.3', supportedMajor: 1 });
  });

  it('wraps a failing step as manifest_invalid with the cause', () => {
    const boom = new Error('files must be an array');
    const failing: ManifestMigration = () => {
      throw boom;
    };
    const error = caught(() => migrateManifest(v0, { migrations: new Map([[0, failing]]) }));
    expect(error.code).toBe('manifest_invalid');
    expect(error.message).toBe('migrateManifest: invalid manifest: migration from MAJOR 0 to 1 failed: files must be an array');
    expect(error.cause).toBe(boom);
  });

  it('rejects a step that returns something other than an object', () => {
    const bad = (() => [1, 2]) as unknown as ManifestMigration;
    const error = caught(() => migrateManifest(v0, { migrations: new Map([[0, bad]]) }));
    expect(error.code).toBe('manifest_invalid');
    expect(error.message).toContain('did not return an object');
  });

  it.each([
    [undefined, 'manifestVersion: required: a "MAJOR.MINOR" string such as "1.0"'],
    [1, 'manifestVersion: must be a "MAJOR.MINOR" string such as "1.0", got 1'],
    ['1.0.0', 'manifestVersion: must be a "MAJOR.MINOR" string such as "1.0", got "1.0.0"'],
    [['1.0'], 'manifestVersion: must be a "MAJOR.MINOR" string such as "1.0", got an array'],
  ])('rejects the version %j as manifest_invalid', (manifestVersion, message) => {
    const error = caught(() => migrateManifest(rawManifest([], { manifestVersion })));
    expect(error.code).toBe('manifest_invalid');
    expect(error.message).toBe(`migrateManifest: invalid manifest: ${message}`);
    expect(error.issues.map((issue) => issue.path)).toEqual(['manifestVersion']);
  });
});
