import { describe, expect, it } from 'vitest';
import {
  assetFileName,
  attemptId,
  buildNegativePrompt,
  buildPrompt,
  canonicalJson,
  compileTemplate,
  DEFAULT_NEGATIVE_TERMS,
  idempotencyKey,
  isAssetFileName,
  parseAssetFileName,
  parseAssetRequest,
  slugify,
  styleModifiers,
  type IdempotencyKeyParts,
} from '@kiln/core';

export const request = {
  project_id: 'tower-defense',
  asset_type: '2D_SPRITE',
  prompt: { core_concept: 'archer unit', style: 'pixel art', details: 'blue cloak' },
  constraints: { platform: 'MOBILE', rig_type: 'STATIC' },
} as const;

describe('asset request schema', () => {
  it('accepts the seeds’ standard input and applies defaults', () => {
    const parsed = parseAssetRequest({ ...request, constraints: { platform: 'PC' } });
    expect(parsed.constraints.rig_type).toBe('STATIC');
    expect(parsed.prompt.core_concept).toBe('archer unit');
  });

  it('names every offending field', () => {
    expect(() =>
      parseAssetRequest({
        ...request,
        asset_type: 'SPRITE',
        constraints: { platform: 'TV', rig_type: 'STATIC', poly_count_budget: -5 },
        reference_image_url: 'ftp://x',
      }),
    ).toThrow(/asset_type: must be one of 3D_CHARACTER, 2D_SPRITE, BACKGROUND, PROP; got "SPRITE".*constraints\.poly_count_budget: must be > 0.*constraints\.platform: must be one of MOBILE, PC, CONSOLE; got "TV".*reference_image_url/);
  });

  it('says "required" for missing fields and needs a poly budget for 3D characters', () => {
    try {
      parseAssetRequest({ project_id: 'p', asset_type: '3D_CHARACTER', prompt: { style: 'x' }, constraints: { platform: 'PC' } });
      expect.unreachable();
    } catch (error) {
      const issues = (error as { issues: { path: string; message: string }[] }).issues;
      expect(issues).toEqual([{ path: 'prompt.core_concept', message: 'required' }]);
    }
    expect(() => parseAssetRequest({ ...request, asset_type: '3D_CHARACTER' })).toThrow(
      'assetRequest: invalid input: constraints.poly_count_budget: required for asset_type 3D_CHARACTER',
    );
  });

  it('rejects unsafe project ids', () => {
    expect(() => parseAssetRequest({ ...request, project_id: '../etc' })).toThrow(/project_id: must start with a letter or digit/);
  });
});

describe('prompt templates', () => {
  it('fills {var} and {var|default}, tidies empty segments, keeps {{ }} literal', () => {
    const t = compileTemplate('{core_concept}, {style} style, {details|highly detailed}, {extra|} {{v2}}');
    expect(t.required).toEqual(['core_concept', 'style']);
    expect(t.render({ core_concept: 'archer', style: 'pixel art' })).toBe('archer, pixel art style, highly detailed, {v2}');
    expect(t.render({ core_concept: 'archer', style: 'pixel art', details: 'blue' })).toBe('archer, pixel art style, blue, {v2}');
  });

  it('gives a clear error for unknown variables', () => {
    const t = compileTemplate('{core_concept} in {biome}');
    expect(() => t.render({ core_concept: 'tree' })).toThrow(
      'template: unknown variable {biome} in "{core_concept} in {biome}": no value and no default (give a value, or write {biome|default}); known: core_concept',
    );
  });

  it('rejects malformed templates with the position', () => {
    expect(() => compileTemplate('a {b')).toThrow(/unclosed "\{".*position 2/);
    expect(() => compileTemplate('a }')).toThrow(/unmatched "\}"/);
    expect(() => compileTemplate('a {} b')).toThrow(/"\{\}" is not a variable/);
    expect(() => compileTemplate('{a b}')).toThrow(/is not a variable/);
  });

  it('injects a default negative prompt, per type extras and host terms, deduplicated', () => {
    const negative = buildNegativePrompt('2D_SPRITE', { extra: ['Blurry', 'frame border'] });
    expect(negative.startsWith(DEFAULT_NEGATIVE_TERMS.join(', '))).toBe(true);
    expect(negative).toContain('busy background');
    expect(negative.endsWith('frame border')).toBe(true);
    expect(negative.match(/blurry/gi)).toHaveLength(1);
    expect(buildNegativePrompt(undefined, { defaults: false, extra: ['x'] })).toBe('x');
  });

  it('appends style modifiers from locked style parameters after the expander', async () => {
    expect(styleModifiers({ colors: ['#ff5733', '#33FF57'] })).toEqual(['with colors #FF5733, #33FF57']);
    const built = await buildPrompt(parseAssetRequest(request), {
      styleLock: { colors: ['#FF5733', '#33FF57'], lighting: 'soft' },
      expander: ({ prompt }) => `${prompt}, full body`,
    });
    expect(built.prompt).toBe('archer unit, pixel art style, blue cloak, full body, with colors #FF5733, #33FF57, soft lighting');
    expect(built.negativePrompt).toContain('watermark');
  });

  it('rejects an expander that returns nothing', async () => {
    await expect(buildPrompt(parseAssetRequest(request), { expander: () => ' ' })).rejects.toThrow(/expander returned " "/);
  });
});

