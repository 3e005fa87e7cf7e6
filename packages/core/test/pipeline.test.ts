import { describe, expect, it } from 'vitest';
import { builtinPipeline, validatePipeline } from '@kiln/core';

describe('pipelines', () => {
  it('builds the seeds’ templates with backends per operation and review checkpoints', () => {
    const p = builtinPipeline('3D_CHARACTER', { backends: { '*': 'comfyui', image_to_3d: 'meshy' } });
    expect(p.steps.map((s) => `${s.name}${s.review ? '+review' : ''}@${s.backend}`)).toEqual([
      'text_to_image@comfyui',
      'upscale@comfyui',
      'refine+review@comfyui',
      'image_to_3d@meshy',
      'retopology+review@comfyui',
      'rig+review@comfyui',
      'animate+review@comfyui',
      'export@comfyui',
    ]);
    expect(builtinPipeline('2D_SPRITE').steps.map((s) => s.name)).toEqual(['text_to_image', 'remove_background', 'animate_sprite', 'sprite_sheet']);
    expect(builtinPipeline('BACKGROUND', { review: false }).steps.map((s) => s.dependsOn ?? [])).toEqual([[], ['text_to_image'], ['upscale']]);
    expect(builtinPipeline('3D_CHARACTER', { review: false }).steps.some((s) => s.review)).toBe(false);
  });

  it('orders host DAGs topologically and rejects cycles, unknown and duplicate steps', () => {
    const ordered = validatePipeline({
      name: 'fan',
      steps: [
        { name: 'merge', backend: 'fn', dependsOn: ['left', 'right'] },
        { name: 'left', backend: 'fn', dependsOn: ['root'] },
        { name: 'root', backend: 'fn' },
        { name: 'right', backend: 'fn', dependsOn: ['root'] },
      ],
    });
    expect(ordered.steps.map((s) => s.name)).toEqual(['root', 'left', 'right', 'merge']);
    expect(() => validatePipeline({ name: 'c', steps: [{ name: 'a', backend: 'fn', dependsOn: ['b'] }, { name: 'b', backend: 'fn', dependsOn: ['a'] }] })).toThrow(
      'pipeline c: dependency cycle a → b → a',
    );
    expect(() => validatePipeline({ name: 'u', steps: [{ name: 'a', backend: 'fn', dependsOn: ['zz'] }] })).toThrow(/depends on "zz", which is not a step/);
    expect(() => validatePipeline({ name: 'd', steps: [{ name: 'a', backend: 'fn' }, { name: 'a', backend: 'fn' }] })).toThrow(/defined twice/);
    expect(() => validatePipeline({ name: 'bad name', steps: [] })).toThrow(/name: must be 1-64.*steps: a pipeline needs at least one step/);
  });
});
