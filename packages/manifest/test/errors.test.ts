import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isKilnError, KilnError, KilnValidationError, ManifestError, parseInput, ResolveError } from '../src/index.js';

describe('ManifestError', () => {
  it('is a KilnError with a code, the issues and the cause', () => {
    const cause = new Error('root');
    const issues = [{ path: 'assets.0.sha256', message: 'bad' }];
    const error = new ManifestError('manifest_invalid', 'parseManifest: invalid manifest: assets.0.sha256: bad', issues, { cause });
    expect(error).toBeInstanceOf(KilnError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ManifestError');
    expect(error.code).toBe('manifest_invalid');
    expect(error.issues).toEqual(issues);
    expect(error.details).toEqual({ issues });
    expect(error.cause).toBe(cause);
    expect(isKilnError(error)).toBe(true);
  });

  it('defaults to no issues and no cause', () => {
    const error = new ManifestError('manifest_version_unsupported', 'too new');
    expect(error.issues).toEqual([]);
    expect('cause' in error).toBe(false);
  });
});

describe('ResolveError', () => {
  it('is a KilnError with a code and details', () => {
    const error = new ResolveError('asset_not_found', 'resolveAsset: asset "x" not found', { details: { assetId: 'x' } });
    expect(error).toBeInstanceOf(KilnError);
    expect(error.name).toBe('ResolveError');
    expect(error.code).toBe('asset_not_found');
    expect(error.details).toEqual({ assetId: 'x' });
  });
});

describe('isKilnError', () => {
  it('recognises Kiln errors by brand, not by class identity', () => {
    const foreign = Object.assign(new Error('from another copy'), { [Symbol.for('kiln.error')]: true, code: 'x' });
    expect(isKilnError(foreign)).toBe(true);
    expect(isKilnError(new Error('plain'))).toBe(false);
    expect(isKilnError(null)).toBe(false);
    expect(isKilnError({ code: 'manifest_invalid' })).toBe(false);
  });
});

describe('parseInput', () => {
  it('returns the parsed value or throws a prefixed KilnValidationError naming each field', () => {
    const schema = z.object({ a: z.string(), b: z.object({ c: z.int() }) });
    expect(parseInput(schema, { a: 'x', b: { c: 1 } }, 'op')).toEqual({ a: 'x', b: { c: 1 } });
    try {
      parseInput(schema, { a: 1, b: { c: 1.5 } }, 'op');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(KilnValidationError);
      const validation = error as KilnValidationError;
      expect(validation.code).toBe('invalid_input');
      expect(validation.issues.map((issue) => issue.path)).toEqual(['a', 'b.c']);
      expect(validation.message.startsWith('op: invalid input: a: ')).toBe(true);
    }
  });
});
