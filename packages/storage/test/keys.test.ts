import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { artifactKey, ARTIFACT_TYPES, createAssetStore, filenameProblem, fsDriver, parseArtifactKey, StorageError } from '@kiln/storage';

const operation = 'test';

function keyOrError(tenant: string, name: unknown): string | StorageError {
  try {
    return artifactKey(tenant, name, operation);
  } catch (error) {
    if (error instanceof StorageError) return error;
    throw error;
  }
}

/** Characters that make paths escape: separators, dots, percent escapes, look-alikes. */
const nasty = fc.constantFrom(
  '/', '\\', '.', '..', '%2f', '%2F', '%5c', '%2e%2e', '\u0000', '\n', '\u202e', '\u200b',
  '\uff0f', '\uff3c', '\u2025', '\u2024', '\ufe52', '\u2215', '\u29f8', ' ', 'a', 'Z', '9', '-', '_', 'é', '日',
);
const nastyString = fc.array(nasty, { minLength: 0, maxLength: 8 }).map((parts) => parts.join(''));
const anyString = fc.oneof(nastyString, fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 300 }));

describe('artifact keys', () => {
  it('builds {tenantId}/{runId}/{artifactType}/{filename}', () => {
    expect(artifactKey('acme', { runId: 'run-1', artifactType: 'model_3d', filename: 'Crate 01.glb' }, operation)).toBe('acme/run-1/model_3d/Crate 01.glb');
    expect(parseArtifactKey('acme', 'acme/run-1/model_3d/Crate 01.glb')).toEqual({ runId: 'run-1', artifactType: 'model_3d', filename: 'Crate 01.glb' });
  });

  it.each([
    ['', 'must not be empty'],
    ['.', 'must not be "." or ".."'],
    ['..', 'must not be "." or ".."'],
    ['a/b.png', '"/"'],
    ['a\\b.png', '"/"'],
    ['a\u0000.png', 'control'],
    ['a\u202e.png', 'control'],
    ['a%2Fb.png', 'percent-encoded'],
    ['a%2e%2e', 'percent-encoded'],
    ['a\uff0fb.png', '"/"'], // FULLWIDTH SOLIDUS folds to "/"
    ['\u2025', 'must not be "." or ".."'], // TWO DOT LEADER folds to ".."
    ['.hidden', 'must not start with "."'],
    [' spaced.png', 'white space'],
    ['e\u0301.png', 'NFC'],
    ['x'.repeat(256), 'at most 255 bytes'],
    ['日'.repeat(86), 'at most 255 bytes'],
  ])('rejects the filename %j', (filename, reason) => {
    expect(filenameProblem(filename)).toContain(reason);
  });

  it.each(['crate.glb', 'Crate 01 (final).png', 'château.ktx2', '日本.glb', 'a-b_c.d.e', '100%.png'])('accepts the filename %j', (filename) => {
    expect(filenameProblem(filename)).toBeUndefined();
  });

  it.each([
    ['tenantId', '', { runId: 'r', artifactType: 'image', filename: 'a.png' }],
    ['tenantId', '..', { runId: 'r', artifactType: 'image', filename: 'a.png' }],
    ['tenantId', 'a/b', { runId: 'r', artifactType: 'image', filename: 'a.png' }],
    ['runId', 't', { runId: 'r/x', artifactType: 'image', filename: 'a.png' }],
    ['runId', 't', { runId: '_blobs', artifactType: 'image', filename: 'a.png' }],
    ['runId', 't', { runId: 'a..b', artifactType: 'image', filename: 'a.png' }],
    ['artifactType', 't', { runId: 'r', artifactType: 'meshes', filename: 'a.png' }],
    ['filename', 't', { runId: 'r', artifactType: 'image', filename: 'a/../../b' }],
  ])('names the field %s in the error', (field, tenant, name) => {
    const result = keyOrError(tenant, name);
    expect(result).toBeInstanceOf(StorageError);
    expect((result as StorageError).code).toBe('invalid_key');
    expect((result as StorageError).details['field']).toBe(field);
    expect((result as StorageError).message).toContain(field);
  });

  it('property: no input yields a key outside the tenant prefix', () => {
    fc.assert(
      fc.property(anyString, anyString, fc.oneof(fc.constantFrom(...ARTIFACT_TYPES), anyString), anyString, (tenant, runId, artifactType, filename) => {
        const result = keyOrError(tenant, { runId, artifactType, filename });
        if (result instanceof StorageError) return;
        const segments = result.split('/');
        expect(segments).toHaveLength(4);
        expect(segments[0]).toBe(tenant);
        expect(result.startsWith(`${tenant}/`)).toBe(true);
        for (const segment of segments) {
          expect(['', '.', '..']).not.toContain(segment);
          expect(segment).not.toMatch(/[\\\u0000-\u001f]|%[0-9a-f]{2}/i);
          // Whatever a server or a browser decodes or normalises, it cannot become a separator.
          expect(segment.normalize('NFKC')).not.toMatch(/[/\\]/);
          expect(['.', '..']).not.toContain(segment.normalize('NFKC'));
          expect(decodeURIComponent(encodeURIComponent(segment))).toBe(segment);
        }
        expect(new URL(`http://cdn.test/${segments.map(encodeURIComponent).join('/')}`).pathname.startsWith(`/${encodeURIComponent(tenant)}/`)).toBe(true);
        expect(parseArtifactKey(tenant, result)).toEqual({ runId, artifactType, filename });
      }),
      { numRuns: 3000 },
    );
  });

  it('property: a tenant handle refuses every key string of another tenant', async () => {
    const tenant = createAssetStore({ driver: fsDriver({ root: '/nonexistent-kiln-root' }) }).tenant('tenant-a');
    await fc.assert(
      fc.asyncProperty(anyString, async (suffix) => {
        const error = await tenant.head(`tenant-b/${suffix}`).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StorageError);
        expect((error as StorageError).code).toBe('invalid_key');
      }),
      { numRuns: 500 },
    );
  });

  it('throws typed errors for a bad tenant id at store.tenant()', () => {
    const store = createAssetStore({ driver: fsDriver({ root: '/nonexistent-kiln-root' }) });
    expect(() => store.tenant('../x')).toThrow(expect.objectContaining({ code: 'invalid_key' }));
  });
});

