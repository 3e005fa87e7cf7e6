import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAssetStore, fsDriver, type AssetStore } from '@kiln/storage';
import { parseManifest } from '@kiln/manifest';
import { createJobClient, inspectGlb, isAssetFileName, memoryStore, proceduralBackend, storageSink, type JobClient } from '@kiln/core';
import { memoryLogger } from './helpers/fakes.js';
import { gltfErrors } from './helpers/validate.js';

let root: string;
let assets: AssetStore;
let client: JobClient;
const cdn = 'https://cdn.example.com';

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kiln-core-pipelines-'));
  assets = createAssetStore({ driver: fsDriver({ root }), cdnBaseUrl: cdn });
  client = createJobClient({ store: memoryStore(), backends: { procedural: proceduralBackend() }, artifacts: storageSink({ store: assets }), logger: memoryLogger() });
  await client.start();
});
afterAll(async () => {
  await client.close({ abort: true });
  await assets.close();
  await rm(root, { recursive: true, force: true });
});

const base = { project_id: 'tower-defense', constraints: { platform: 'MOBILE' as const, rig_type: 'STATIC' as const } };

describe('built-in pipelines on the procedural backend, stored through @kiln/storage', () => {
  it('2D_SPRITE: text-to-image → background removal → animation → sprite sheet, with a manifest of CDN URLs', async () => {
    const { runId } = await client.submit({
      ...base,
      asset_type: '2D_SPRITE',
      prompt: { core_concept: 'archer unit', style: 'pixel art', details: 'blue cloak' },
      name: 'archer',
      category: 'unit',
      variant: 'blue',
      style_lock: { colors: ['#3355FF', '#FFCC00'] },
    });
    const run = await client.waitForRun(runId, { timeoutMs: 30_000 });
    expect(run.state).toBe('completed');
    const { steps } = (await client.getRun(runId))!;
    expect(steps.map((s) => [s.name, s.state, s.outputs?.length])).toEqual([
      ['text_to_image', 'done', 1],
      ['remove_background', 'done', 1],
      ['animate_sprite', 'done', 4],
      ['sprite_sheet', 'done', 2],
    ]);
    const sheet = steps[3]!.outputs!;
    expect(sheet.map((o) => o.filename)).toEqual(['unit_archer_blue-1_1024x256.png', 'unit_archer_blue-2_lod0.json']);
    expect(sheet[0]?.url).toMatch(new RegExp(`^${cdn}/tower-defense/_blobs/`));
    for (const step of steps) for (const o of step.outputs ?? []) expect(isAssetFileName(o.filename)).toBe(true);
    expect(steps[0]?.quality?.rating).toBe('A'); // 256² sprite
    // The run's manifest lists the final assets.
    expect(run.manifest?.url).toBe(`${cdn}/tower-defense/${runId}/bundle/manifest.json`);
    const manifest = parseManifest(new TextDecoder().decode(await assets.tenant('tower-defense').getBytes(run.manifest!.key)));
    expect(manifest.assets.map((a) => a.id)).toEqual(['unit_archer_blue-1_1024x256', 'unit_archer_blue-2_lod0']);
    expect(manifest.assets[0]?.metadata).toMatchObject({ prompt: expect.stringContaining('with colors #3355FF, #FFCC00'), version: run.versionKey, lineage: { pipeline: '2D_SPRITE' } });
    const indexed = (await client.events()).filter((e) => e.type === 'AssetIndexed' && e.runId === runId);
    expect(indexed).toHaveLength(8);
  });

  it('BACKGROUND and PROP: text-to-image → upscale → export, rated by resolution', async () => {
    const bg = await client.submit({ ...base, asset_type: 'BACKGROUND', prompt: { core_concept: 'forest clearing', style: 'painterly' }, category: 'tile' });
    const prop = await client.submit({ ...base, asset_type: 'PROP', prompt: { core_concept: 'oak barrel', style: 'low poly' } });
    const [a, b] = await Promise.all([client.waitForRun(bg.runId, { timeoutMs: 30_000 }), client.waitForRun(prop.runId, { timeoutMs: 30_000 })]);
    expect([a.state, b.state]).toEqual(['completed', 'completed']);
    const bgSteps = (await client.getRun(bg.runId))!.steps;
    expect(bgSteps.map((s) => s.quality?.rating)).toEqual(['AA', 'AAA', undefined]);
    expect(bgSteps[2]?.outputs?.[0]?.filename).toBe('tile_forest-clearing_base_2048x1152.png');
    const propSteps = (await client.getRun(prop.runId))!.steps;
    expect(propSteps[2]?.outputs?.[0]?.filename).toBe('prop_oak-barrel_base_1024x1024.png');
  });

  it('3D_CHARACTER: the whole chain with four review checkpoints, ending in a rigged, animated, valid GLB', async () => {
    const { runId } = await client.submit({
      ...base,
      asset_type: '3D_CHARACTER',
      prompt: { core_concept: 'dwarf warrior', style: 'stylized low poly', details: 'red beard' },
      constraints: { platform: 'PC', rig_type: 'HUMANOID', poly_count_budget: 4000 },
      name: 'dwarf',
      category: 'unit',
    });
    const reviewed: string[] = [];
    for (;;) {
      const run = await client.waitForRun(runId, { until: 'review', timeoutMs: 30_000 });
      if (run.state !== 'active') break;
      const { steps } = (await client.getRun(runId))!;
      for (const step of steps.filter((s) => s.state === 'awaiting_review')) {
        reviewed.push(step.name);
        await client.approve(step.id, { by: 'lead' });
      }
    }
    expect(reviewed).toEqual(['refine', 'retopology', 'rig', 'animate']);
    const { run, steps } = (await client.getRun(runId))!;
    expect(run.state).toBe('completed');
    const glb = steps.find((s) => s.name === 'export')!.outputs![0]!;
    expect(glb.filename).toBe('unit_dwarf_base_lod0.glb');
    const data = await assets.tenant('tower-defense').getBytes(glb.key!);
    const info = inspectGlb(data);
    expect(info).toMatchObject({ skins: 1, animations: 1, textures: 1, errors: [] });
    expect(info.triangles).toBeLessThanOrEqual(4000);
    expect(await gltfErrors(data)).toEqual([]);
    expect(steps.find((s) => s.name === 'image_to_3d')?.quality?.rating).toBe('AAA'); // 1024² texture, within budget
    const manifest = parseManifest(new TextDecoder().decode(await assets.tenant('tower-defense').getBytes(run.manifest!.key)));
    expect(manifest.assets[0]).toMatchObject({ type: 'model_3d', contentType: 'model/gltf-binary', triangles: info.triangles });
  }, 60_000);
});
