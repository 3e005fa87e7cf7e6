// `npm run demo` must keep working: run the demo script as a user would (on the built packages,
// which `npm test` builds first) and check what it prints and writes.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parseManifest } from '@kiln/manifest';

const run = promisify(execFile);
const demo = join(import.meta.dirname, '..', 'run.mjs');

describe('npm run demo', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('uploads the samples, shows every second upload as a dedup hit, and writes a valid manifest', async () => {
    const out = await mkdtemp(join(tmpdir(), 'kiln-demo-'));
    dirs.push(out);
    const { stdout } = await run(process.execPath, [demo, '--out', out], { cwd: join(import.meta.dirname, '..') });
    const run2 = stdout.slice(stdout.indexOf('2. upload the same assets again'), stdout.indexOf('3. write the manifest'));
    expect(run2.match(/ hit /g)).toHaveLength(5);
    expect(run2).not.toMatch(/ new /);
    expect(stdout).toMatch(/content-type: model\/gltf-binary/);
    expect(stdout).toMatch(/cache-control: public, max-age=31536000, immutable/);
    expect(stdout).toMatch(/cross-origin-resource-policy: cross-origin/);
    const manifestPath = /manifest: (.+manifest\.json)/.exec(stdout)?.[1];
    expect(manifestPath).toBeDefined();
    const manifest = parseManifest(await readFile(manifestPath!, 'utf8'));
    expect(manifest.assets.map((a) => a.id).sort()).toEqual(['building_tower_stone', 'effect_water', 'tile_grass_64x64', 'tile_sand_64x64', 'unit_archer_blue']);
    expect(manifest.assets.find((a) => a.id === 'unit_archer_blue')?.metadata?.prompt).toBe('a blue archer unit, low poly');
  }, 60_000);
});
