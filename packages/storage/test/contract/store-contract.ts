import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifest } from '@kiln/manifest';
import { createAssetStore, type AssetStore, type AssetStoreOptions, type StorageDriver, StorageError } from '@kiln/storage';
import { bodyFor, sha256 } from '../fixtures/bodies.js';

/** What a contract run needs from a driver's test file. */
export interface ContractSetup {
  driver: StorageDriver;
  /** Options merged into every store the suite creates (e.g. a CDN base URL). */
  storeOptions?: Partial<AssetStoreOptions>;
  cleanup(): Promise<void>;
}

let counter = 0;
/** A fresh tenant id per test so tests never see each other's objects. */
function freshTenant(): string {
  return `t${Date.now().toString(36)}${(counter++).toString(36)}`;
}

async function listAll(driver: StorageDriver, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const item of driver.listObjects(prefix)) keys.push(item.key);
  return keys;
}

/**
 * The asset-store contract: every driver on every server must pass it. Driver-specific and
 * server-specific behaviour (signatures, conditional writes, multipart listing) is tested beside
 * it, in the driver's own file.
 */
export function testAssetStore(label: string, makeSetup: () => Promise<ContractSetup>): void {
  describe(`asset store contract: ${label}`, () => {
    let setup: ContractSetup;
    let store: AssetStore;
    let spoolDir: string;

    beforeAll(async () => {
      setup = await makeSetup();
      spoolDir = await mkdtemp(join(tmpdir(), 'kiln-spool-test-'));
      store = createAssetStore({ driver: setup.driver, tmpDir: spoolDir, ...setup.storeOptions });
    });
    afterAll(async () => {
      await setup?.cleanup();
      await rm(spoolDir, { recursive: true, force: true });
    });

    it('puts bytes and returns a complete record; head and getBytes agree', async () => {
      const tenant = store.tenant(freshTenant());
      const body = bodyFor('glb', 4096);
      const record = await tenant.put({ runId: 'run-1', artifactType: 'model_3d', filename: 'crate.glb' }, body);
      expect(record).toMatchObject({
        key: `${tenant.tenantId}/run-1/model_3d/crate.glb`,
        storageKey: `${tenant.tenantId}/_blobs/${sha256(body)}.glb`,
        sha256: sha256(body),
        bytes: 4096,
        contentType: 'model/gltf-binary',
        cacheControl: 'public, max-age=31536000, immutable',
        deduplicated: false,
        uploadedBytes: 4096,
      });
      const head = await tenant.head(record.key);
      expect(head).toMatchObject({ sha256: record.sha256, bytes: 4096, contentType: 'model/gltf-binary', storageKey: record.storageKey });
      expect(Buffer.from(await tenant.getBytes(record.key)).equals(Buffer.from(body))).toBe(true);
      const blob = await setup.driver.headObject(record.storageKey);
      expect(blob?.contentType).toBe('model/gltf-binary');
      expect(blob?.cacheControl).toBe('public, max-age=31536000, immutable');
      expect(blob?.metadata['sha256']).toBe(sha256(body));
    });

    it('stores identical bytes once per tenant, under any run, type or name', async () => {
      const tenant = store.tenant(freshTenant());
      const body = bodyFor('png', 2048);
      const first = await tenant.put({ runId: 'r1', artifactType: 'texture', filename: 'a.png' }, body);
      const second = await tenant.put({ runId: 'r2', artifactType: 'image', filename: 'other name.png' }, body);
      expect(first.deduplicated).toBe(false);
      expect(second).toMatchObject({ deduplicated: true, uploadedBytes: 0, storageKey: first.storageKey, sha256: first.sha256 });
      expect(Buffer.from(await tenant.getBytes(second.key)).equals(Buffer.from(body))).toBe(true);
      const blobs = await listAll(setup.driver, `${tenant.tenantId}/_blobs/`);
      expect(blobs).toEqual([first.storageKey]);
    });

    it('keys blobs by content and Content-Type, so that a CDN URL serves its own name\'s type', async () => {
      const tenant = store.tenant(freshTenant());
      const json = '{"asset":{"version":"2.0"}}';
      const name = (filename: string) => ({ runId: 'r', artifactType: 'bundle' as const, filename });
      const gltf = await tenant.put(name('scene.gltf'), json);
      const plain = await tenant.put(name('scene.json'), json);
      const photo = bodyFor('jpg', 256);
      const jpg = await tenant.put(name('a.jpg'), photo);
      const jpeg = await tenant.put(name('b.JPEG'), photo);
      expect(plain).toMatchObject({ deduplicated: false, sha256: gltf.sha256, contentType: 'application/json' });
      expect([gltf.storageKey, plain.storageKey]).toEqual([`${tenant.tenantId}/_blobs/${gltf.sha256}.gltf`, `${tenant.tenantId}/_blobs/${gltf.sha256}.json`]);
      expect((await setup.driver.headObject(gltf.storageKey))?.contentType).toBe('model/gltf+json');
      expect((await setup.driver.headObject(plain.storageKey))?.contentType).toBe('application/json');
      expect(jpeg).toMatchObject({ deduplicated: true, storageKey: `${tenant.tenantId}/_blobs/${jpg.sha256}.jpg` });
    });

    it('survives a new store instance (the index is the bucket itself)', async () => {
      const tenantId = freshTenant();
      const body = bodyFor('ktx2', 1000);
      await store.tenant(tenantId).put({ runId: 'r', artifactType: 'texture', filename: 'x.ktx2' }, body);
      const reopened = createAssetStore({ driver: setup.driver, tmpDir: spoolDir, ...setup.storeOptions });
      const again = await reopened.tenant(tenantId).put({ runId: 'r9', artifactType: 'texture', filename: 'y.ktx2' }, body);
      expect(again.deduplicated).toBe(true);
    });

    it('never deduplicates across tenants', async () => {
      const body = bodyFor('glb', 512);
      const a = await store.tenant(freshTenant()).put({ runId: 'r', artifactType: 'model_3d', filename: 'm.glb' }, body);
      const b = await store.tenant(freshTenant()).put({ runId: 'r', artifactType: 'model_3d', filename: 'm.glb' }, body);
      expect(b.deduplicated).toBe(false);
      expect(b.storageKey).not.toBe(a.storageKey);
      expect(b.storageKey.startsWith(`${b.tenantId}/`)).toBe(true);
    });

    it('accepts a file path, a Node Readable, a web ReadableStream and a string, and leaves no spool file', async () => {
      const tenant = store.tenant(freshTenant());
      const body = bodyFor('bin', 70_000);
      const dir = await mkdtemp(join(tmpdir(), 'kiln-src-'));
      const path = join(dir, 'body.bin');
      await writeFile(path, body);
      const name = (filename: string) => ({ runId: 'r', artifactType: 'bundle' as const, filename });
      const fromPath = await tenant.put(name('p.bin'), { path });
      const fromNode = await tenant.put(name('n.bin'), Readable.from([body.subarray(0, 1000), body.subarray(1000)]));
      const fromWeb = await tenant.put(name('w.bin'), new Blob([body]).stream());
      const fromString = await tenant.put(name('s.txt'), 'hello kiln');
      expect([fromPath.sha256, fromNode.sha256, fromWeb.sha256]).toEqual([sha256(body), sha256(body), sha256(body)]);
      expect(fromString).toMatchObject({ sha256: sha256('hello kiln'), contentType: 'text/plain', bytes: 10 });
      expect(await readdir(spoolDir)).toEqual([]);
      await rm(dir, { recursive: true, force: true });
    });

    it('rejects a stream that fails before its first byte (a missing file, a failing web stream) with io, writing nothing', async () => {
      const tenant = store.tenant(freshTenant());
      const name = { runId: 'r', artifactType: 'bundle' as const, filename: 'gone.bin' };
      // Both fail on a later tick, while the store is still preparing: the error must reach the
      // caller, not crash the process as an unhandled 'error' event.
      const missing = createReadStream(join(spoolDir, 'no-such-file.bin'));
      await expect(tenant.put(name, missing)).rejects.toMatchObject({ code: 'io', message: expect.stringContaining('ENOENT') });
      const failing = new ReadableStream<Uint8Array>({ pull: () => Promise.reject(new Error('upstream went away')) });
      await expect(tenant.put(name, failing)).rejects.toMatchObject({ code: 'io', message: expect.stringContaining('upstream went away') });
      expect(await listAll(setup.driver, `${tenant.tenantId}/`)).toEqual([]);
      expect(await readdir(spoolDir)).toEqual([]);
    });

    it('reads byte ranges (inclusive, clamped at the end) and refuses ranges that cannot be read', async () => {
      const tenant = store.tenant(freshTenant());
      const name = { runId: 'r', artifactType: 'bundle' as const, filename: 'digits.txt' };
      await tenant.put(name, '0123456789');
      const read = async (range: { start: number; end?: number }) => {
        const { body } = await tenant.get(name, { range });
        let text = '';
        for await (const chunk of body) text += String(chunk);
        return text;
      };
      expect(await read({ start: 2, end: 4 })).toBe('234');
      expect(await read({ start: 7 })).toBe('789');
      expect(await read({ start: 9, end: 50 })).toBe('9');
      for (const [range, field] of [
        [{ start: -3 }, 'range.start'],
        [{ start: 1.5 }, 'range.start'],
        [{ start: 5, end: 2 }, 'range.end'],
        [{ start: 10 }, 'range.start'],
      ] as const) {
        const error = await tenant.get(name, { range }).catch((e: unknown) => e);
        expect(error, JSON.stringify(range)).toMatchObject({ code: 'invalid_input', issues: [expect.objectContaining({ path: field })] });
      }
      await expect(tenant.get(name, { signal: 'soon' as unknown as AbortSignal })).rejects.toMatchObject({ code: 'invalid_input' });
    });

    it.each([
      ['png', 'image/png'],
      ['jpg', 'image/jpeg'],
      ['jpeg', 'image/jpeg'],
      ['webp', 'image/webp'],
      ['mp4', 'video/mp4'],
      ['webm', 'video/webm'],
      ['mp3', 'audio/mpeg'],
      ['wav', 'audio/wav'],
      ['ogg', 'audio/ogg'],
      ['zip', 'application/zip'],
      ['html', 'text/html'],
      ['glb', 'model/gltf-binary'],
      ['gltf', 'model/gltf+json'],
      ['ktx2', 'image/ktx2'],
      ['hdr', 'image/vnd.radiance'],
      ['exr', 'image/x-exr'],
      ['glsl', 'text/plain'],
      ['vert', 'text/plain'],
      ['frag', 'text/plain'],
    ])('stores .%s as %s', async (ext, contentType) => {
      const tenant = store.tenant(freshTenant());
      const record = await tenant.put({ runId: 'r', artifactType: 'bundle', filename: `file.${ext}` }, bodyFor(ext, 64));
      expect(record.contentType).toBe(contentType);
      expect((await setup.driver.headObject(record.storageKey))?.contentType).toBe(contentType);
      expect((await tenant.head(record.key))?.contentType).toBe(contentType);
    });

    it('refuses a body that contradicts its extension and writes nothing', async () => {
      const tenant = store.tenant(freshTenant());
      const error = await tenant.put({ runId: 'r', artifactType: 'texture', filename: 'fake.png' }, bodyFor('glb', 64)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageError);
      expect((error as StorageError).code).toBe('content_mismatch');
      expect(await listAll(setup.driver, `${tenant.tenantId}/`)).toEqual([]);
    });

    it('refuses a body over maxBytes, from bytes and from a stream, and writes nothing', async () => {
      const small = createAssetStore({ driver: setup.driver, tmpDir: spoolDir, ...setup.storeOptions, maxBytes: 1000 });
      const tenant = small.tenant(freshTenant());
      const name = { runId: 'r', artifactType: 'bundle' as const, filename: 'big.bin' };
      await expect(tenant.put(name, new Uint8Array(1001))).rejects.toMatchObject({ code: 'too_large' });
      await expect(tenant.put(name, Readable.from([new Uint8Array(600), new Uint8Array(600)]))).rejects.toMatchObject({ code: 'too_large' });
      expect(await listAll(setup.driver, `${tenant.tenantId}/`)).toEqual([]);
      expect(await readdir(spoolDir)).toEqual([]);
    });

    it.each([
      [{ runId: '..', artifactType: 'image', filename: 'a.png' }, 'runId'],
      [{ runId: 'r', artifactType: 'meshes', filename: 'a.glb' }, 'artifactType'],
      [{ runId: 'r', artifactType: 'image', filename: '../a.png' }, 'filename'],
      [{ runId: 'r', artifactType: 'image', filename: 'a%2f.png' }, 'filename'],
      [{ runId: '_blobs', artifactType: 'image', filename: 'a.png' }, 'runId'],
      ['other-tenant/r/image/a.png', 'key'],
    ])('refuses the name %j (field %s) and writes nothing', async (name, field) => {
      const tenant = store.tenant(freshTenant());
      const error = await tenant.put(name as never, bodyFor('png', 64)).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'invalid_key', details: { field } });
      expect(await listAll(setup.driver, `${tenant.tenantId}/`)).toEqual([]);
    });

    it.each([
      [null, 'null'],
      [42, 'number'],
      [{ path: '' }, 'path'],
      [[1, 2, 3], 'array'],
    ])('refuses the body %j with a validation error naming body', async (body, what) => {
      const tenant = store.tenant(freshTenant());
      const error = await tenant.put({ runId: 'r', artifactType: 'bundle', filename: 'x.bin' }, body as never).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'invalid_input', issues: [{ path: 'body' }] });
      expect((error as Error).message).toContain(what);
      expect(await listAll(setup.driver, `${tenant.tenantId}/`)).toEqual([]);
    });

    it('refuses bad put options', async () => {
      const tenant = store.tenant(freshTenant());
      const name = { runId: 'r', artifactType: 'bundle' as const, filename: 'x.bin' };
      await expect(tenant.put(name, 'x', { visibility: 'secret' as never })).rejects.toMatchObject({ code: 'invalid_input', issues: [{ path: 'visibility' }] });
      await expect(tenant.put(name, 'x', { signal: 'no' as never })).rejects.toMatchObject({ code: 'invalid_input', issues: [{ path: 'signal' }] });
    });

    it('delivers public artifacts by CDN URL and private ones by presigned URL', async (ctx) => {
      const tenant = store.tenant(freshTenant());
      const name = (filename: string) => ({ runId: 'r', artifactType: 'model_3d' as const, filename });
      const pub = await tenant.put(name('pub.glb'), bodyFor('glb', 100));
      const priv = await tenant.put(name("priv (1)'s.glb"), bodyFor('glb', 100), { visibility: 'private' });
      expect(priv.visibility).toBe('private');
      expect((await tenant.head(name("priv (1)'s.glb")))?.visibility).toBe('private');
      if (setup.storeOptions?.cdnBaseUrl) {
        expect(pub.url).toBe(`${setup.storeOptions.cdnBaseUrl}/${pub.storageKey}`);
        expect(await tenant.url(name('pub.glb'))).toBe(pub.url);
      }
      if (!setup.driver.capabilities.presign) ctx.skip();
      const url = await tenant.url(name("priv (1)'s.glb"));
      expect(url).not.toBe(setup.storeOptions?.cdnBaseUrl ? `${setup.storeOptions.cdnBaseUrl}/${priv.storageKey}` : '');
      expect(new URL(url).search).toMatch(/Signature/);
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('model/gltf-binary');
      // RFC 8187: ' ( ) are not attr-chars, so they are percent-encoded too.
      expect(res.headers.get('content-disposition')).toBe("inline; filename*=UTF-8''priv%20%281%29%27s.glb");
      await res.arrayBuffer();
    });

    it('overwrites a name with new content', async () => {
      const tenant = store.tenant(freshTenant());
      const name = { runId: 'r', artifactType: 'shader' as const, filename: 'water.frag' };
      await tenant.put(name, 'void main() {}');
      const second = await tenant.put(name, 'void main() { discard; }');
      expect((await tenant.head(name))?.sha256).toBe(second.sha256);
      expect(Buffer.from(await tenant.getBytes(name)).toString()).toBe('void main() { discard; }');
    });

    it('lists by run and type, deletes names, and gc reclaims unreferenced blobs only', async () => {
      const tenant = store.tenant(freshTenant());
      const shared = bodyFor('png', 300);
      await tenant.put({ runId: 'r1', artifactType: 'image', filename: 'a.png' }, shared);
      await tenant.put({ runId: 'r1', artifactType: 'texture', filename: 'b.png' }, shared);
      await tenant.put({ runId: 'r2', artifactType: 'image', filename: 'c.png' }, bodyFor('png', 300));
      const names = async (filter?: Parameters<typeof tenant.list>[0]) => {
        const out: string[] = [];
        for await (const item of tenant.list(filter)) out.push(`${item.runId}/${item.artifactType}/${item.filename}`);
        return out.sort();
      };
      expect(await names()).toEqual(['r1/image/a.png', 'r1/texture/b.png', 'r2/image/c.png']);
      expect(await names({ runId: 'r1' })).toEqual(['r1/image/a.png', 'r1/texture/b.png']);
      expect(await names({ runId: 'r1', artifactType: 'texture' })).toEqual(['r1/texture/b.png']);
      expect(await names({ artifactType: 'image' })).toEqual(['r1/image/a.png', 'r2/image/c.png']);
      await expect(names({ artifactType: 'meshes' as never })).rejects.toMatchObject({ code: 'invalid_key' });
      await expect(names({ runId: '..' })).rejects.toMatchObject({ code: 'invalid_key' });
      await tenant.delete({ runId: 'r1', artifactType: 'image', filename: 'a.png' });
      await tenant.delete({ runId: 'r2', artifactType: 'image', filename: 'c.png' });
      expect(await tenant.head({ runId: 'r1', artifactType: 'image', filename: 'a.png' })).toBeUndefined();
      const gc = await tenant.gc({ graceMs: 0 });
      expect(gc.deleted).toHaveLength(1); // c.png's blob; a.png's is still used by b.png
      expect(gc.referenced).toBe(1);
      expect(Buffer.from(await tenant.getBytes({ runId: 'r1', artifactType: 'texture', filename: 'b.png' })).equals(Buffer.from(shared))).toBe(true);
    });

    it('uploads a body over 5 MB with monotonic progress and tracks its status by id', async () => {
      const tenant = store.tenant(freshTenant());
      const body = bodyFor('bin', 12 * 1024 * 1024 + 123);
      const handle = tenant.upload({ runId: 'r', artifactType: 'bundle', filename: 'big.bin' }, body);
      const seen: number[] = [];
      const states: string[] = [];
      handle.on('progress', (s) => {
        if (s.state === 'uploading') seen.push(s.bytesDone);
      });
      handle.on('status', (s) => states.push(s.state));
      expect(store.uploads.get(handle.id)?.state).toBe('queued');
      const status = await store.uploads.wait(handle.id);
      expect(status.state).toBe('done');
      expect(status.result?.bytes).toBe(body.byteLength);
      expect(states).toEqual(['hashing', 'uploading', 'done']);
      expect(seen.at(-1)).toBe(body.byteLength);
      expect([...seen].sort((a, b) => a - b)).toEqual(seen);
      expect((await tenant.head(handle.key))?.sha256).toBe(sha256(body));
    });

    it('reports a failed upload through wait() and done()', async () => {
      const tenant = store.tenant(freshTenant());
      const handle = tenant.upload({ runId: 'r', artifactType: 'texture', filename: 'bad.ktx2' }, bodyFor('png', 64));
      await expect(handle.done()).rejects.toMatchObject({ code: 'content_mismatch' });
      const status = await store.uploads.wait(handle.id);
      expect(status.state).toBe('failed');
      expect(status.error?.code).toBe('content_mismatch');
      await expect(store.uploads.wait('no-such-id')).rejects.toMatchObject({ code: 'not_found' });
    });

    it('aborts an upload through its signal and leaves nothing behind', async () => {
      const tenant = store.tenant(freshTenant());
      const controller = new AbortController();
      const handle = tenant.upload({ runId: 'r', artifactType: 'bundle', filename: 'x.bin' }, bodyFor('bin', 8 * 1024 * 1024), { signal: controller.signal });
      controller.abort();
      await expect(handle.done()).rejects.toMatchObject({ code: 'aborted' });
      expect(await listAll(setup.driver, `${tenant.tenantId}/`)).toEqual([]);
    });

    it('reports usage per artifact type, stored bytes after dedup, and a cost', async () => {
      const tenant = store.tenant(freshTenant());
      const model = bodyFor('glb', 10_000);
      await tenant.put({ runId: 'r1', artifactType: 'model_3d', filename: 'a.glb' }, model);
      await tenant.put({ runId: 'r2', artifactType: 'model_3d', filename: 'b.glb' }, model);
      await tenant.put({ runId: 'r1', artifactType: 'texture', filename: 't.ktx2' }, bodyFor('ktx2', 3000));
      const usage = await tenant.usage({ getRequests: 1_000_000 });
      expect(usage.byType.model_3d).toEqual({ objects: 2, bytes: 20_000 });
      expect(usage.byType.texture).toEqual({ objects: 1, bytes: 3000 });
      expect(usage.logical).toEqual({ objects: 3, bytes: 23_000 });
      expect(usage.stored.bytes).toBe(13_000);
      expect(usage.dedupSavedBytes).toBe(10_000);
      expect(usage.monthlyCost.total).toBeGreaterThan(0.39); // 1M GETs at $0.0004/1000 alone
    });

    it('writes a manifest that @kiln/manifest parses, with blob keys and LODs', async () => {
      const tenant = store.tenant(freshTenant());
      const lod0 = await tenant.put({ runId: 'r', artifactType: 'model_3d', filename: 'tower.glb' }, bodyFor('glb', 5000));
      await tenant.put({ runId: 'r', artifactType: 'model_3d', filename: 'tower.lod1.glb' }, bodyFor('glb', 2000));
      const written = await tenant.writeManifest({
        runId: 'r',
        assets: [
          {
            name: lod0.key,
            id: 'tower',
            triangles: 1000,
            lods: [{ name: { runId: 'r', artifactType: 'model_3d', filename: 'tower.lod1.glb' }, triangles: 500, switchDistance: 20 }],
            metadata: { prompt: 'a stone tower', qualityRating: 4 },
          },
        ],
      });
      const manifest = parseManifest(written.manifest);
      expect(written.key).toBe(`${tenant.tenantId}/r/bundle/manifest.json`);
      expect(manifest.assets[0]).toMatchObject({ id: 'tower', key: lod0.storageKey, sha256: lod0.sha256, triangles: 1000 });
      expect(manifest.assets[0]?.lods?.[0]).toMatchObject({ triangles: 500, switchDistance: 20 });
      const stored = parseManifest(Buffer.from(await tenant.getBytes(written.key)).toString('utf8'));
      expect(stored.assets).toHaveLength(1);
      expect((await tenant.head(written.key))?.cacheControl).toBe('public, max-age=60');
    });

    it('syncs a folder: uploads, skips unchanged, deletes what is gone, and dry-runs', async () => {
      const tenant = store.tenant(freshTenant());
      const dir = await mkdtemp(join(tmpdir(), 'kiln-sync-'));
      await mkdir(join(dir, 'texture'));
      await writeFile(join(dir, 'hero.glb'), bodyFor('glb', 400));
      await writeFile(join(dir, 'texture', 'hero.png'), bodyFor('png', 400));
      await writeFile(join(dir, 'notes.txt'), 'v1');
      const first = await tenant.sync({ dir, runId: 'r' });
      expect(first.uploaded.map((k) => k.split('/').slice(2).join('/'))).toEqual(['bundle/notes.txt', 'model_3d/hero.glb', 'texture/hero.png']);
      await writeFile(join(dir, 'notes.txt'), 'v2');
      await rm(join(dir, 'hero.glb'));
      const dry = await tenant.sync({ dir, runId: 'r', delete: true, dryRun: true });
      expect(dry).toMatchObject({ uploaded: [`${tenant.tenantId}/r/bundle/notes.txt`], deleted: [`${tenant.tenantId}/r/model_3d/hero.glb`], dryRun: true });
      expect(Buffer.from(await tenant.getBytes(`${tenant.tenantId}/r/bundle/notes.txt`)).toString()).toBe('v1');
      const progress: string[] = [];
      const second = await tenant.sync({ dir, runId: 'r', delete: true, onProgress: (p) => progress.push(`${p.done}/${p.total} ${p.action}`) });
      expect(second.skipped).toEqual([`${tenant.tenantId}/r/texture/hero.png`]);
      expect(second.deleted).toEqual([`${tenant.tenantId}/r/model_3d/hero.glb`]);
      expect(progress).toHaveLength(3);
      expect(Buffer.from(await tenant.getBytes(`${tenant.tenantId}/r/bundle/notes.txt`)).toString()).toBe('v2');
      await rm(dir, { recursive: true, force: true });
    });

    it('sync refuses a folder with one file that contradicts its extension before writing any', async () => {
      const tenant = store.tenant(freshTenant());
      const dir = await mkdtemp(join(tmpdir(), 'kiln-sync-bad-'));
      for (let i = 0; i < 20; i++) await writeFile(join(dir, `good-${String(i).padStart(2, '0')}.glb`), bodyFor('glb', 300));
      await writeFile(join(dir, 'zz-fake.png'), bodyFor('glb', 300)); // GLB bytes named .png
      await expect(tenant.sync({ dir, runId: 'r' })).rejects.toMatchObject({ code: 'content_mismatch' });
      await new Promise((resolve) => setTimeout(resolve, 200)); // nothing is still writing behind the rejection
      expect(await listAll(setup.driver, `${tenant.tenantId}/`)).toEqual([]);
      await rm(dir, { recursive: true, force: true });
    });

    it('presigns a GET URL that serves the bytes, and a PUT URL that stores them', async (ctx) => {
      if (!setup.driver.capabilities.presign) ctx.skip();
      const tenant = store.tenant(freshTenant());
      const body = bodyFor('glb', 777);
      const record = await tenant.put({ runId: 'r', artifactType: 'model_3d', filename: 'p.glb' }, body);
      const get = await fetch(await tenant.presign(record.key, { expiresIn: 60 }));
      expect(get.status).toBe(200);
      expect(Buffer.from(await get.arrayBuffer()).equals(Buffer.from(body))).toBe(true);
      const putUrl = await tenant.presign({ runId: 'r', artifactType: 'image', filename: 'up.png' }, { method: 'PUT' });
      const png = bodyFor('png', 128);
      const put = await fetch(putUrl, { method: 'PUT', body: png, headers: { 'content-type': 'image/png' } });
      expect(put.status).toBe(200);
      expect(Buffer.from(await tenant.getBytes({ runId: 'r', artifactType: 'image', filename: 'up.png' })).equals(Buffer.from(png))).toBe(true);
      await expect(tenant.presign('someone-else/r/image/up.png')).rejects.toMatchObject({ code: 'invalid_key' });
    });

    it('ingests a presigned browser upload into the blob store, deduplicated', async (ctx) => {
      if (!setup.driver.capabilities.presign) ctx.skip();
      const tenant = store.tenant(freshTenant());
      const png = bodyFor('png', 4000);
      const existing = await tenant.put({ runId: 'r', artifactType: 'image', filename: 'first.png' }, png);
      const name = { runId: 'r', artifactType: 'image' as const, filename: 'browser.png' };
      const put = await fetch(await tenant.presign(name, { method: 'PUT' }), { method: 'PUT', body: png, headers: { 'content-type': 'image/png' } });
      expect(put.status).toBe(200);
      const record = await tenant.ingest(name);
      expect(record).toMatchObject({ sha256: sha256(png), storageKey: existing.storageKey, deduplicated: true, contentType: 'image/png' });
      expect((await tenant.head(name))?.storageKey).toBe(existing.storageKey);
      expect(Buffer.from(await tenant.getBytes(name)).equals(Buffer.from(png))).toBe(true);
      expect((await tenant.ingest(name)).sha256).toBe(sha256(png)); // a ref: returned as it is
      await expect(tenant.ingest({ runId: 'r', artifactType: 'image', filename: 'missing.png' })).rejects.toMatchObject({ code: 'not_found' });
    });
  });
}
