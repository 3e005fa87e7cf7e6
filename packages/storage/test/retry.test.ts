// Retries against a real server (the first S3 target) behind a fault-injecting proxy. The SDK's
// own retries are turned off (maxAttempts 1) so these tests see the store's retry layer alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backoffDelay, createAssetStore, isRetryable, RETRY_DEFAULTS, StorageError, type AssetStore } from '@kiln/storage';
import { createS3Client, s3Driver } from '@kiln/storage/s3';
import { createTestBucket, makeS3Client, s3Targets, type TestBucket } from '../../../test/servers/targets.js';
import { bodyFor } from './fixtures/bodies.js';
import { startFaultProxy, type FaultProxy } from './fixtures/fault-proxy.js';

describe('backoff', () => {
  it('grows exponentially with full jitter and a cap', () => {
    const o = { attempts: 5, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(0, o, () => 0.999)).toBe(99);
    expect(backoffDelay(3, o, () => 0.999)).toBe(799);
    expect(backoffDelay(10, o, () => 0.999)).toBe(999);
    expect(backoffDelay(3, o, () => 0)).toBe(0);
  });

  it('retries 5xx, throttling and dropped connections, never 4xx or aborts', () => {
    expect(isRetryable(new StorageError('io', 'x', { details: { status: 503 } }))).toBe(true);
    expect(isRetryable(new StorageError('io', 'x', { details: { status: 429 } }))).toBe(true);
    expect(isRetryable(new StorageError('io', 'x', { details: { s3Code: 'SlowDown' } }))).toBe(true);
    expect(isRetryable(new StorageError('io', 'x', { cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }) }))).toBe(true);
    expect(isRetryable(new StorageError('io', 'x', { details: { status: 400 } }))).toBe(false);
    expect(isRetryable(new StorageError('access_denied', 'x', { details: { status: 403 } }))).toBe(false);
    expect(isRetryable(new StorageError('aborted', 'x'))).toBe(false);
    expect(isRetryable(new Error('plain'))).toBe(false);
  });
});

// RGW when it runs: s3rver answers lib-storage's AbortMultipartUpload with 405, and lib-storage
// then throws that instead of the part's error.
const target = s3Targets().find((t) => t.strict) ?? s3Targets()[0];
describe.skipIf(!target)('retries through a fault-injecting proxy (needs an S3 test server)', () => {
  let proxy: FaultProxy;
  let bucket: TestBucket;
  let store: AssetStore;
  const admin = target ? makeS3Client(target) : undefined;
  const isBlobPut = (req: { method?: string | undefined; url?: string | undefined }) => req.method === 'PUT' && (req.url ?? '').includes('/_blobs/');

  beforeAll(async () => {
    bucket = await createTestBucket(admin!, 'retry');
    proxy = await startFaultProxy(target!.endpoint);
    const client = createS3Client({
      endpoint: proxy.url,
      region: target!.region,
      credentials: { accessKeyId: target!.accessKeyId, secretAccessKey: target!.secretAccessKey },
      maxAttempts: 1,
    });
    store = createAssetStore({ driver: s3Driver({ client, bucket: bucket.name }), retry: { ...RETRY_DEFAULTS, baseDelayMs: 10 } });
  });
  afterAll(async () => {
    await proxy?.close();
    await bucket?.cleanup();
  });

  it('retries a PUT that got 503 SlowDown twice, then succeeds', async () => {
    proxy.failNext(2, { kind: 'status', status: 503, code: 'SlowDown' }, isBlobPut);
    const before = proxy.seen.filter((s) => s.startsWith('PUT') && s.includes('/_blobs/')).length;
    const record = await store.tenant('t1').put({ runId: 'r', artifactType: 'image', filename: 'a.png' }, bodyFor('png', 1000));
    expect(record.deduplicated).toBe(false);
    expect(proxy.seen.filter((s) => s.startsWith('PUT') && s.includes('/_blobs/')).length - before).toBe(3);
  });

  it('retries dropped connections', async () => {
    proxy.failNext(2, { kind: 'reset' }, isBlobPut);
    const record = await store.tenant('t2').put({ runId: 'r', artifactType: 'image', filename: 'a.png' }, bodyFor('png', 1000));
    expect(record.bytes).toBe(1000);
  });

  it('gives up after the configured attempts with the last error', async () => {
    proxy.failNext(3, { kind: 'status', status: 500, code: 'InternalError' }, isBlobPut);
    await expect(store.tenant('t3').put({ runId: 'r', artifactType: 'image', filename: 'a.png' }, bodyFor('png', 1000))).rejects.toMatchObject({
      code: 'io',
      details: { status: 500 },
    });
  });

  it('does not retry a 403', async () => {
    proxy.failNext(1, { kind: 'status', status: 403, code: 'AccessDenied' }, isBlobPut);
    const before = proxy.seen.length;
    await expect(store.tenant('t4').put({ runId: 'r', artifactType: 'image', filename: 'a.png' }, bodyFor('png', 1000))).rejects.toMatchObject({
      code: 'access_denied',
    });
    expect(proxy.seen.slice(before).filter((s) => s.startsWith('PUT')).length).toBe(1);
  });

  it.skipIf(!target?.strict)('retries a multipart upload whose part failed, from the replayable body [needs RGW: s3rver cannot abort multipart uploads]', async () => {
    proxy.failNext(1, { kind: 'status', status: 503, code: 'SlowDown' }, (req) => req.method === 'PUT' && (req.url ?? '').includes('partNumber=2'));
    const body = bodyFor('bin', 11 * 1024 * 1024);
    const tenant = store.tenant('t5');
    const record = await tenant.put({ runId: 'r', artifactType: 'bundle', filename: 'big.bin' }, body);
    expect(Buffer.from(await tenant.getBytes(record.key)).equals(Buffer.from(body))).toBe(true);
  });
});
