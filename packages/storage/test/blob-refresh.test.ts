// A deduplicated put of old or archived bytes writes the blob again, so that bucket lifecycle
// rules (which count days from an object's last write) never archive or expire bytes a new name
// has just started to use.
import { mkdtemp, rm, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BLOB_REFRESH_AGE_MS, blobNeedsRefresh, createAssetStore, fsDriver } from '@kiln/storage';
import { bodyFor } from './fixtures/bodies.js';

describe('blob refresh on a deduplicated put', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('writes a blob over a day old again, restarting its lifecycle clock', async () => {
    const root = await mkdtemp(join(tmpdir(), 'kiln-refresh-'));
    dirs.push(root);
    const tenant = createAssetStore({ driver: fsDriver({ root }) }).tenant('acme');
    const body = bodyFor('glb', 4096);
    const first = await tenant.put({ runId: 'r1', artifactType: 'model_3d', filename: 'a.glb' }, body);
    const blobPath = join(root, ...first.storageKey.split('/'));

    // A day-old blob is reused as it is.
    const recent = new Date(Date.now() - BLOB_REFRESH_AGE_MS / 2);
    await utimes(blobPath, recent, recent);
    const second = await tenant.put({ runId: 'r2', artifactType: 'model_3d', filename: 'a.glb' }, body);
    expect(second).toMatchObject({ deduplicated: true, uploadedBytes: 0, storageKey: first.storageKey });
    expect(Math.round((await stat(blobPath)).mtimeMs)).toBe(recent.getTime());

    // 100 days old: past a GLACIER transition at 90. The new name must not point at it as it is.
    const old = new Date(Date.now() - 100 * 24 * 3600 * 1000);
    await utimes(blobPath, old, old);
    const third = await tenant.put({ runId: 'r3', artifactType: 'model_3d', filename: 'a.glb' }, body);
    expect(third).toMatchObject({ deduplicated: true, uploadedBytes: 4096, storageKey: first.storageKey });
    expect(Date.now() - (await stat(blobPath)).mtimeMs).toBeLessThan(BLOB_REFRESH_AGE_MS);
    expect(Buffer.from(await tenant.getBytes(third.key)).equals(Buffer.from(body))).toBe(true);
    expect(Buffer.from(await tenant.getBytes(first.key)).equals(Buffer.from(body))).toBe(true);
  });

  it('treats archived storage classes as needing a refresh, whatever their age', () => {
    const now = Date.now();
    expect(blobNeedsRefresh({ lastModified: new Date(now - 1000), storageClass: 'GLACIER' }, now)).toBe(true);
    expect(blobNeedsRefresh({ lastModified: new Date(now - 1000), storageClass: 'DEEP_ARCHIVE' }, now)).toBe(true);
    expect(blobNeedsRefresh({ lastModified: new Date(now - 1000), storageClass: 'STANDARD_IA' }, now)).toBe(false);
    expect(blobNeedsRefresh({ lastModified: new Date(now - 1000), storageClass: 'GLACIER_IR' }, now)).toBe(false);
    expect(blobNeedsRefresh({ lastModified: new Date(now - BLOB_REFRESH_AGE_MS - 1) }, now)).toBe(true);
    expect(blobNeedsRefresh({}, now)).toBe(false);
  });
});
