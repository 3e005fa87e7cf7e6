// @kiln/three against Ceph RGW (strict SigV4) in Chromium: the assets are stored with
// @kiln/storage's S3 driver in a private bucket with CORS rules, the manifest lists presigned URLs,
// and an expired one is replaced through resolveUrl.
import { GetObjectCommand, PutBucketCorsCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Manifest } from '@kiln/manifest';
import { createAssetStore } from '@kiln/storage';
import { corsRules, s3Driver } from '@kiln/storage/s3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestBucket, makeS3Client, s3Targets, type TestBucket } from '../../../test/servers/targets.js';
import type {} from './browser/page.js';
import { prepareApp, startAppServer, type AppServer } from './helpers/app.js';
import { browserMissing, launchBrowser, openPage, type PageLog } from './helpers/browser.js';
import { ensureFixtures } from './helpers/fixtures.js';
import { manifestAssets, RUN, TENANT } from './helpers/stack.js';

const rgw = s3Targets().find((target) => target.name === 'rgw');
const missing = browserMissing() ?? (rgw === undefined ? 'RGW not started (KILN_TEST_S3 excludes it)' : undefined);

describe.skipIf(missing !== undefined)(`@kiln/three with RGW presigned URLs${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let browser: Browser;
  let app: AppServer;
  let client: S3Client;
  let bucket: TestBucket;
  let manifest: Manifest;
  let page: Page;
  let log: PageLog;
  const presigned: string[] = [];

  const presign = (key: string, signingDate?: Date) =>
    getSignedUrl(client, new GetObjectCommand({ Bucket: bucket.name, Key: key }), { expiresIn: 300, ...(signingDate ? { signingDate } : {}) });

  beforeAll(async () => {
    const target = rgw as NonNullable<typeof rgw>;
    client = makeS3Client(target);
    bucket = await createTestBucket(client, 'kiln-three');
    await client.send(new PutBucketCorsCommand({ Bucket: bucket.name, CORSConfiguration: corsRules({ origins: ['*'] }) }));
    const fixtures = await ensureFixtures();
    const store = createAssetStore({ driver: s3Driver({ client, bucket: bucket.name }), visibility: 'private' });
    const tenant = store.tenant(TENANT);
    const wanted = fixtures.files.filter(({ file }) => /^(sphere-draco-etc1s|sphere-meshopt|lod[012])\.glb$|^env\.hdr$/.test(file));
    for (const { file } of wanted) {
      await tenant.put({ runId: RUN, artifactType: file.endsWith('.glb') ? 'model_3d' : 'environment_map', filename: file }, readFileSync(join(fixtures.dir, file)));
    }
    manifest = (await tenant.writeManifest({ runId: RUN, assets: manifestAssets(wanted).filter((asset) => !String((asset as { id?: string }).id).startsWith('worker-')) })).manifest;
    // One asset's URL was signed an hour ago and has expired.
    const expired = manifest.assets.find((asset) => asset.id === 'sphere-meshopt');
    if (!expired) throw new Error('fixture missing');
    expired.url = await presign(expired.key, new Date(Date.now() - 3_600_000));
    const appDir = await prepareApp('test/browser/page.ts', 'app-rgw-test');
    [app, browser] = await Promise.all([startAppServer(appDir), launchBrowser()]);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await bucket?.cleanup();
    client?.destroy();
  });

  beforeEach(async () => {
    ({ page, log } = await openPage(browser, app.url));
    presigned.length = 0;
    // resolveUrl in the page asks the "backend" (this process) for a fresh presigned URL.
    await page.exposeFunction('kilnPresign', async (key: string) => {
      presigned.push(key);
      return presign(key);
    });
  });

  afterEach(async () => {
    await page?.close();
    expect(log.errors).toEqual([]);
  });

  it('loads Draco + KTX2, meshopt, LOD and HDR assets from presigned RGW URLs on another origin', async () => {
    const result = await page.evaluate(async ({ manifest, decoders }) => {
      const { kt } = window;
      const loader = kt.loader({ manifest, decoderPath: decoders, integrity: true });
      const model = await loader.load('sphere-draco-etc1s');
      const lod = await loader.loadLod('lod', { progressive: false });
      const environment = await loader.loadEnvironment('env-hdr');
      const pixels = kt.render([model.scene, lod.lod]);
      const urls = manifest.assets.map((asset) => asset.url ?? '');
      model.release();
      lod.release();
      environment.release();
      loader.dispose();
      return { pixels, urls, origin: location.origin };
    }, { manifest, decoders: `${app.url}/decoders/` });
    expect(result.urls.every((url) => url.includes('X-Amz-Signature=') && !url.startsWith(result.origin))).toBe(true);
    expect(result.pixels.nonBackground).toBeGreaterThan(result.pixels.total * 0.1);
  });

  it('refreshes an expired presigned URL through resolveUrl', async () => {
    const result = await page.evaluate(async ({ manifest, decoders }) => {
      const { kt } = window;
      const reasons: string[] = [];
      const presign = (window as unknown as { kilnPresign: (key: string) => Promise<string> }).kilnPresign;
      const loader = kt.loader({
        manifest,
        decoderPath: decoders,
        integrity: true,
        resolveUrl: async ({ url, key, reason }) => {
          reasons.push(reason);
          return reason === 'initial' ? url : presign(key);
        },
      });
      const asset = await loader.load('sphere-meshopt');
      const pixels = kt.render([asset.scene]);
      asset.release();
      const without = kt.loader({ manifest, decoderPath: decoders, retry: { retries: 0 } });
      let error: unknown;
      try {
        await without.load('sphere-meshopt');
      } catch (e) {
        error = e;
      }
      loader.dispose();
      without.dispose();
      return { reasons, pixels, error: kt.errorInfo(error) };
    }, { manifest, decoders: `${app.url}/decoders/` });
    expect(result.reasons[0]).toBe('initial');
    expect(result.reasons).toHaveLength(2);
    // RGW answers the expired URL with a 403 that has no CORS headers, so the browser reports a
    // network error (the status is hidden); Kiln treats a network error on a presigned URL as
    // possibly expired and asks resolveUrl. S3 behind CloudFront with CORS on errors gives 'http-403'.
    expect(['http-403', 'network']).toContain(result.reasons[1]);
    expect(presigned).toHaveLength(1);
    expect(result.pixels.nonBackground).toBeGreaterThan(result.pixels.total * 0.1);
    expect(['http', 'network']).toContain(result.error.code);
  });
});
