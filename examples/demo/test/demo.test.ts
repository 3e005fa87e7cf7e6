// `npm run demo` must keep working: run the demo script as a user would (on the built packages,
// which `npm test` builds first), as a child process whose output is captured, and check what it
// prints and writes: the exit code, the manifest, what the page loaded, the screenshot, the dedup
// hits of the second run. Bad input must fail clearly and write nothing.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeImage } from '@kiln/core';
import { parseManifest } from '@kiln/manifest';
import { browserMissing } from '../../../packages/three/test/helpers/browser.js';

const demoDir = join(import.meta.dirname, '..');
const demo = join(demoDir, 'run.mjs');
const missing = browserMissing();
/** Why the --s3 run cannot happen here: no Chromium, no Ceph, or S3 servers turned off. */
function s3Missing(): string | undefined {
  if (missing) return missing;
  if (process.env['KILN_TEST_S3'] === 'none' || process.env['KILN_TEST_S3'] === 's3rver') return `KILN_TEST_S3=${process.env['KILN_TEST_S3']}`;
  try {
    execFileSync('which', ['radosgw', 'ceph-mon', 'ceph-osd'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'Ceph radosgw not installed (apt-get install ceph-mon ceph-osd radosgw ceph-common ceph-base)';
  }
}
const noS3 = s3Missing();
const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runDemo(args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(process.execPath, [demo, ...args], { cwd: demoDir, env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

interface DemoResult {
  ok: boolean;
  manifest: { path: string; copy: string; url: string; assets: string[] };
  viewerUrl: string;
  runs: Record<'run1' | 'run2', { uploads: number; hits: number; bytes: number; sent: number }>;
  retries: number;
  reviews: { approved: number; rejected: number };
  page: { expected: string[]; loaded: string[]; failed: unknown[]; levels: Record<string, number[]>; environment: string; done: boolean };
  pageErrors: string[];
  screenshot: { path: string };
}

/** Distinct colours and luminance deviation of a PNG, measured here independently of the demo. */
async function pixels(path: string): Promise<{ colours: number; deviation: number }> {
  const { data } = await decodeImage(await readFile(path));
  const colours = new Set<number>();
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < data.length; i += 4) {
    colours.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
    const y = (data[i]! + data[i + 1]! + data[i + 2]!) / 3;
    sum += y;
    squares += y * y;
  }
  const n = data.length / 4;
  return { colours: colours.size, deviation: Math.sqrt(squares / n - (sum / n) ** 2) };
}

describe('npm run demo', () => {
  const dirs: string[] = [];
  const tempDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kiln-demo-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('refuses a batch with a missing column, naming it, and writes nothing', async () => {
    const dir = await tempDir();
    const batch = join(dir, 'batch.csv');
    await writeFile(batch, 'name,category,variant,asset_type,details\ncrate,prop,wood,PROP,iron bands\n');
    const out = join(dir, 'out');
    const { code, stdout, stderr } = await runDemo(['--batch', batch, '--out', out]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/demo failed: csv: missing column core_concept .*\[csv_missing_columns\]/);
    expect(stdout).not.toMatch(/2\. Generate/);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses an invalid row, naming row and column', async () => {
    const dir = await tempDir();
    const batch = join(dir, 'batch.csv');
    const csv = await readFile(join(demoDir, 'batch.csv'), 'utf8');
    await writeFile(batch, csv.replace('knight,unit,blue,3D_CHARACTER,HUMANOID', 'knight,unit,blue,3D_CHARACTER,ROBOT'));
    const { code, stderr } = await runDemo(['--batch', batch, '--out', join(dir, 'out')]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/row 4 \(line 5\), column rig_type: .*\[csv_row_invalid\]/);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('answers an unknown flag or a bad value with the usage and exit code 2', async () => {
    const unknown = await runDemo(['--fast']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown option '--fast'[\s\S]*usage: node examples\/demo\/run\.mjs/);
    const textures = await runDemo(['--textures', 'jpeg']);
    expect(textures.code).toBe(2);
    expect(textures.stderr).toMatch(/--textures must be webp or ktx2, got "jpeg"/);
  });

  it('serves the viewer and the store until it is stopped (the default mode)', async () => {
    const out = await tempDir();
    const child = spawn(process.execPath, [demo, '--out', out], { cwd: demoDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const viewerUrl = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          stdout += d;
          const match = /Viewer: (\S+)\nServing until Ctrl-C/.exec(stdout);
          if (match) resolve(match[1]!);
        });
        void exited.then((code) => reject(new Error(`the demo exited with ${code} before serving:\n${stdout}\n${stderr}`)));
      });
      const page = await fetch(viewerUrl);
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<script type="module"/);
      const manifestUrl = new URL(viewerUrl).searchParams.get('manifest')!;
      const manifest = parseManifest(await (await fetch(manifestUrl)).text());
      expect(manifest.assets).toHaveLength(8);
      const glb = await fetch(new URL(manifest.assets[0]!.key, `${manifest.cdnBaseUrl}/`), { headers: { origin: new URL(viewerUrl).origin } });
      expect(glb.headers.get('access-control-allow-origin')).not.toBeNull();
      expect(new Uint8Array(await glb.arrayBuffer()).subarray(0, 4)).toEqual(new Uint8Array([0x67, 0x6c, 0x54, 0x46])); // "glTF"
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
  }, 300_000);

  describe.skipIf(missing !== undefined)(`--headless${missing ? ` (skipped: ${missing})` : ''}`, () => {
    it('generates, optimizes, stores, and shows every asset in the page; the second run is all dedup hits', async () => {
      const out = await tempDir();
      const { code, stdout, stderr } = await runDemo(['--headless', '--out', out]);
      expect(stderr).toBe('');
      expect(code).toBe(0);

      // Generation: the injected failure was retried, the checkpoints approved.
      expect(stdout).toMatch(/↻ image_to_3d of barracks: transient failure "procedural: connection reset by the GPU host \(injected by the demo\)"; attempt 2 in \d+ ms/);
      expect(stdout).toMatch(/8\/8 models; review: 8 approved automatically .*, 0 rejected; 1 transient failure retried/);
      expect(stdout).toMatch(/ {2}✔ export: 8\/8 {2}\(batch 32\/32 steps\)/);

      const result = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as DemoResult;
      expect(result.ok).toBe(true);
      expect(result.retries).toBe(1);

      // The manifest validates and lists every model with its LODs, prompt and quality rating.
      const manifest = parseManifest(await readFile(result.manifest.path, 'utf8'));
      expect(stdout).toContain(`manifest: ${result.manifest.path}`);
      expect(manifest.tenantId).toBe('demo');
      expect(manifest.assets.map((a) => a.id).sort()).toEqual([
        'building_barracks_red',
        'building_tower_stone',
        'prop_banner_blue',
        'prop_crate_supplies',
        'prop_well_stone',
        'unit_archer_green',
        'unit_knight_blue',
        'unit_wolf_grey',
      ]);
      for (const asset of manifest.assets) {
        expect(asset.type).toBe('model_3d');
        expect(asset.lods).toHaveLength(2);
        expect(asset.metadata?.prompt).toMatch(/low poly style, isometric strategy game asset, with colors #3A6EA5/);
        expect(asset.metadata?.qualityRating).toBeGreaterThanOrEqual(1);
      }

      // Every asset of the manifest loaded in the page, with every LOD level, and nothing failed.
      expect([...result.page.loaded].sort()).toEqual(manifest.assets.map((a) => a.id).sort());
      expect(result.page.failed).toEqual([]);
      expect(result.pageErrors).toEqual([]);
      for (const asset of manifest.assets) expect(result.page.levels[asset.id]).toEqual([0, 1, 2]);

      // The screenshot shows a drawn scene, not a blank page.
      expect(result.screenshot.path).toBe(join(out, 'screenshot.png'));
      const stats = await pixels(join(out, 'screenshot.png'));
      expect(stats.colours).toBeGreaterThan(1000);
      expect(stats.deviation).toBeGreaterThan(10);

      // The second, identical run stored nothing new.
      expect(result.runs.run2.uploads).toBeGreaterThan(0);
      expect(result.runs.run2.hits).toBe(result.runs.run2.uploads);
      expect(result.runs.run2.sent).toBe(0);
      expect(result.runs.run1.sent).toBeGreaterThan(0);
      expect(stdout).toMatch(new RegExp(`run 2 +${result.runs.run2.uploads} +0 +${result.runs.run2.uploads} `));
      expect(stdout).toMatch(/run 2's manifest points at the same content-addressed blobs/);
    }, 300_000);
  });

  describe.skipIf(noS3 !== undefined)(`--s3 --headless${noS3 ? ` (skipped: ${noS3})` : ''}`, () => {
    it('runs the same flow on a private RGW bucket, the viewer loading presigned URLs', async () => {
      const out = await tempDir();
      const { code, stdout, stderr } = await runDemo(['--s3', '--headless', '--out', out]);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toMatch(/Ceph RGW \(private, memstore\) started in [\d.]+ s on http:\/\/127\.0\.0\.1:\d+/);
      const result = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as DemoResult;
      expect(result.ok).toBe(true);
      expect(result.manifest.path).toBe('s3://kiln-demo/demo/demo-run-1/bundle/manifest.json');
      expect(result.manifest.url).toMatch(/X-Amz-Signature=/);
      // The manifest (the copy the demo read through its presigned URL; RGW is gone now) lists presigned URLs for every level.
      const manifest = parseManifest(await readFile(result.manifest.copy, 'utf8'));
      for (const asset of manifest.assets) {
        expect(asset.url).toMatch(/X-Amz-Signature=/);
        for (const lod of asset.lods ?? []) expect(lod.url).toMatch(/X-Amz-Signature=/);
      }
      expect([...result.page.loaded].sort()).toEqual(manifest.assets.map((a) => a.id).sort());
      expect(result.page.failed).toEqual([]);
      expect(result.runs.run2.hits).toBe(result.runs.run2.uploads);
      expect(result.runs.run2.sent).toBe(0);
    }, 400_000);
  });
});
