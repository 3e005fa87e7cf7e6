// Behaviour of the S3 driver that depends on the server: signatures, presign tampering and
// expiry, conditional writes, multipart abort, error mapping. Strict checks run on RGW (which
// verifies all of it); on s3rver they are skipped with the reason in the test name, because
// s3rver verifies neither signatures nor If-None-Match and has no ListMultipartUploads.
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAssetStore, type AssetStore, type StorageDriver } from '@kiln/storage';
import { s3Driver } from '@kiln/storage/s3';
import { createTestBucket, makeS3Client, s3Targets, type TestBucket } from '../../../test/servers/targets.js';
import { bodyFor, sha256 } from './fixtures/bodies.js';

for (const target of s3Targets()) {
  const strictOnly = target.strict ? it : it.skip;
  const lenient = target.strict ? '' : ' [skipped on s3rver: it does not verify this]';

  describe(`s3 driver on ${target.name}`, () => {
    const client = makeS3Client(target);
    let bucket: TestBucket;
    let driver: StorageDriver;
    let store: AssetStore;

    beforeAll(async () => {
      bucket = await createTestBucket(client, 's3srv');
      driver = s3Driver({ client, bucket: bucket.name, conditionalWrites: target.strict });
      store = createAssetStore({ driver });
    });
    afterAll(async () => {
      await bucket?.cleanup();
      client.destroy();
    });

    it('maps a missing bucket to bucket_not_found', async () => {
      const missing = createAssetStore({ driver: s3Driver({ client, bucket: 'kiln-no-such-bucket' }) });
      await expect(missing.tenant('t').put({ runId: 'r', artifactType: 'image', filename: 'a.png' }, bodyFor('png'))).rejects.toMatchObject({
        code: 'bucket_not_found',
      });
    });

    strictOnly(`maps wrong credentials to access_denied${lenient}`, async () => {
      const bad = makeS3Client(target, { secretAccessKey: 'wrong-secret-wrong-secret' });
      const denied = createAssetStore({ driver: s3Driver({ client: bad, bucket: bucket.name }) });
      await expect(denied.tenant('t').put({ runId: 'r', artifactType: 'image', filename: 'a.png' }, bodyFor('png'))).rejects.toMatchObject({
        code: 'access_denied',
      });
      bad.destroy();
    });

    strictOnly(`enforces If-None-Match: only one of two concurrent creators wins${lenient}`, async () => {
      const key = `race/${Date.now()}`;
      const put = (data: Uint8Array) =>
        driver.putObject({ key, body: { kind: 'bytes', data }, bytes: data.byteLength, sha256: sha256(data), contentType: 'application/octet-stream', cacheControl: 'no-cache', metadata: {}, ifNoneMatch: true });
      const results = await Promise.all([put(bodyFor('bin', 3 << 20)), put(bodyFor('bin', 3 << 20))]);
      expect(results.map((r) => r.created).sort()).toEqual([false, true]);
      const again = await put(bodyFor('bin', 64));
      expect(again.created).toBe(false);
      expect((await driver.headObject(key))?.bytes).toBe(3 << 20);
    });

    strictOnly(`enforces If-None-Match on multipart completion too${lenient}`, async () => {
      const key = `race-multipart/${Date.now()}`;
      const data = bodyFor('bin', 7 << 20);
      const put = () =>
        driver.putObject({ key, body: { kind: 'bytes', data }, bytes: data.byteLength, sha256: sha256(data), contentType: 'application/octet-stream', cacheControl: 'no-cache', metadata: {}, ifNoneMatch: true });
      const results = await Promise.all([put(), put()]);
      expect(results.map((r) => r.created).sort()).toEqual([false, true]);
      const listed = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket.name, Prefix: key }));
      expect(listed.Uploads ?? []).toEqual([]);
    });

    strictOnly(`two stores racing on the same new content store it once${lenient}`, async () => {
      const tenantId = `race${Date.now()}`;
      const body = bodyFor('glb', 4 << 20);
      const other = createAssetStore({ driver: s3Driver({ client: makeS3Client(target), bucket: bucket.name }) });
      const [a, b] = await Promise.all([
        store.tenant(tenantId).put({ runId: 'r1', artifactType: 'model_3d', filename: 'a.glb' }, body),
        other.tenant(tenantId).put({ runId: 'r2', artifactType: 'model_3d', filename: 'b.glb' }, body),
      ]);
      expect([a.deduplicated, b.deduplicated].sort()).toEqual([false, true]);
      const blobs: string[] = [];
      for await (const item of driver.listObjects(`${tenantId}/_blobs/`)) blobs.push(item.key);
      expect(blobs).toEqual([a.storageKey]);
    });

    strictOnly(`aborting a multipart upload leaves no parts (ListMultipartUploads)${lenient}`, async () => {
      const tenant = store.tenant(`abort${Date.now()}`);
      const handle = tenant.upload({ runId: 'r', artifactType: 'bundle', filename: 'big.bin' }, bodyFor('bin', 40 << 20));
      handle.on('progress', (s) => {
        if (s.state === 'uploading' && s.bytesDone > 0) handle.abort();
      });
      await expect(handle.done()).rejects.toMatchObject({ code: 'aborted' });
      const listed = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket.name }));
      expect(listed.Uploads ?? []).toEqual([]);
      const left: string[] = [];
      for await (const item of driver.listObjects(`${tenant.tenantId}/`)) left.push(item.key);
      expect(left).toEqual([]);
    });

    describe('presigned URLs', () => {
      let urlA: string;
      let keyB: string;
      beforeAll(async () => {
        const a = await store.tenant('tenant-a').put({ runId: 'r', artifactType: 'model_3d', filename: 'a.glb' }, bodyFor('glb', 1000));
        const b = await store.tenant('tenant-b').put({ runId: 'r', artifactType: 'model_3d', filename: 'b.glb' }, bodyFor('glb', 1000));
        urlA = await store.tenant('tenant-a').presign(a.key, { expiresIn: 600 });
        keyB = b.storageKey;
      });

      it('signs GET URLs for the blob with SigV4 query parameters and no checksum parameters', () => {
        const url = new URL(urlA);
        expect(url.pathname).toContain('/tenant-a/_blobs/');
        expect(url.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
        expect(url.searchParams.get('X-Amz-Expires')).toBe('600');
        expect([...url.searchParams.keys()].some((k) => k.toLowerCase().includes('checksum'))).toBe(false);
      });

      it('signs Content-Type into PUT URLs', async () => {
        const put = new URL(await store.tenant('tenant-a').presign({ runId: 'r', artifactType: 'texture', filename: 't.ktx2' }, { method: 'PUT' }));
        expect(put.searchParams.get('X-Amz-SignedHeaders')).toBe('content-type;host');
      });

      it('serves 200 before expiry', async () => {
        expect((await fetch(urlA)).status).toBe(200);
      });

      strictOnly(`refuses a tampered signature with 403${lenient}`, async () => {
        const url = new URL(urlA);
        const sig = url.searchParams.get('X-Amz-Signature') ?? '';
        url.searchParams.set('X-Amz-Signature', `${sig.slice(0, -1)}${sig.endsWith('0') ? '1' : '0'}`);
        expect((await fetch(url)).status).toBe(403);
      });

      strictOnly(`refuses a URL whose key was swapped to another tenant's object with 403${lenient}`, async () => {
        const url = new URL(urlA);
        url.pathname = `/${bucket.name}/${keyB}`;
        expect((await fetch(url)).status).toBe(403);
      });

      strictOnly(`refuses a GET URL used with another method with 403${lenient}`, async () => {
        expect((await fetch(urlA, { method: 'PUT', body: 'overwrite' })).status).toBe(403);
        expect((await fetch(urlA, { method: 'DELETE' })).status).toBe(403);
      });

      strictOnly(`refuses a PUT with another Content-Type than the signed one with 403${lenient}`, async () => {
        const url = await store.tenant('tenant-a').presign({ runId: 'r', artifactType: 'image', filename: 'x.png' }, { method: 'PUT' });
        expect((await fetch(url, { method: 'PUT', body: bodyFor('png'), headers: { 'content-type': 'text/html' } })).status).toBe(403);
        expect((await fetch(url, { method: 'PUT', body: bodyFor('png'), headers: { 'content-type': 'image/png' } })).status).toBe(200);
      });

      it('refuses an expired URL with 403', async () => {
        const record = await store.tenant('tenant-a').head({ runId: 'r', artifactType: 'model_3d', filename: 'a.glb' });
        const short = await store.tenant('tenant-a').presign(record!.key, { expiresIn: 1 });
        await sleep(2100);
        expect((await fetch(short)).status).toBe(403);
      });
    });
  });
}
