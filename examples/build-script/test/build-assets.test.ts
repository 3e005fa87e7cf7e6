// Runs the build script as CI would (a child process, flags and AWS env vars) against the S3 test
// servers: a folder of generated models is optimised, synced and listed in a manifest; a second
// run uploads nothing; a corrupt GLB stops the build before anything is uploaded.
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runToExit, type Exited } from '../../../test/servers/process.js';
import { createTestBucket, makeS3Client, s3Targets, type S3Target, type TestBucket } from '../../../test/servers/targets.js';
import type { BuildReport } from '../src/build-assets.js';
import { writeSourceModels, writeTruncatedGlb } from './fixtures.js';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));

/** `tsx src/build-assets.ts …`, as the README says, with the target's credentials in the standard AWS variables. */
function buildAssets(args: string[], target?: S3Target): Promise<Exited> {
  const env: NodeJS.ProcessEnv = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  for (const name of ['KILN_BUCKET', 'KILN_IN', 'KILN_OUT', 'KILN_TENANT', 'KILN_RUN', 'KILN_CDN_URL', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3', 'AWS_PROFILE']) delete env[name];
  if (target) {
    Object.assign(env, {
      AWS_ACCESS_KEY_ID: target.accessKeyId,
      AWS_SECRET_ACCESS_KEY: target.secretAccessKey,
      AWS_REGION: target.region,
      AWS_ENDPOINT_URL_S3: target.endpoint,
    });
  }
  return runToExit(process.execPath, ['--import', 'tsx', 'src/build-assets.ts', ...args], { cwd: exampleDir, env });
}

async function listKeys(client: S3Client, bucket: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : [])));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kiln-build-script-'));
  await mkdir(join(dir, 'assets'));
  await writeSourceModels(join(dir, 'assets'));
  await mkdir(join(dir, 'bad-assets'));
  await writeSourceModels(join(dir, 'bad-assets'));
  await writeTruncatedGlb(join(dir, 'bad-assets', 'broken.glb'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('build-assets: usage', () => {
  it('exits 2 with a message when no bucket is given, before doing anything', async () => {
    const run = await buildAssets(['--in', join(dir, 'assets'), '--out', join(dir, 'unused')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('build-assets: no bucket: pass --bucket or set KILN_BUCKET');
    await expect(readdir(join(dir, 'unused'))).rejects.toThrow(/ENOENT/);
  });

  it('exits 2 on a tenant id that is not a valid key segment', async () => {
    const run = await buildAssets(['--in', join(dir, 'assets'), '--bucket', 'b-123', '--tenant', '../other']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--tenant "../other" must be');
  });
});

const targets = s3Targets();
if (targets.length === 0) it.skip('build-assets on S3 (skipped: KILN_TEST_S3=none starts no S3 server)', () => {});
for (const target of targets) {
  describe(`build-assets on ${target.name}`, () => {
    let client: S3Client;
    let bucket: TestBucket;
    let badBucket: TestBucket;
    beforeAll(async () => {
      client = makeS3Client(target);
      bucket = await createTestBucket(client, 'build-script');
      badBucket = await createTestBucket(client, 'build-script-bad');
    });
    afterAll(async () => {
      await bucket?.cleanup();
      await badBucket?.cleanup();
      client?.destroy();
    });

    const out = () => join(dir, `out-${target.name}`);
    const args = () => ['--in', join(dir, 'assets'), '--out', out(), '--bucket', bucket.name, '--tenant', 'studio', '--run', 'release-1', '--preset', 'web', '--lods', '0.5,0.25', '--json'];
    const expectedFiles = ['crate', 'rock', 'tower'].flatMap((id) => [`${id}.glb`, `${id}.lod1.glb`, `${id}.lod2.glb`]).sort();

    it('optimises every model with LODs, uploads them deduplicated and writes the manifest', async () => {
      const run = await buildAssets(args(), target);
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      const report = JSON.parse(run.stdout) as BuildReport;

      // kiln optimize wrote each model and two LOD levels into --out (the marker is a dot file).
      expect((await readdir(out())).filter((f) => !f.startsWith('.')).sort()).toEqual(expectedFiles);
      const refs = expectedFiles.map((file) => `studio/release-1/model_3d/${file}`);
      expect(report.sync.uploaded).toEqual(refs);
      expect(report.sync.skipped).toEqual([]);
      expect(report.sync.uploadedBytes).toBeGreaterThan(0);

      // In the bucket: one ref per file, the blobs they point at, and the manifest.
      const keys = await listKeys(client, bucket.name);
      const blobs = keys.filter((k) => k.startsWith('studio/_blobs/'));
      expect(keys.filter((k) => !k.startsWith('studio/_blobs/'))).toEqual([...refs, 'studio/release-1/bundle/manifest.json'].sort());
      expect(blobs.length).toBeGreaterThan(0);
      expect(blobs.length).toBeLessThanOrEqual(expectedFiles.length);

      const object = await client.send(new GetObjectCommand({ Bucket: bucket.name, Key: report.manifest.key }));
      const manifest = JSON.parse(await object.Body!.transformToString()) as {
        tenantId: string;
        runId: string;
        assets: { id: string; type: string; key: string; sha256: string; triangles: number; lods?: { key: string; triangles: number; screenCoverage?: number }[] }[];
      };
      expect(manifest).toMatchObject({ tenantId: 'studio', runId: 'release-1' });
      expect(manifest.assets.map((a) => a.id).sort()).toEqual(['crate', 'rock', 'tower']);
      for (const asset of manifest.assets) {
        expect(asset.type).toBe('model_3d');
        expect(asset.key).toBe(`studio/_blobs/${asset.sha256}.glb`);
        expect(blobs).toContain(asset.key);
        expect(asset.lods?.length).toBeGreaterThan(0);
        for (const lod of asset.lods ?? []) {
          expect(blobs).toContain(lod.key);
          expect(lod.triangles).toBeLessThan(asset.triangles);
        }
      }
      expect(report.models.map((m) => [m.id, m.file])).toEqual([
        ['crate', 'crate.glb'],
        ['rock', 'rock.glb'],
        ['tower', 'tower.glb'],
      ]);
    });

    it('uploads nothing on a second run of the same folder', async () => {
      const before = await listKeys(client, bucket.name);
      const run = await buildAssets(args(), target);
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      const report = JSON.parse(run.stdout) as BuildReport;
      expect(report.sync.uploaded).toEqual([]);
      expect(report.sync.uploadedBytes).toBe(0);
      expect(report.sync.skipped).toEqual(expectedFiles.map((file) => `studio/release-1/model_3d/${file}`));
      expect(await listKeys(client, bucket.name)).toEqual(before);
    });

    it('exits 1 on a corrupt GLB, names it, and uploads nothing at all', async () => {
      const badOut = join(dir, `bad-out-${target.name}`);
      const run = await buildAssets(['--in', join(dir, 'bad-assets'), '--out', badOut, '--bucket', badBucket.name, '--tenant', 'studio'], target);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain('build-assets: 1 of 4 model(s) failed to optimise; nothing was uploaded');
      expect(run.stderr).toMatch(/kiln optimize: .*broken\.glb: .*\[truncated_glb\]/);
      expect(await listKeys(client, badBucket.name)).toEqual([]);
    });

    it('refuses an --out folder it did not create, leaving its files alone', async () => {
      const foreign = join(dir, `foreign-${target.name}`);
      await mkdir(foreign);
      await writeFile(join(foreign, 'keep.glb'), 'not ours');
      const run = await buildAssets(['--in', join(dir, 'assets'), '--out', foreign, '--bucket', bucket.name, '--tenant', 'other'], target);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`build-assets: --out ${foreign} is not empty and was not made by this script`);
      expect(await readdir(foreign)).toEqual(['keep.glb']);
      expect((await listKeys(client, bucket.name)).filter((k) => k.startsWith('other/'))).toEqual([]);
    });

    it('exits 1 with the storage error code when the bucket does not exist, before optimising anything', async () => {
      const missingOut = join(dir, `missing-out-${target.name}`);
      const run = await buildAssets(['--in', join(dir, 'assets'), '--out', missingOut, '--bucket', `${bucket.name}-missing`], target);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^build-assets: .*: bucket \S+-missing does not exist \[bucket_not_found\]\n$/);
      await expect(readdir(missingOut)).rejects.toThrow(/ENOENT/);
    });
  });
}
