import { describe, expect, it } from 'vitest';
import { attemptId, imageSize, inspectGlb, proceduralBackend, type BackendOutput, type SubmitRequest } from '@kiln/core';
import { gltfErrors } from './helpers/validate.js';

const backend = proceduralBackend();
let n = 0;
async function run(operation: string, params: Record<string, unknown>, inputs: BackendOutput[] = []): Promise<BackendOutput[]> {
  const request: SubmitRequest = {
    idempotencyKey: 'k'.repeat(64),
    attemptId: attemptId('k', n++),
    jobId: 'run',
    stepId: `run/${operation}`,
    operation,
    params,
    inputs: inputs.map((o, i) => ({ name: `in${i}`, contentType: o.contentType, sha256: 'x', data: o.data as Uint8Array })),
  };
  const { outputs } = await backend.submit(request);
  return outputs ?? [];
}
const bytes = (o: BackendOutput | undefined) => o?.data as Uint8Array;

describe('procedural backend', () => {
  it('paints PNGs deterministically by seed, in the requested size and the prompt’s locked colours', async () => {
    const params = { prompt: 'archer, with colors #FF5733, #33FF57', seed: 7, width: 320, height: 200, asset_type: '2D_SPRITE' };
    const [a] = await run('text_to_image', params);
    const [b] = await run('text_to_image', params);
    const [c] = await run('text_to_image', { ...params, seed: 8 });
    expect(imageSize(bytes(a))).toEqual({ width: 320, height: 200, format: 'png' });
    expect(Buffer.from(bytes(a)).equals(Buffer.from(bytes(b)))).toBe(true);
    expect(Buffer.from(bytes(a)).equals(Buffer.from(bytes(c)))).toBe(false);
    const [bg] = await run('text_to_image', { ...params, asset_type: 'BACKGROUND', width: 64, height: 36 });
    expect(imageSize(bytes(bg))).toMatchObject({ width: 64, height: 36 });
  });

  it('upscales, refines, keys the background, animates and lays out sprite sheets', async () => {
    const [img] = await run('text_to_image', { prompt: 'slime', seed: 1, width: 64, height: 64 });
    const [up] = await run('upscale', {}, [img!]);
    expect(imageSize(bytes(up))).toMatchObject({ width: 128, height: 128 });
    const [refined] = await run('refine', {}, [up!]);
    expect(imageSize(bytes(refined))).toMatchObject({ width: 128, height: 128 });
    const [keyed] = await run('remove_background', {}, [refined!]);
    const frames = await run('animate_sprite', {}, [keyed!]);
    expect(frames).toHaveLength(4);
    const [sheet, atlas] = await run('sprite_sheet', {}, frames);
    expect(imageSize(bytes(sheet))).toMatchObject({ width: 512, height: 128 });
    expect(JSON.parse(new TextDecoder().decode(bytes(atlas))).frames).toHaveLength(4);
  });

  it('builds textured low-poly GLBs within the triangle budget, then retopology, rig and animation, all valid glTF', async () => {
    const [img] = await run('text_to_image', { prompt: 'knight', seed: 3, width: 256, height: 256 });
    const params = { asset_type: '3D_CHARACTER', rig_type: 'HUMANOID', poly_count_budget: 3000, asset_name: 'knight' };
    const [mesh] = await run('image_to_3d', params, [img!]);
    const info = inspectGlb(bytes(mesh));
    expect(info).toMatchObject({ errors: [], meshes: 1, textures: 1, textureSizes: [{ width: 256, height: 256 }] });
    expect(info.triangles).toBeLessThanOrEqual(3000);
    expect(info.triangles).toBeGreaterThan(1000);
    const [retopo] = await run('retopology', params, [mesh!]);
    expect(inspectGlb(bytes(retopo)).triangles).toBeLessThan(info.triangles);
    const [rigged] = await run('rig', params, [retopo!]);
    expect(inspectGlb(bytes(rigged)).skins).toBe(1);
    const [animated] = await run('animate', params, [rigged!]);
    expect(inspectGlb(bytes(animated))).toMatchObject({ skins: 1, animations: 1, errors: [] });
    for (const glb of [mesh, retopo, rigged, animated]) expect(await gltfErrors(bytes(glb))).toEqual([]);
    const [prop] = await run('image_to_3d', { asset_type: 'PROP', poly_count_budget: 500 }, [img!]);
    expect(inspectGlb(bytes(prop)).triangles).toBeLessThanOrEqual(500);
  });

  it('refuses unknown operations and missing inputs as input_invalid', async () => {
    await expect(run('teleport', {})).rejects.toMatchObject({ kind: 'input_invalid' });
    await expect(run('upscale', {})).rejects.toMatchObject({ kind: 'input_invalid', message: expect.stringContaining('needs an image input') });
  });
});
