// The browser-independent core of @kiln/three in Node: progress reports, the download loop
// (retries, presigned refresh, abort) with an injected fetch, and the cache (shared requests,
// reference counts, LRU byte budget). The browser tests cover the same through real Chromium.
import { gzipSync } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import { AssetCache, type Cacheable } from '../src/cache.js';
import { isKilnLoadError, KilnLoadError } from '../src/errors.js';
import { download, looksPresigned, messageOf, type NetContext } from '../src/fetch.js';
import { looksLikeDecoderFile } from '../src/decoders.js';
import { gunzipIfGzip, isGzip } from '../src/gunzip.js';
import { binChunkLength, findGltfFault } from '../src/gltf-faults.js';
import { readGltfJson } from '../src/gltf-header.js';
import { checkLoaderOptions, checkPreloadOptions, type KilnLoaderOptions } from '../src/options.js';
import { ProgressTracker, type KilnProgress } from '../src/progress.js';

function net(fetch: NetContext['fetch'], retries = 3): NetContext {
  return { fetch, retry: { retries, minDelayMs: 1, maxDelayMs: 2, refreshes: 2 }, credentials: 'same-origin', headers: undefined };
}

function bodyOf(bytes: number, chunks = 4, headers: Record<string, string> = {}): Response {
  const data = new Uint8Array(bytes).fill(7);
  const size = Math.ceil(bytes / chunks);
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < bytes; i += size) controller.enqueue(data.slice(i, i + size));
      controller.close();
    },
  });
  return new Response(stream, { status: 200, headers });
}

describe('ProgressTracker', () => {
  it('reports monotonic fractions that end at exactly 1', () => {
    const tracker = new ProgressTracker();
    const seen: KilnProgress[] = [];
    tracker.subscribe((p) => seen.push(p));
    tracker.update(0, 100);
    tracker.update(40, 100);
    tracker.update(20, 100); // a retried download restarts: not reported until it passes 40
    tracker.update(70, 100);
    tracker.finish(100);
    expect(seen.map((p) => p.fraction)).toEqual([0, 0.4, 0.7, 1]);
    expect(seen.at(-1)).toEqual({ loaded: 100, total: 100, fraction: 1 });
  });

  it('drops a Content-Length that the decoded bytes exceed (gzip) and never goes over 100%', () => {
    const tracker = new ProgressTracker();
    const seen: KilnProgress[] = [];
    tracker.subscribe((p) => seen.push(p));
    tracker.update(50, 80); // 80 = the compressed length
    tracker.update(90, 80);
    tracker.update(120, 80);
    tracker.finish(120);
    expect(seen.map((p) => p.fraction)).toEqual([0.625, 0.625, 0.625, 1]);
    expect(seen.map((p) => p.total)).toEqual([80, undefined, undefined, 120]);
  });

  it('gives late subscribers the latest report and survives a throwing listener', () => {
    const tracker = new ProgressTracker();
    tracker.subscribe(() => {
      throw new Error('listener bug');
    });
    tracker.update(10, undefined);
    const late = vi.fn();
    tracker.subscribe(late);
    expect(late).toHaveBeenCalledWith({ loaded: 10, total: undefined, fraction: undefined });
  });
});

