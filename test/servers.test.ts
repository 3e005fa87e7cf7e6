// Smoke test of the S3 test servers themselves: every provided target takes a bucket and an object,
// and the strict one (radosgw) enforces what s3rver does not (If-None-Match, SigV4 signatures).
import { GetObjectCommand, ListBucketsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestBucket, httpStatus, makeS3Client, s3Targets, type TestBucket } from './servers/targets.js';

const targets = s3Targets();

if (targets.length === 0) {
  it.skip('S3 test servers (none started: KILN_TEST_S3=none)', () => {});
}

/** Runs `call` and returns the HTTP status it failed with (fails the test if it succeeded). */
async function failureStatus(call: () => Promise<unknown>): Promise<number | undefined> {
  try {
    await call();
  } catch (error) {
    return httpStatus(error);
  }
  throw new Error('expected the request to fail');
}

describe.each(targets.map((target) => [target.name, target] as const))('%s', (_name, target) => {
  let client: S3Client;
  let bucket: TestBucket;

  beforeAll(async () => {
    client = makeS3Client(target);
    bucket = await createTestBucket(client, `smoke-${target.name}`);
  });

  afterAll(async () => {
    await bucket?.cleanup();
    client?.destroy();
  });

  it('puts and gets an object', async () => {
    const body = 'hello from kiln\n';
    await client.send(
      new PutObjectCommand({ Bucket: bucket.name, Key: 'dir/hello.txt', Body: body, ContentType: 'text/plain; charset=utf-8' }),
    );
    const object = await client.send(new GetObjectCommand({ Bucket: bucket.name, Key: 'dir/hello.txt' }));
    expect(object.ContentType).toBe('text/plain; charset=utf-8');
    expect(await object.Body?.transformToString()).toBe(body);
  });

  it.runIf(target.strict)('rejects PutObject with If-None-Match: * on an existing key (412)', async () => {
    await client.send(new PutObjectCommand({ Bucket: bucket.name, Key: 'once.bin', Body: 'first' }));
    const status = await failureStatus(() =>
      client.send(new PutObjectCommand({ Bucket: bucket.name, Key: 'once.bin', Body: 'second', IfNoneMatch: '*' })),
    );
    expect(status).toBe(412);
    const object = await client.send(new GetObjectCommand({ Bucket: bucket.name, Key: 'once.bin' }));
    expect(await object.Body?.transformToString()).toBe('first');
  });

  it.runIf(target.strict)('rejects a request signed with the wrong secret (403)', async () => {
    const forged = makeS3Client(target, { secretAccessKey: `${target.secretAccessKey}x` });
    try {
      expect(await failureStatus(() => forged.send(new ListBucketsCommand({})))).toBe(403);
      expect(
        await failureStatus(() => forged.send(new PutObjectCommand({ Bucket: bucket.name, Key: 'forged.txt', Body: 'x' }))),
      ).toBe(403);
    } finally {
      forged.destroy();
    }
  });
});
