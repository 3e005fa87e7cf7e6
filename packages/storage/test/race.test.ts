// Two processes store the same new content at the same moment: it must be stored once. RGW
// enforces If-None-Match, so exactly one process creates the blob and the other reports a dedup
// hit, whichever way the race goes. s3rver ignores the header, so this runs on RGW only.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestBucket, makeS3Client, s3Targets, type TestBucket } from '../../../test/servers/targets.js';

const target = s3Targets().find((t) => t.strict);
const worker = fileURLToPath(new URL('./fixtures/race-worker.ts', import.meta.url));

describe.skipIf(!target)('dedup across processes on RGW (skipped when RGW is not running)', () => {
  const client = target ? makeS3Client(target) : undefined;
  let bucket: TestBucket;
  beforeAll(async () => {
    bucket = await createTestBucket(client!, 'race');
  });
  afterAll(async () => {
    await bucket?.cleanup();
    client?.destroy();
  });

  it('stores content once when two processes put it at the same time', async () => {
    const tenantId = `race${Date.now()}`;
    const children = ['run-a', 'run-b'].map((runId) =>
      spawn(process.execPath, ['--conditions=source', '--import', 'tsx', worker, target!.endpoint, target!.accessKeyId, target!.secretAccessKey, bucket.name, tenantId, runId, '7'], {
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
        stdio: ['pipe', 'pipe', 'pipe'],
      }),
    );
    const lines = children.map((child) => createInterface({ input: child.stdout! })[Symbol.asyncIterator]());
    const stderr = children.map((child) => {
      let text = '';
      child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
      return () => text;
    });
    for (const [i, line] of lines.entries()) {
      const first = await line.next();
      expect(first.value, stderr[i]!()).toBe('ready');
    }
    for (const child of children) child.stdin!.write('go\n');
    const records = await Promise.all(lines.map(async (line, i) => {
      const next = await line.next();
      expect(next.done, stderr[i]!()).toBe(false);
      return JSON.parse(String(next.value)) as { deduplicated: boolean; storageKey: string; sha256: string };
    }));
    expect(records.map((r) => r.deduplicated).sort()).toEqual([false, true]);
    expect(records[0]!.storageKey).toBe(records[1]!.storageKey);
    const keys: string[] = [];
    const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
    const listed = await client!.send(new ListObjectsV2Command({ Bucket: bucket.name, Prefix: `${tenantId}/` }));
    for (const item of listed.Contents ?? []) keys.push(item.Key!);
    expect(keys.filter((k) => k.includes('/_blobs/'))).toEqual([records[0]!.storageKey]);
    expect(keys.filter((k) => !k.includes('/_blobs/')).sort()).toEqual([`${tenantId}/run-a/model_3d/same.glb`, `${tenantId}/run-b/model_3d/same.glb`]);
  }, 60_000);
});