describe('download', () => {
  const signal = () => new AbortController().signal;

  it('retries network errors and 5xx, then succeeds', async () => {
    const fetch = vi
      .fn<NetContext['fetch']>()
      .mockRejectedValueOnce(new TypeError('Failed to fetch'))
      .mockResolvedValueOnce(new Response('busy', { status: 503 }))
      .mockResolvedValueOnce(bodyOf(10));
    const bytes = await download(net(fetch), { label: 'load("a")', url: 'https://cdn.test/a.glb', signal: signal() });
    expect(bytes.byteLength).toBe(10);
    expect(fetch).toHaveBeenCalledTimes(3);
  });

  it('gives up with http (status, attempts) and never shows the query string', async () => {
    const fetch = vi.fn<NetContext['fetch']>().mockImplementation(async () => new Response('', { status: 500, statusText: 'Internal Server Error' }));
    const error = await download(net(fetch, 2), { label: 'load("a")', url: 'https://cdn.test/a.glb?X-Amz-Signature=secret', signal: signal() }).catch((e: unknown) => e);
    expect(isKilnLoadError(error, 'http')).toBe(true);
    expect((error as KilnLoadError).details).toMatchObject({ status: 500, attempts: 3, url: 'https://cdn.test/a.glb' });
    expect((error as KilnLoadError).message).not.toContain('secret');
  });

  it('does not retry a 404', async () => {
    const fetch = vi.fn<NetContext['fetch']>().mockResolvedValue(new Response('', { status: 404 }));
    const error = await download(net(fetch), { label: 'x', url: 'https://cdn.test/a.glb', signal: signal() }).catch((e: unknown) => e);
    expect((error as KilnLoadError).code).toBe('http');
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('asks for a fresh URL on 403, and on a network error of a presigned URL', async () => {
    const seen: string[] = [];
    const fetch = vi.fn<NetContext['fetch']>().mockImplementation(async (input) => {
      const url = String(input);
      seen.push(url);
      if (url.includes('sig=1')) return new Response('', { status: 403 });
      if (url.includes('sig=2')) throw new TypeError('Failed to fetch'); // a 403 without CORS headers
      return bodyOf(5);
    });
    const reasons: string[] = [];
    let n = 1;
    const bytes = await download(net(fetch, 0), {
      label: 'x',
      url: 'https://s3.test/a.glb?X-Amz-Signature=abc&sig=1',
      signal: signal(),
      refresh: async (reason) => {
        reasons.push(reason);
        n += 1;
        return `https://s3.test/a.glb?X-Amz-Signature=abc&sig=${n}`;
      },
    });
    expect(bytes.byteLength).toBe(5);
    expect(reasons).toEqual(['http-403', 'network']);
    expect(seen).toHaveLength(3);
  });

  it('rejects with aborted, distinct from network errors, also during the backoff', async () => {
    const controller = new AbortController();
    const fetch = vi.fn<NetContext['fetch']>().mockImplementation(async () => {
      setTimeout(() => controller.abort(), 0);
      return new Response('', { status: 503 });
    });
    const slow: NetContext = { ...net(fetch), retry: { retries: 3, minDelayMs: 10_000, maxDelayMs: 10_000, refreshes: 0 } };
    const error = await download(slow, { label: 'x', url: 'https://cdn.test/a.glb', signal: controller.signal }).catch((e: unknown) => e);
    expect((error as KilnLoadError).code).toBe('aborted');
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('counts real bytes for progress and prefers the expected size', async () => {
    const fetch = vi.fn<NetContext['fetch']>().mockResolvedValue(bodyOf(100, 4, { 'content-length': '40' }));
    const readings: [number, number | undefined][] = [];
    await download(net(fetch), { label: 'x', url: 'https://cdn.test/a', signal: signal(), expectedBytes: 100, onProgress: (l, t) => readings.push([l, t]) });
    expect(readings).toEqual([
      [0, 100],
      [25, 100],
      [50, 100],
      [75, 100],
      [100, 100],
    ]);
  });

  it('recognises presigned URLs', () => {
    expect(looksPresigned('https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4&X-Amz-Signature=ab')).toBe(true);
    expect(looksPresigned('https://d.cloudfront.net/k?Expires=1&Signature=x&Key-Pair-Id=K')).toBe(true);
    expect(looksPresigned('http://127.0.0.1:1/k?X-Kiln-Expires=1&X-Kiln-Signature=s')).toBe(true);
    expect(looksPresigned('https://cdn.test/k.glb?v=2')).toBe(false);
  });
});

describe('AssetCache', () => {
  interface Value extends Cacheable {
    id: number;
    gpu: number;
    freed: boolean;
  }
  let next = 0;
  const value = (bytes: number): Value => {
    const v: Value = {
      id: ++next,
      bytes,
      gpu: 1,
      freed: false,
      disposeGpu: () => {
        v.gpu = 0;
      },
      free: () => {
        v.freed = true;
      },
    };
    return v;
  };

  it('shares one creation between concurrent acquires and counts references', async () => {
    const cache = new AssetCache(1000);
    const create = vi.fn(async () => value(10));
    const [a, b] = await Promise.all([cache.acquire('k', create, { label: 'a' }), cache.acquire('k', create, { label: 'b' })]);
    expect(create).toHaveBeenCalledTimes(1);
    expect(a.value).toBe(b.value);
    a.release();
    a.release(); // twice is harmless
    expect(a.value.gpu).toBe(1);
    b.release();
    expect(b.value.gpu).toBe(0); // last release frees the GPU side
    expect(cache.stats()).toMatchObject({ entries: 1, inUse: 0, bytes: 10 });
    const again = await cache.acquire('k', create, { label: 'c' });
    expect(create).toHaveBeenCalledTimes(1); // idle entry reused
    again.release();
  });

  it("one caller's abort does not cancel a shared creation; the last one's does", async () => {
    const cache = new AssetCache(1000);
    let internal: AbortSignal | undefined;
    let finish: (v: Value) => void = () => {};
    const create = (signal: AbortSignal) => {
      internal = signal;
      return new Promise<Value>((resolve) => {
        finish = resolve;
      });
    };
    const first = new AbortController();
    const second = new AbortController();
    const p1 = cache.acquire('k', create, { label: 'a', signal: first.signal });
    const p2 = cache.acquire('k', create, { label: 'b', signal: second.signal });
    first.abort();
    await expect(p1).rejects.toMatchObject({ code: 'aborted' });
    expect(internal?.aborted).toBe(false);
    second.abort();
    await expect(p2).rejects.toMatchObject({ code: 'aborted' });
    expect(internal?.aborted).toBe(true);
    const late = value(5);
    finish(late); // parsing finished after everyone left: dropped
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(late.freed).toBe(true);
    expect(cache.stats()).toMatchObject({ entries: 0, pending: 0 });
  });

  it('evicts idle entries least recently released first to stay within the budget', async () => {
    const cache = new AssetCache(25);
    const a = await cache.acquire('a', async () => value(10), { label: 'a' });
    const b = await cache.acquire('b', async () => value(10), { label: 'b' });
    a.release();
    b.release();
    const c = await cache.acquire('c', async () => value(10), { label: 'c' });
    expect(a.value.freed).toBe(true);
    expect(b.value.freed).toBe(false);
    expect(cache.has('a')).toBe(false);
    expect(cache.stats()).toMatchObject({ entries: 2, inUse: 1, bytes: 20 });
    c.release();
  });

  it('never evicts entries in use, and forgets failed creations', async () => {
    const cache = new AssetCache(5);
    const a = await cache.acquire('a', async () => value(10), { label: 'a' });
    expect(cache.stats()).toMatchObject({ entries: 1, inUse: 1 });
    await expect(cache.acquire('bad', async () => Promise.reject(new KilnLoadError('decode', 'nope')), { label: 'bad' })).rejects.toMatchObject({ code: 'decode' });
    expect(cache.stats().pending).toBe(0);
    a.release();
    expect(cache.stats()).toMatchObject({ entries: 0 });
  });
});

describe('gunzipIfGzip (decoder .gz copies)', () => {
  const wasm = new Uint8Array(4096).map((_, i) => (i * 7) % 251);
  const toArrayBuffer = (bytes: Uint8Array) => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

  it('inflates gzip bytes to the original', async () => {
    const gz = gzipSync(wasm);
    expect(isGzip(toArrayBuffer(gz))).toBe(true);
    expect(new Uint8Array(await gunzipIfGzip(toArrayBuffer(gz), 'test'))).toEqual(wasm);
  });

  it('passes bytes that are not gzip through (a server that sent Content-Encoding: gzip)', async () => {
    const plain = toArrayBuffer(wasm);
    expect(isGzip(plain)).toBe(false);
    expect(await gunzipIfGzip(plain, 'test')).toBe(plain);
    expect(isGzip(new ArrayBuffer(0))).toBe(false);
  });

  it('tells a decoder file from an HTML page served in its place', () => {
    const bytes = (text: string | number[]) => (typeof text === 'string' ? new TextEncoder().encode(text) : new Uint8Array(text)).buffer as ArrayBuffer;
    expect(looksLikeDecoderFile('draco/draco_decoder.wasm', bytes([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0]))).toBe(true);
    expect(looksLikeDecoderFile('draco/draco_decoder.wasm', bytes('<!doctype html>'))).toBe(false);
    expect(looksLikeDecoderFile('basis/basis_transcoder.js', bytes('var BASIS = (function() {'))).toBe(true);
    expect(looksLikeDecoderFile('basis/basis_transcoder.js', bytes('\n  <html><body></body></html>'))).toBe(false);
    expect(looksLikeDecoderFile('basis/basis_transcoder.js', bytes(''))).toBe(false);
  });

  it('rejects a truncated gzip file with a decode error naming it', async () => {
    const gz = gzipSync(wasm);
    const error = await gunzipIfGzip(toArrayBuffer(gz.subarray(0, gz.length - 20)), 'Draco decoder draco/draco_decoder.wasm.gz').catch((e: unknown) => e);
    expect(isKilnLoadError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'decode', message: expect.stringMatching(/^Draco decoder draco\/draco_decoder\.wasm\.gz: not a valid gzip file/) });
  });
});

describe('createKilnLoader options', () => {
  // checkLoaderOptions only looks at the renderer's shape; Chromium tests use a real one.
  const renderer = { extensions: {} } as unknown as KilnLoaderOptions['renderer'];
  const issues = (options: Record<string, unknown>) => {
    try {
      checkLoaderOptions({ renderer, ...options } as KilnLoaderOptions);
      return [];
    } catch (error) {
      expect(error).toMatchObject({ name: 'KilnValidationError', code: 'invalid_input' });
      return (error as { issues: { path: string }[] }).issues.map((issue) => issue.path);
    }
  };

  it('accepts good options', () => {
    expect(issues({ decoderCompression: 'none', precompile: { scene: { isScene: true }, camera: { isCamera: true } }, maxWorkers: 2 })).toEqual([]);
  });

  it('names every bad option', () => {
    expect(issues({ decoderCompression: 'brotli' })).toEqual(['decoderCompression']);
    expect(issues({ precompile: { scene: {} } })).toEqual(['precompile.scene']);
    expect(issues({ precompile: null })).toEqual(['precompile.scene']);
    expect(issues({ precompile: { scene: { isScene: true }, camera: {} } })).toEqual(['precompile.camera']);
    expect(issues({ maxWorkers: 1, decoderPath: '', renderer: {} })).toEqual(['renderer', 'decoderPath', 'maxWorkers']);
  });
});

describe('preload options', () => {
  const issues = (options: unknown) => {
    try {
      checkPreloadOptions(options);
      return [];
    } catch (error) {
      expect(error).toMatchObject({ name: 'KilnValidationError', code: 'invalid_input' });
      expect((error as Error).message).toMatch(/^preload: invalid options: /);
      return (error as { issues: { path: string }[] }).issues.map((issue) => issue.path);
    }
  };

  it('accepts booleans and a signal, and names every bad option', () => {
    expect(issues({})).toEqual([]);
    expect(issues({ decoders: false, environment: true, signal: new AbortController().signal })).toEqual([]);
    expect(issues({ environment: 'yes', decoders: 1, signal: {} })).toEqual(['decoders', 'environment', 'signal']);
    expect(issues(null)).toEqual(['']);
  });
});

describe('readGltfJson', () => {
  const text = (json: object) => new TextEncoder().encode(JSON.stringify(json)).buffer as ArrayBuffer;
  /** A GLB with `json` as its only chunk. */
  const glb = (json: object) => {
    const body = new TextEncoder().encode(JSON.stringify(json).padEnd(Math.ceil(JSON.stringify(json).length / 4) * 4, ' '));
    const out = new Uint8Array(20 + body.byteLength);
    const view = new DataView(out.buffer);
    view.setUint32(0, 0x46546c67, true);
    view.setUint32(4, 2, true);
    view.setUint32(8, out.byteLength, true);
    view.setUint32(12, body.byteLength, true);
    view.setUint32(16, 0x4e4f534a, true);
    out.set(body, 20);
    return out.buffer;
  };

  it('reads the JSON of a GLB and of a .gltf', () => {
    const json = { asset: { version: '2.0' }, extensionsUsed: ['EXT_meshopt_compression'] };
    expect(readGltfJson(glb(json), 'a.glb')).toEqual(json);
    expect(readGltfJson(text(json), 'a.gltf')).toEqual(json);
  });

  it('names the version of a glTF 1.0 file instead of parsing it', () => {
    const error = (() => {
      try {
        readGltfJson(text({ asset: { version: '1.0' }, scene: 'defaultScene' }), 'room.gltf');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(isKilnLoadError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'decode', message: 'room.gltf: glTF 1.0 is not supported (asset.version "1.0"); three.js loads glTF 2.0' });
  });

  it('names a cut GLB before three.js fails on what lies past the cut', () => {
    const whole = new Uint8Array(glb({ asset: { version: '2.0' } }));
    const withBin = new Uint8Array(whole.byteLength + 16);
    withBin.set(whole);
    new DataView(withBin.buffer).setUint32(8, withBin.byteLength, true);
    expect(readGltfJson(withBin.buffer, 'a.glb')).toEqual({ asset: { version: '2.0' } });
    expect(() => readGltfJson(withBin.slice(0, whole.byteLength + 4).buffer, 'a.glb')).toThrow(`a.glb: truncated GLB: its header declares ${withBin.byteLength} bytes, ${whole.byteLength + 4} arrived`);
    expect(() => readGltfJson(whole.slice(0, 24).buffer, 'a.glb')).toThrow(/^a\.glb: truncated GLB: its header declares \d+ bytes, 24 arrived$/);
  });

  it('gives the message of a rejection that is not an Error (DRACOLoader rejects with its worker message)', () => {
    expect(messageOf({ type: 'error', id: 3, error: 'THREE.DRACOLoader: Unexpected geometry type.' })).toBe('THREE.DRACOLoader: Unexpected geometry type.');
    expect(messageOf(new TypeError('x'))).toBe('x');
    expect(messageOf({ message: 'y' })).toBe('y');
    expect(messageOf('z')).toBe('z');
  });

  it('rejects what is neither a GLB nor glTF JSON, and JSON that does not parse', () => {
    expect(() => readGltfJson(new Uint8Array([1, 2, 3]).buffer, 'x')).toThrow(/neither a GLB nor glTF JSON/);
    expect(() => readGltfJson(new TextEncoder().encode('{ "asset": ').buffer as ArrayBuffer, 'x')).toThrow('x: the glTF JSON does not parse');
  });
});

describe('findGltfFault (what lies behind a failed GLTFLoader parse)', () => {
  /** A valid one-triangle glTF: one buffer of 42 bytes (3 float positions, 3 uint16 indices). */
  const valid = () => ({
    asset: { version: '2.0' },
    scene: 0,
    scenes: [{ nodes: [0] }],
    nodes: [{ name: 'root', children: [1] }, { name: 'tri', mesh: 0 }],
    meshes: [{ primitives: [{ attributes: { POSITION: 0 }, indices: 1, material: 0 }] }],
    materials: [{ pbrMetallicRoughness: { baseColorTexture: { index: 0 } } }],
    textures: [{ source: 0 }],
    images: [{ uri: 'a.png' }],
    accessors: [
      { bufferView: 0, componentType: 5126, count: 3, type: 'VEC3' },
      { bufferView: 1, componentType: 5123, count: 3, type: 'SCALAR' },
    ],
    bufferViews: [
      { buffer: 0, byteLength: 36 },
      { buffer: 0, byteOffset: 36, byteLength: 6 },
    ],
    buffers: [{ byteLength: 42 }],
  });
  const faultOf = (edit: (json: any) => void, bin?: number) => {
    const json: any = valid();
    edit(json);
    return findGltfFault(json, bin);
  };

  it('finds nothing in a valid file', () => {
    expect(findGltfFault(valid(), 44)).toBeUndefined();
    expect(findGltfFault({ asset: { version: '2.0' } }, undefined)).toBeUndefined();
  });

  it('names a broken reference by its JSON pointer, with what the file has', () => {
    expect(faultOf((j) => (j.scenes[0].nodes = [0, 42]))).toBe('/scenes/0/nodes/1: node 42 does not exist (the file has 2 nodes)');
    expect(faultOf((j) => (j.meshes[0].primitives[0].material = 7))).toBe('/meshes/0/primitives/0/material: material 7 does not exist (the file has 1 material)');
    expect(faultOf((j) => (j.meshes[0].primitives[0].attributes.NORMAL = 5))).toBe('/meshes/0/primitives/0/attributes/NORMAL: accessor 5 does not exist (the file has 2 accessors)');
    expect(faultOf((j) => (j.nodes[1].mesh = 3))).toBe('/nodes/1/mesh: mesh 3 does not exist (the file has 1 mesh)');
    expect(faultOf((j) => (j.nodes[1].skin = 0))).toBe('/nodes/1/skin: skin 0 does not exist (the file has no skins)');
    expect(faultOf((j) => (j.textures[0].source = 2))).toBe('/textures/0/source: image 2 does not exist (the file has 1 image)');
    expect(faultOf((j) => (j.materials[0].normalTexture = { index: 4 }))).toBe('/materials/0/normalTexture/index: texture 4 does not exist (the file has 1 texture)');
    expect(faultOf((j) => (j.accessors[1].bufferView = -1))).toBe('/accessors/1/bufferView: bufferView -1 does not exist (the file has 2 bufferViews)');
    expect(faultOf((j) => (j.skins = [{ joints: [0, 'x'] }]))).toBe('/skins/0/joints/1: node "x" does not exist (the file has 2 nodes)');
    expect(
      faultOf((j) => (j.animations = [{ samplers: [{ input: 0, output: 0 }], channels: [{ sampler: 0, target: { node: 9, path: 'translation' } }] }])),
    ).toBe('/animations/0/channels/0/target/node: node 9 does not exist (the file has 2 nodes)');
    expect(faultOf((j) => (j.animations = [{ samplers: [], channels: [{ sampler: 0, target: { node: 0, path: 'scale' } }] }]))).toBe(
      '/animations/0/channels/0/sampler: sampler 0 does not exist (the animation has no samplers)',
    );
  });

  it('names a node cycle (three.js recurses until the stack overflows)', () => {
    expect(faultOf((j) => (j.nodes[1].children = [0]))).toBe('/nodes/1/children/0: node 0 is its own ancestor (a cycle)');
    expect(faultOf((j) => (j.nodes[0].children = [1, 0]))).toBe('/nodes/0/children/1: node 0 is its own ancestor (a cycle)');
  });

  it('names accessors and buffer views that do not fit, and a BIN chunk shorter than its buffer', () => {
    expect(faultOf((j) => (j.accessors[0].count = -5))).toBe('/accessors/0/count: -5 is not a count');
    expect(faultOf((j) => (j.accessors[0].componentType = 1234))).toBe('/accessors/0/componentType: 1234 is not a glTF component type');
    expect(faultOf((j) => (j.accessors[0].type = 'VEC7'))).toBe('/accessors/0/type: "VEC7" is not a glTF accessor type');
    expect(faultOf((j) => (j.accessors[0].count = 1e9))).toBe('/accessors/0: 1000000000 × VEC3 needs 12000000000 bytes of bufferView 0, which has 36');
    expect(faultOf((j) => (j.accessors[1].byteOffset = 2))).toBe('/accessors/1: 3 × SCALAR needs 8 bytes of bufferView 1, which has 6');
    expect(faultOf((j) => (j.bufferViews[1].byteLength = 600))).toBe('/bufferViews/1: ends at byte 636, past the 42 bytes of buffer 0');
    expect(faultOf(() => undefined, 20)).toBe('/bufferViews/0: ends at byte 36, past the 20-byte BIN chunk (buffer 0 declares 42)');
  });

  it('reads the BIN chunk length of a GLB, and none of a .gltf', () => {
    const json = new TextEncoder().encode('{"asset":{"version":"2.0"}}\x20');
    const glb = new Uint8Array(20 + json.length + 8 + 8);
    const view = new DataView(glb.buffer);
    view.setUint32(0, 0x46546c67, true);
    view.setUint32(4, 2, true);
    view.setUint32(8, glb.length, true);
    view.setUint32(12, json.length, true);
    view.setUint32(16, 0x4e4f534a, true);
    glb.set(json, 20);
    view.setUint32(20 + json.length, 8, true);
    view.setUint32(24 + json.length, 0x004e4942, true);
    expect(binChunkLength(glb.buffer)).toBe(8);
    expect(binChunkLength(glb.slice(0, 20 + json.length).buffer)).toBeUndefined();
    expect(binChunkLength(json.buffer as ArrayBuffer)).toBeUndefined();
  });
});
