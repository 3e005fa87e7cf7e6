import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  CURRENT_MANIFEST_VERSION,
  createManifest,
  isKilnError,
  KilnError,
  ManifestError,
  parseManifest,
  safeParseManifest,
  type MigrationRegistry,
} from '../src/index.js';
import { chairAsset, rawManifest, rockAsset, textureAsset } from './helpers/fixtures.js';

function caught(run: () => unknown): ManifestError {
  try {
    run();
  } catch (error) {
    if (error instanceof ManifestError) return error;
    throw error;
  }
  throw new Error('expected a ManifestError');
}

describe('parseManifest', () => {
  it('accepts an object or its JSON text, with the same result', () => {
    const raw = rawManifest([chairAsset(), textureAsset()]);
    const fromObject = parseManifest(raw);
    expect(fromObject).toEqual(raw);
    expect(fromObject).not.toBe(raw);
    expect(parseManifest(JSON.stringify(raw))).toEqual(fromObject);
  });

  it('keeps unknown fields of a newer MINOR', () => {
    const raw = rawManifest([{ ...textureAsset(), compression: { zstd: true } }], { manifestVersion: '1.3', signature: 'x' });
    const manifest = parseManifest(raw);
    expect(manifest['signature']).toBe('x');
    expect(manifest.assets[0]?.['compression']).toEqual({ zstd: true });
  });

  it('names every offending field path in the message and in issues', () => {
    const raw = rawManifest(
      [textureAsset({ sha256: 'nope', bytes: -1 }), chairAsset({ key: '/abs.glb' }), textureAsset({ id: 'chair' })],
      { tenantId: undefined },
    );
    const error = caught(() => parseManifest(raw));
    expect(error.code).toBe('manifest_invalid');
    expect(error.issues.map((issue) => issue.path)).toEqual([
      'tenantId',
      'assets.0.bytes',
      'assets.0.sha256',
      'assets.1.key',
      'assets.2.id',
    ]);
    for (const issue of error.issues) expect(error.message).toContain(`${issue.path}: ${issue.message}`);
    expect(error.message.startsWith('parseManifest: invalid manifest: tenantId: required; ')).toBe(true);
    expect(error.cause).toBeInstanceOf(z.ZodError);
  });

  it('calls a missing field "required", including enum fields', () => {
    const { type: _type, contentType: _contentType, ...asset } = textureAsset();
    const error = caught(() => parseManifest(rawManifest([asset])));
    expect(error.issues).toEqual([
      { path: 'assets.0.type', message: 'required' },
      { path: 'assets.0.contentType', message: 'required' },
    ]);
  });

  it('rejects text that is not JSON, with the SyntaxError as cause', () => {
    const error = caught(() => parseManifest('{"manifestVersion": '));
    expect(error.code).toBe('manifest_invalid');
    expect(error.message).toMatch(/^parseManifest: invalid manifest: not valid JSON \(/);
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it.each([[null], [42], [[]], ['"a string"'], ['[1]'], [undefined]])('rejects %j as not a manifest object', (input) => {
    const error = caught(() => parseManifest(input));
    expect(error.code).toBe('manifest_invalid');
    expect(error.issues).toEqual([{ path: '', message: 'expected a manifest object or its JSON text' }]);
  });

  it('checks the version before the fields', () => {
    const error = caught(() => parseManifest({ manifestVersion: '3.0', assets: 'not even an array' }));
    expect(error.code).toBe('manifest_version_unsupported');
  });

  it('throws errors that are KilnErrors', () => {
    const error = caught(() => parseManifest({}));
    expect(error).toBeInstanceOf(KilnError);
    expect(isKilnError(error)).toBe(true);
    expect(error.name).toBe('ManifestError');
  });
});

describe('safeParseManifest', () => {
  it('returns the data on success', () => {
    const raw = rawManifest([rockAsset()]);
    expect(safeParseManifest(raw)).toEqual({ success: true, data: raw });
  });

  it('returns the ManifestError on failure', () => {
    const result = safeParseManifest(rawManifest([], { manifestVersion: '9.0' }));
    expect(result.success).toBe(false);
    expect(result.error).toBeInstanceOf(ManifestError);
    expect(result.error?.code).toBe('manifest_version_unsupported');
  });

  it('passes injected migrations through', () => {
    const migrations: MigrationRegistry = new Map([[0, (manifest) => ({ ...manifest })]]);
    const result = safeParseManifest(rawManifest([], { manifestVersion: '0.1' }), { migrations });
    expect(result).toMatchObject({ success: true, data: { manifestVersion: '1.0' } });
  });

  it('rethrows errors that are not ManifestErrors (bugs, not bad input)', () => {
    const migrations = {
      get() {
        throw new TypeError('registry exploded');
      },
    } as unknown as MigrationRegistry;
    expect(() => safeParseManifest(rawManifest([], { manifestVersion: '0.1' }), { migrations })).toThrow(TypeError);
  });
});

describe('createManifest', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes the current version and the given fields, and round-trips through parseManifest', () => {
    const manifest = createManifest({
      tenantId: 'acme',
      runId: 'run-7',
      cdnBaseUrl: 'https://cdn.example.com/kiln',
      assets: [chairAsset(), textureAsset()],
      generatedAt: '2025-01-31T12:00:00Z',
    });
    expect(manifest).toEqual({
      manifestVersion: CURRENT_MANIFEST_VERSION,
      tenantId: 'acme',
      runId: 'run-7',
      cdnBaseUrl: 'https://cdn.example.com/kiln',
      generatedAt: '2025-01-31T12:00:00Z',
      assets: [chairAsset(), textureAsset()],
    });
    expect(parseManifest(JSON.stringify(manifest))).toEqual(manifest);
  });

  it('leaves optional fields out rather than undefined', () => {
    const manifest = createManifest({ tenantId: 'acme', assets: [], generatedAt: '2025-01-31T12:00:00Z' });
    expect(Object.keys(manifest).sort()).toEqual(['assets', 'generatedAt', 'manifestVersion', 'tenantId']);
  });

  it('takes a Date, and defaults generatedAt to the current time', () => {
    expect(createManifest({ tenantId: 't', assets: [], generatedAt: new Date(Date.UTC(2025, 0, 2)) }).generatedAt).toBe(
      '2025-01-02T00:00:00.000Z',
    );
    vi.useFakeTimers({ now: Date.UTC(2026, 4, 6, 7, 8, 9) });
    expect(createManifest({ tenantId: 't', assets: [] }).generatedAt).toBe('2026-05-06T07:08:09.000Z');
  });

  it('validates what it builds', () => {
    const error = caught(() => createManifest({ tenantId: 'acme', assets: [textureAsset(), textureAsset()] }));
    expect(error.code).toBe('manifest_invalid');
    expect(error.message).toBe('createManifest: invalid manifest: assets.1.id: duplicate asset id "wood" (also assets.0.id)');
  });

  it('rejects an invalid Date and a malformed date string', () => {
    expect(caught(() => createManifest({ tenantId: 'a', assets: [], generatedAt: new Date('nope') })).issues).toEqual([
      { path: 'generatedAt', message: 'must be a valid Date or ISO 8601 date-time' },
    ]);
    expect(caught(() => createManifest({ tenantId: 'a', assets: [], generatedAt: 'today' })).issues.map((i) => i.path)).toEqual([
      'generatedAt',
    ]);
  });
});
