import { readFileSync } from 'node:fs';

/** One case of `test-vectors/resolve.json`. */
export interface ResolveVector {
  name: string;
  manifest: unknown;
  input: {
    assetId: string;
    cdnBaseUrl?: string;
    distance?: number;
    screenCoverage?: number;
    platform?: string;
    level?: number;
  };
  expect: { level: number; url: string; key: string; sha256: string; cacheKey: string } | { error: string };
}

/** One case of `test-vectors/invalid.json`. */
export interface InvalidVector {
  name: string;
  manifest: unknown;
  expect: { error: string; path?: string };
}

/** One case of `test-vectors/migrate.json`. */
export interface MigrateVector {
  name: string;
  manifest: unknown;
  expect: { manifestVersion: string; preserved?: string[] } | { error: string; path?: string };
}

/** Reads a file of `test-vectors/`. */
export function readVectors<T>(file: 'resolve.json' | 'invalid.json' | 'migrate.json'): T[] {
  const text = readFileSync(new URL(`../../test-vectors/${file}`, import.meta.url), 'utf8');
  return JSON.parse(text) as T[];
}

/** The value at a dotted path (`assets.0.key`) of a JSON value, or `undefined`. */
export function at(value: unknown, path: string): unknown {
  let current = value;
  for (const part of path.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}
