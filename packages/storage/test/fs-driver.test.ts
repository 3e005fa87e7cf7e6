// Crash safety of the fs driver: a process killed between writing an object's data and its
// metadata must not leave a key that blocks later writes (found by @kiln/core's crash harness).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAssetStore, fsDriver } from '@kiln/storage';
import { bodyFor, sha256 } from './fixtures/bodies.js';

describe('fs driver crash safety', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('completes a blob whose earlier write died between its data and its metadata', async () => {
    const root = await mkdtemp(join(tmpdir(), 'kiln-fs-crash-'));
    dirs.push(root);
    const body = bodyFor('glb', 2048);
    const blob = `acme/_blobs/${sha256(body)}.glb`;
    // What a SIGKILL after link(2) and before the metadata rename leaves behind.
    await mkdir(join(root, 'acme', '_blobs'), { recursive: true });
    await writeFile(join(root, ...blob.split('/')), body);

    const driver = fsDriver({ root });
    expect(await driver.headObject(blob)).toBeUndefined();
    const tenant = createAssetStore({ driver }).tenant('acme');
    const record = await tenant.put({ runId: 'r', artifactType: 'model_3d', filename: 'a.glb' }, body);
    expect(record).toMatchObject({ storageKey: blob, deduplicated: false });
    expect((await driver.headObject(blob))?.contentType).toBe('model/gltf-binary');
    expect(Buffer.from(await tenant.getBytes(record.key)).equals(Buffer.from(body))).toBe(true);
    const again = await tenant.put({ runId: 'r2', artifactType: 'model_3d', filename: 'b.glb' }, body);
    expect(again.deduplicated).toBe(true);
  });

  it('still refuses to overwrite a complete object under ifNoneMatch', async () => {
    const root = await mkdtemp(join(tmpdir(), 'kiln-fs-crash-'));
    dirs.push(root);
    const driver = fsDriver({ root });
    const put = (text: string) =>
      driver.putObject({ key: 't/k', body: { kind: 'bytes', data: Buffer.from(text) }, bytes: text.length, sha256: sha256(text), contentType: 'text/plain', cacheControl: 'no-cache', metadata: {}, ifNoneMatch: true });
    expect((await put('first')).created).toBe(true);
    expect((await put('second')).created).toBe(false);
    const { body } = await driver.getObject('t/k');
    let text = '';
    for await (const chunk of body) text += String(chunk);
    expect(text).toBe('first');
  });
});
