import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isKilnError, parseManifest, resolveAsset, safeParseManifest, type ResolveAssetOptions } from '../src/index.js';
import { at, readVectors, type InvalidVector, type MigrateVector, type ResolveVector } from './helpers/vectors.js';

const resolveVectors = readVectors<ResolveVector>('resolve.json');
const invalidVectors = readVectors<InvalidVector>('invalid.json');
const migrateVectors = readVectors<MigrateVector>('migrate.json');

function errorCode(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (isKilnError(error)) return error.code;
    throw error;
  }
  throw new Error('expected an error');
}

describe('test-vectors files', () => {
  it.each([['resolve.json'], ['invalid.json'], ['migrate.json']])('%s is formatted as JSON.stringify(cases, null, 2)', (file) => {
    const text = readFileSync(new URL(`../test-vectors/${file}`, import.meta.url), 'utf8');
    expect(text).toBe(`${JSON.stringify(JSON.parse(text), null, 2)}\n`);
  });
});

describe('test-vectors/resolve.json', () => {
  it('has unique case names and well-formed expectations', () => {
    const names = resolveVectors.map((vector) => vector.name);
    expect(new Set(names).size).toBe(names.length);
    for (const vector of resolveVectors) {
      const keys = Object.keys(vector.expect).sort();
      expect(keys, vector.name).toEqual('error' in vector.expect ? ['error'] : ['cacheKey', 'key', 'level', 'sha256', 'url']);
    }
  });

  it.each(resolveVectors.map((vector) => [vector.name, vector] as const))('%s', (_name, vector) => {
    const manifest = parseManifest(vector.manifest);
    const { assetId, ...input } = vector.input;
    const options = input as ResolveAssetOptions;
    if ('error' in vector.expect) {
      expect(errorCode(() => resolveAsset(manifest, assetId, options))).toBe(vector.expect.error);
      return;
    }
    const resolved = resolveAsset(manifest, assetId, options);
    const { level, url, key, sha256, cacheKey } = resolved;
    expect({ level, url, key, sha256, cacheKey }).toEqual(vector.expect);
  });
});

describe('test-vectors/invalid.json', () => {
  it('has unique case names', () => {
    const names = invalidVectors.map((vector) => vector.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(invalidVectors.map((vector) => [vector.name, vector] as const))('%s', (_name, vector) => {
    const result = safeParseManifest(vector.manifest);
    expect(result.success).toBe(false);
    expect(result.error?.code).toBe(vector.expect.error);
    if (vector.expect.path !== undefined) {
      // Each vector breaks exactly one field: every issue points at it.
      const paths = new Set(result.error?.issues.map((issue) => issue.path));
      expect([...paths]).toEqual([vector.expect.path]);
      expect(result.error?.message).toContain(vector.expect.path === '' ? 'invalid manifest' : `${vector.expect.path}: `);
    }
  });
});

describe('test-vectors/migrate.json', () => {
  it.each(migrateVectors.map((vector) => [vector.name, vector] as const))('%s', (_name, vector) => {
    const result = safeParseManifest(vector.manifest);
    if ('error' in vector.expect) {
      expect(result.success).toBe(false);
      expect(result.error?.code).toBe(vector.expect.error);
      if (vector.expect.path !== undefined) {
        expect(result.error?.issues.map((issue) => issue.path)).toEqual([vector.expect.path]);
      }
      return;
    }
    expect(result.success, result.error?.message).toBe(true);
    expect(result.data?.manifestVersion).toBe(vector.expect.manifestVersion);
    for (const path of vector.expect.preserved ?? []) {
      expect(at(vector.manifest, path), path).not.toBeUndefined();
      expect(at(result.data, path), path).toEqual(at(vector.manifest, path));
    }
  });
});