describe('asset naming', () => {
  it('generates and parses [category]_[asset-name]_[variant]_[size].[ext]', () => {
    const name = assetFileName({ category: 'unit', name: 'archer', variant: 'blue', size: { width: 64, height: 64 }, ext: 'png' });
    expect(name).toBe('unit_archer_blue_64x64.png');
    expect(parseAssetFileName('unit_fire-mage_v2_lod0.glb')).toEqual({ category: 'unit', name: 'fire-mage', variant: 'v2', size: 'lod0', ext: 'glb' });
    expect(isAssetFileName('char_knight_base_5k.glb')).toBe(true);
  });

  it('says which part is wrong', () => {
    expect(() => parseAssetFileName('unit_archer_64x64.png')).toThrow(/has 3 "_"-separated parts; expected 4/);
    expect(() => parseAssetFileName('Unit_archer_blue_64x64.png')).toThrow(/category "Unit"/);
    expect(() => parseAssetFileName('unit_archer_blue_64.5x64.png')).toThrow(/size/);
    expect(() => parseAssetFileName('unit_archer_blue_64x64')).toThrow(/no extension/);
    expect(() => assetFileName({ category: 'unit', name: 'Fire Mage', variant: 'blue', size: '64x64', ext: 'png' })).toThrow(/name "Fire Mage"/);
  });

  it('slugifies free text', () => {
    expect(slugify('  Fire Mage! (élite) ')).toBe('fire-mage-elite');
    expect(slugify('!!!')).toBe('');
  });
});

describe('keys', () => {
  const parts: IdempotencyKeyParts = {
    projectId: 'p',
    assetType: 'PROP',
    step: 'text_to_image',
    operation: 'text_to_image',
    params: { prompt: 'crate', size: 512 },
    inputs: [
      { name: 'b', sha256: 'b'.repeat(64) },
      { name: 'a', sha256: 'a'.repeat(64) },
    ],
    seed: 7,
    backend: 'comfyui',
    modelVersion: 'sdxl-1.0',
  };

  it('canonical JSON sorts keys and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: [1, undefined, { d: undefined, c: 'x' }] })).toBe('{"a":[1,null,{"c":"x"}],"b":1}');
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(/a is NaN/);
  });

  it('the idempotency key is stable under key order and changes with any part', () => {
    const key = idempotencyKey(parts);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(idempotencyKey({ ...parts, params: { size: 512, prompt: 'crate' }, inputs: [...parts.inputs].reverse() })).toBe(key);
    for (const change of [{ seed: 8 }, { modelVersion: 'sdxl-1.1' }, { workflowHash: 'w' }, { params: { prompt: 'barrel', size: 512 } }, { projectId: 'q' }]) {
      expect(idempotencyKey({ ...parts, ...change })).not.toBe(key);
    }
  });

  it('attempt ids are lower-case UUIDs, stable per attempt', () => {
    const key = idempotencyKey(parts);
    expect(attemptId(key, 1)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(attemptId(key, 1)).toBe(attemptId(key, 1));
    expect(attemptId(key, 2)).not.toBe(attemptId(key, 1));
  });
});
