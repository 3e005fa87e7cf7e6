import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toManifestJsonSchema } from '../src/json-schema.js';
import { checkJsonSchema, keywordsOf, SUPPORTED_KEYWORDS } from './helpers/json-schema.js';
import { readVectors, type InvalidVector, type MigrateVector, type ResolveVector } from './helpers/vectors.js';

const committedText = readFileSync(new URL('../schema/manifest.schema.json', import.meta.url), 'utf8');
const committed = JSON.parse(committedText) as Record<string, unknown>;

// Invalid only through cross-field rules that JSON Schema cannot express (parseManifest enforces them).
const REFINEMENT_ONLY = [
  'duplicate asset ids',
  'switchDistance equal to the previous one',
  'switchDistance decreasing',
  'screenCoverage equal to the previous one',
  'screenCoverage increasing',
  'mixed measures across variants',
];

describe('schema/manifest.schema.json', () => {
  it('equals a fresh generation (run `pnpm --filter @kiln/manifest schema` after changing the zod schema)', () => {
    expect(committedText).toBe(`${JSON.stringify(toManifestJsonSchema(), null, 2)}\n`);
  });

  it('is a draft 2020-12 schema of the wire format with the required keys', () => {
    expect(committed['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(committed['required']).toEqual(['manifestVersion', 'tenantId', 'generatedAt', 'assets']);
    const defs = committed['$defs'] as Record<string, { required?: string[] }>;
    expect(defs['Asset']?.required).toEqual(['id', 'type', 'contentType', 'bytes', 'sha256', 'key']);
    expect(defs['LodVariant']?.required).toEqual(['key', 'sha256', 'bytes', 'triangles']);
    // Forward compatibility: unknown fields are allowed at every level.
    expect(committed['additionalProperties']).toEqual({});
    expect(defs['Asset']).toMatchObject({ additionalProperties: {} });
  });

  it('uses only keywords the structural checker understands', () => {
    expect([...keywordsOf(committed)].filter((keyword) => !SUPPORTED_KEYWORDS.has(keyword))).toEqual([]);
  });

  it('accepts every valid test-vector manifest', () => {
    const manifests = [
      ...readVectors<ResolveVector>('resolve.json').map((vector) => [vector.name, vector.manifest] as const),
      ...readVectors<MigrateVector>('migrate.json')
        .filter((vector) => !('error' in vector.expect))
        .map((vector) => [vector.name, vector.manifest] as const),
    ];
    expect(manifests.length).toBeGreaterThan(50);
    for (const [name, manifest] of manifests) {
      expect(checkJsonSchema(committed, manifest), name).toEqual([]);
    }
  });

  it('rejects every invalid test-vector manifest except the cross-field ones', () => {
    const accepted = readVectors<InvalidVector>('invalid.json')
      .filter((vector) => checkJsonSchema(committed, vector.manifest).length === 0)
      .map((vector) => vector.name);
    expect(accepted.sort()).toEqual([...REFINEMENT_ONLY].sort());
  });

  it('the checker itself rejects a missing required key and a bad pattern', () => {
    expect(checkJsonSchema(committed, { manifestVersion: '1.0', generatedAt: '2025-01-31T12:00:00Z', assets: [] })).toEqual([
      '(root): missing required tenantId',
    ]);
    expect(
      checkJsonSchema(committed, {
        manifestVersion: '2.0',
        tenantId: 'acme',
        generatedAt: '2025-01-31T12:00:00Z',
        assets: [],
      }),
    ).toEqual(['manifestVersion: pattern']);
  });
});