describe('options validation', () => {
  const store = createAssetStore({ driver: fsDriver({ root: '/nonexistent-kiln-root' }) });
  const tenant = store.tenant('t');

  it.each([
    ['gc', () => tenant.gc({ graceMs: -1 }), 'graceMs'],
    ['usage', () => tenant.usage({ getRequests: -5 }), 'getRequests'],
    ['presign', () => tenant.presign({ runId: 'r', artifactType: 'image', filename: 'a.png' }, { expiresIn: 700_000 }), 'expiresIn'],
    ['presign', () => tenant.presign({ runId: 'r', artifactType: 'image', filename: 'a.png' }, { method: 'DELETE' as never }), 'method'],
    ['sync', () => tenant.sync({ dir: '', runId: 'r' }), 'dir'],
    ['writeManifest', () => tenant.writeManifest({ runId: '../x' }), 'runId'],
  ])('%s names the bad field', async (_name, call, field) => {
    const error = await call().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'invalid_input' });
    expect((error as { issues: { path: string }[] }).issues.map((i) => i.path)).toContain(field);
  });

  it.each([
    [{ driver: {} }, 'driver'],
    [{ driver: fsDriver({ root: '/x' }), cdnBaseUrl: 'ftp://cdn' }, 'cdnBaseUrl'],
    [{ driver: fsDriver({ root: '/x' }), cdnBaseUrl: 'https://cdn.example/assets?token=abc' }, 'cdnBaseUrl'],
    [{ driver: fsDriver({ root: '/x' }), cdnBaseUrl: 'https://cdn.example/assets#top' }, 'cdnBaseUrl'],
    [{ driver: fsDriver({ root: '/x' }), cdnBaseUrl: 'https://user:pw@cdn.example' }, 'cdnBaseUrl'],
    [{ driver: fsDriver({ root: '/x' }), presignExpiresIn: 0 }, 'presignExpiresIn'],
    [{ driver: fsDriver({ root: '/x' }), maxBytes: -1 }, 'maxBytes'],
  ])('createAssetStore refuses %j', (options, field) => {
    expect(() => createAssetStore(options as never)).toThrow(expect.objectContaining({ code: 'invalid_input', issues: [expect.objectContaining({ path: field })] }));
  });
});
