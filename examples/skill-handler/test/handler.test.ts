import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCdnServer } from '@kiln/storage/serve';
import { createSkillHandler, type SkillHandler } from '../src/handler.js';

let dir: string;
let cdn: Awaited<ReturnType<typeof startCdnServer>>;
let handler: SkillHandler;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kiln-skill-'));
  cdn = await startCdnServer({ root: join(dir, 'assets') });
  handler = await createSkillHandler({ dataDir: dir, cdnBaseUrl: cdn.url });
});
afterAll(async () => {
  await handler.close();
  await cdn.close();
  await rm(dir, { recursive: true, force: true });
});

const request = {
  project_id: 'demo',
  asset_type: 'PROP',
  prompt: { core_concept: 'treasure chest', style: 'hand painted', details: 'gold trim' },
  constraints: { platform: 'MOBILE', rig_type: 'STATIC' },
  name: 'chest',
  variant: 'gold',
};

describe('skill handler', () => {
  it('runs the pipeline on the procedural backend, stores the outputs and returns CDN URLs that serve them', async () => {
    const result = await handler.handle(request);
    expect(result).toMatchObject({ ok: true, status: 'completed', reused: false });
    if (result.status !== 'completed') throw new Error('not completed');
    expect(result.assets).toHaveLength(1);
    const [asset] = result.assets;
    expect(asset).toMatchObject({ filename: 'prop_chest_gold_1024x1024.png', contentType: 'image/png', rating: 'AAA' });
    expect(asset!.url.startsWith(cdn.url)).toBe(true);
    const response = await fetch(asset!.url);
    expect(response.status).toBe(200);
    expect((await response.arrayBuffer()).byteLength).toBe(asset!.bytes);
    const manifest = (await (await fetch(result.manifestUrl!)).json()) as { assets: { id: string }[] };
    expect(manifest.assets.map((a) => a.id)).toEqual(['prop_chest_gold_1024x1024']);
  });

  it('answers the same request again from the first run', async () => {
    const result = await handler.handle(request);
    expect(result).toMatchObject({ ok: true, status: 'completed', reused: true });
  });

  it('returns field-level errors for a bad request', async () => {
    const result = await handler.handle({ ...request, constraints: { platform: 'FRIDGE' } });
    expect(result).toMatchObject({ ok: false, status: 'invalid', issues: [{ path: 'constraints.platform', message: expect.stringContaining('must be one of MOBILE, PC, CONSOLE') }] });
  });
});
