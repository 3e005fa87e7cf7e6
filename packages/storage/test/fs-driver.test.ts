// Crash safety of the fs driver: a process killed between writing an object's data and its
// metadata must not leave a key that blocks later writes (found by @kiln/core's crash harness).
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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

  it('keeps data and metadata paired when writers of one key race (4 writers, 50 rounds)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'kiln-fs-race-'));
    dirs.push(root);
    const drivers = [fsDriver({ root }), fsDriver({ root })]; // two drivers on one root, as in the demo
    const key = 'acme/r1/bundle/manifest.json';
    for (let round = 0; round < 50; round++) {
      await Promise.all(
        [0, 1, 2, 3].map((writer) => {
          const data = Buffer.from(`{"writer":${writer},"pad":"${'x'.repeat(writer * 3000)}"}`);
          const hash = sha256(data);
          const driver = drivers[writer % 2]!;
          return driver.putObject({ key, body: { kind: 'bytes', data }, bytes: data.length, sha256: hash, contentType: 'application/json', cacheControl: 'no-cache', metadata: { sha256: hash } });
        }),
      );
      const info = await drivers[0]!.headObject(key);
      const data = await readFile(join(root, ...key.split('/')));
      expect({ round, sidecar: info?.metadata['sha256'], bytes: info?.bytes }).toEqual({ round, sidecar: sha256(data), bytes: data.length });
    }
  });

  it('stores filenames up to the 255-byte limit, whose sidecar would not fit beside them', async () => {
    const root = await mkdtemp(join(tmpdir(), 'kiln-fs-long-'));
    dirs.push(root);
    const store = createAssetStore({ driver: fsDriver({ root }) });
    const tenant = store.tenant('acme');
    for (const length of [250, 251, 255]) {
      const filename = `${'é'.repeat((length - 4) >> 1)}${length % 2 ? 'a' : ''}.glb`;
      expect(Buffer.byteLength(filename)).toBe(length);
      const body = bodyFor('glb', 512);
      const record = await tenant.put({ runId: 'r', artifactType: 'model_3d', filename }, body);
      expect(record.filename).toBe(filename);
      expect((await tenant.head(record.key))?.sha256).toBe(sha256(body));
      expect(Buffer.from(await tenant.getBytes(record.key)).equals(Buffer.from(body))).toBe(true);
      const listed: string[] = [];
      for await (const item of tenant.list({ runId: 'r' })) listed.push(item.filename);
      expect(listed).toContain(filename);
    }
  });
});
