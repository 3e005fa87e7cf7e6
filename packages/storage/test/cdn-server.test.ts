import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FS_META_DIR, fsDriver, fsPresignSignature } from '../src/drivers/fs.js';
import { keyFromRequestPath } from '../src/serve/request-key.js';
import { CDN_SERVER_DEFAULTS, type CdnServer, createCdnRequestHandler, startCdnServer } from '../src/serve/index.js';

const SECRET = 'cdn-test-secret-0123456789';
const SECRET_TEXT = 'TOP SECRET, outside the root';

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A request with `node:http`: sends the path as is (fetch would normalise `..`) and never decompresses. */
function raw(
  base: string,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: Buffer | Buffer[] } = {},
): Promise<RawResponse> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path, method: init.method ?? 'GET', headers: init.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (Array.isArray(init.body)) {
      for (const chunk of init.body) req.write(chunk);
      req.end();
    } else req.end(init.body);
  });
}

let dir: string;
let root: string;
let server: CdnServer;
const warnings: string[] = [];
const logger = { warn: (message: string) => void warnings.push(message) };
let store: ReturnType<typeof fsDriver>;

async function put(key: string, data: Uint8Array, contentType: string, cacheControl = 'public, max-age=300', metadata: Record<string, string> = {}) {
  await fsDriver({ root }).putObject({
    key,
    body: { kind: 'bytes', data },
    bytes: data.length,
    contentType,
    cacheControl,
    metadata,
    sha256: sha256(data),
  });
}

const SEQ = Uint8Array.from({ length: 100 }, (_, i) => i);
const GLTF = Buffer.from(
  JSON.stringify({
    asset: { version: '2.0', generator: 'kiln-test' },
    nodes: Array.from({ length: 200 }, (_, i) => ({ name: `node-${i}`, translation: [i, i * 2, i * 3] })),
  }),
);
const TEXTISH = Buffer.from('void main() { gl_FragColor = vec4(1.0); }\n'.repeat(100));
const BLOB = Buffer.from('glTF binary payload '.repeat(50));
const BLOB_SHA = sha256(BLOB);

const BINARY_TYPES: Array<[string, string]> = [
  ['t/run/model_3d/scene.glb', 'model/gltf-binary'],
  ['t/run/texture/albedo.ktx2', 'image/ktx2'],
  ['t/run/texture/albedo.png', 'image/png'],
  ['t/run/texture/albedo.jpg', 'image/jpeg'],
  ['t/run/texture/albedo.webp', 'image/webp'],
  ['t/run/video/intro.mp4', 'video/mp4'],
  ['t/run/audio/theme.mp3', 'audio/mpeg'],
];
const TEXT_TYPES: Array<[string, string]> = [
  ['t/run/model_3d/scene.gltf', 'model/gltf+json'],
  ['t/run/data/level.json', 'application/json'],
  ['t/run/shader/frag.glsl', 'text/plain'],
  ['t/run/ui/icon.svg', 'image/svg+xml'],
];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kiln-cdn-'));
  root = join(dir, 'root');
  await writeFile(join(dir, 'secret.txt'), SECRET_TEXT);

  await put('t/run/model_3d/seq.bin', SEQ, 'application/octet-stream');
  for (const [key, type] of BINARY_TYPES) await put(key, TEXTISH, type);
  await put('t/run/model_3d/scene.gltf', GLTF, 'model/gltf+json');
  for (const [key, type] of TEXT_TYPES.slice(1)) await put(key, TEXTISH, type);
  await put('t/run/empty.txt', new Uint8Array(0), 'text/plain');
  await put('t/run/my model.glb', SEQ, 'model/gltf-binary');
  await put('t/run/no-cache-control.bin', SEQ, 'application/octet-stream', '');

  // Refs: the blob under _blobs (no Cache-Control of its own), a zero-byte ref pointing at it.
  await put(`t/_blobs/${BLOB_SHA}`, BLOB, 'model/gltf-binary', '', { sha256: BLOB_SHA });
  const refMeta = (blob: string) => ({
    'kiln-ref': '1',
    'kiln-blob': blob,
    sha256: BLOB_SHA,
    'kiln-content-type': 'model/gltf-binary',
    'kiln-bytes': String(BLOB.length),
  });
  await put('t/run/model_3d/a.glb', new Uint8Array(0), 'application/octet-stream', 'public, max-age=30', refMeta(`t/_blobs/${BLOB_SHA}`));
  await put('t/run/model_3d/dangling.glb', new Uint8Array(0), 'application/octet-stream', 'public, max-age=30', refMeta('t/_blobs/missing'));
  await put('t/run/model_3d/evil-ref.glb', new Uint8Array(0), 'application/octet-stream', 'public, max-age=30', refMeta('../secret.txt'));

  // A sidecar where a naive server would look for `/../secret.txt` (`.kiln/meta/../secret.txt.json`),
  // and a symlink inside the root, with a real sidecar, that points outside.
  await writeFile(join(root, '.kiln', 'secret.txt.json'), JSON.stringify({ contentType: 'text/plain', metadata: {}, bytes: 28, etag: 'x' }));
  await symlink(join(dir, 'secret.txt'), join(root, 't', 'run', 'link.txt'));
  await writeFile(join(root, FS_META_DIR, 't', 'run', 'link.txt.json'), JSON.stringify({ contentType: 'text/plain', metadata: {}, bytes: 28, etag: 'y' }));
  // A sidecar for the key `.kiln/meta/t/run/model_3d/scene.glb.json`, so that a server without the
  // `.kiln/` rule would serve the internal sidecar of scene.glb.
  await mkdir(join(root, FS_META_DIR, FS_META_DIR, 't', 'run', 'model_3d'), { recursive: true });
  await writeFile(
    join(root, FS_META_DIR, FS_META_DIR, 't', 'run', 'model_3d', 'scene.glb.json.json'),
    JSON.stringify({ contentType: 'application/json', metadata: {}, bytes: 1, etag: 'z' }),
  );
  // A malformed sidecar.
  await writeFile(join(root, 't', 'run', 'broken.bin'), 'data');
  await writeFile(join(root, FS_META_DIR, 't', 'run', 'broken.bin.json'), '{ not json');

  server = await startCdnServer({ root, signingSecret: SECRET, logger });
  store = fsDriver({ root, baseUrl: server.url, signingSecret: SECRET });
});

afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  warnings.length = 0;
});

describe('GET and HEAD', () => {
  it('serves the bytes with the headers a browser needs', async () => {
    const res = await fetch(`${server.url}/t/run/model_3d/seq.bin`);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from(SEQ));
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-length')).toBe('100');
    expect(res.headers.get('etag')).toBe(`"${sha256(SEQ)}"`);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Date.parse(res.headers.get('last-modified') ?? '')).not.toBeNaN();
  });

  it.each([...BINARY_TYPES, ...TEXT_TYPES])('serves %s as %s', async (key, type) => {
    const res = await fetch(`${server.url}/${key}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(type);
    await res.arrayBuffer();
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const res = await raw(server.url, '/t/run/model_3d/seq.bin', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe('100');
    expect(res.headers.etag).toBe(`"${sha256(SEQ)}"`);
    expect(res.body.length).toBe(0);
  });

  it('percent-decodes path segments', async () => {
    const res = await fetch(`${server.url}/t/run/my%20model.glb`);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from(SEQ));
  });

  it('serves an empty object', async () => {
    const res = await raw(server.url, '/t/run/empty.txt');
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe('0');
    expect(res.body.length).toBe(0);
  });

  it('answers 404 with an XML body and CORP for a missing object', async () => {
    const res = await raw(server.url, '/t/run/nope.glb');
    expect(res.status).toBe(404);
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(res.headers['content-type']).toMatch(/^application\/xml/);
    expect(res.body.toString()).toContain('<Code>NoSuchKey</Code>');
  });
});

describe('Cache-Control', () => {
  it('comes from the sidecar', async () => {
    const res = await raw(server.url, '/t/run/model_3d/scene.glb', { method: 'HEAD' });
    expect(res.headers['cache-control']).toBe('public, max-age=300');
  });

  it('defaults to immutable for content-addressed blobs', async () => {
    const res = await raw(server.url, `/t/_blobs/${BLOB_SHA}`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('defaults to a short max-age for other keys', async () => {
    const res = await raw(server.url, '/t/run/no-cache-control.bin', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=60');
  });
});

describe('Range', () => {
  it.each([
    ['bytes=0-9', 0, 9],
    ['bytes=90-', 90, 99],
    ['bytes=-5', 95, 99],
    ['bytes=0-0', 0, 0],
    ['bytes=99-99', 99, 99],
    ['bytes=95-500', 95, 99],
    ['bytes=-500', 0, 99],
    ['Bytes = 10-19', 10, 19],
  ])('%s → 206 bytes %i-%i', async (range, start, end) => {
    const res = await raw(server.url, '/t/run/model_3d/seq.bin', { headers: { Range: range } });
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes ${start}-${end}/100`);
    expect(res.headers['content-length']).toBe(String(end - start + 1));
    expect(res.body).toEqual(Buffer.from(SEQ.subarray(start, end + 1)));
  });

  it.each(['bytes=100-', 'bytes=200-300', 'bytes=-0'])('%s → 416 with bytes */size', async (range) => {
    const res = await raw(server.url, '/t/run/model_3d/seq.bin', { headers: { Range: range } });
    expect(res.status).toBe(416);
    expect(res.headers['content-range']).toBe('bytes */100');
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
  });

  it('answers 416 for any range of an empty object', async () => {
    const res = await raw(server.url, '/t/run/empty.txt', { headers: { Range: 'bytes=0-' } });
    expect(res.status).toBe(416);
    expect(res.headers['content-range']).toBe('bytes */0');
  });

  it.each(['bytes=0-1,5-6', 'bytes=5-2', 'items=0-5', 'bytes=abc', 'bytes=-'])(
    '%s (several ranges or malformed) → the whole object, 200',
    async (range) => {
      const res = await raw(server.url, '/t/run/model_3d/seq.bin', { headers: { Range: range } });
      expect(res.status).toBe(200);
      expect(res.headers['content-range']).toBeUndefined();
      expect(res.body).toEqual(Buffer.from(SEQ));
    },
  );

  it('answers HEAD with a range with 206 headers and no body', async () => {
    const res = await raw(server.url, '/t/run/model_3d/seq.bin', { method: 'HEAD', headers: { Range: 'bytes=10-19' } });
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe('bytes 10-19/100');
    expect(res.headers['content-length']).toBe('10');
    expect(res.body.length).toBe(0);
  });

  describe('If-Range', () => {
    const path = '/t/run/model_3d/seq.bin';
    it('honours the range when the entity tag is current', async () => {
      const res = await raw(server.url, path, { headers: { Range: 'bytes=0-9', 'If-Range': `"${sha256(SEQ)}"` } });
      expect(res.status).toBe(206);
      expect(res.body.length).toBe(10);
    });

    it.each(['"stale"', `W/"${sha256(SEQ)}"`, 'Mon, 01 Jan 2001 00:00:00 GMT', 'garbage'])(
      'sends the whole object for If-Range %s',
      async (ifRange) => {
        const res = await raw(server.url, path, { headers: { Range: 'bytes=0-9', 'If-Range': ifRange } });
        expect(res.status).toBe(200);
        expect(res.body).toEqual(Buffer.from(SEQ));
      },
    );

    it('honours the range when the date is the current Last-Modified', async () => {
      const head = await raw(server.url, path, { method: 'HEAD' });
      const lastModified = head.headers['last-modified'] ?? '';
      const res = await raw(server.url, path, { headers: { Range: 'bytes=0-9', 'If-Range': lastModified } });
      expect(res.status).toBe(206);
    });
  });
});

describe('conditional GET', () => {
  const path = '/t/run/model_3d/seq.bin';
  const etag = `"${sha256(SEQ)}"`;

  it.each([() => etag, () => `W/${etag}`, () => `"other", ${etag}`, () => '*'])('If-None-Match %# → 304', async (value) => {
    const res = await raw(server.url, path, { headers: { 'If-None-Match': value() } });
    expect(res.status).toBe(304);
    expect(res.body.length).toBe(0);
    expect(res.headers.etag).toBe(etag);
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
  });

  it('answers 200 when the entity tag differs', async () => {
    const res = await raw(server.url, path, { headers: { 'If-None-Match': '"other"' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(Buffer.from(SEQ));
  });

  it('checks If-None-Match before Range', async () => {
    const res = await raw(server.url, path, { headers: { 'If-None-Match': etag, Range: 'bytes=0-9' } });
    expect(res.status).toBe(304);
  });

  it('uses If-Modified-Since when there is no If-None-Match', async () => {
    const future = await raw(server.url, path, { headers: { 'If-Modified-Since': new Date(Date.now() + 60_000).toUTCString() } });
    expect(future.status).toBe(304);
    const past = await raw(server.url, path, { headers: { 'If-Modified-Since': 'Mon, 01 Jan 2001 00:00:00 GMT' } });
    expect(past.status).toBe(200);
    const both = await raw(server.url, path, {
      headers: { 'If-None-Match': '"other"', 'If-Modified-Since': new Date(Date.now() + 60_000).toUTCString() },
    });
    expect(both.status).toBe(200);
  });
});

describe('compression', () => {
  const gltf = '/t/run/model_3d/scene.gltf';

  it('sends glTF JSON with br when accepted, without Content-Length', async () => {
    const res = await raw(server.url, gltf, { headers: { 'Accept-Encoding': 'gzip, deflate, br' } });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.headers['content-length']).toBeUndefined();
    expect(res.headers.vary).toMatch(/Accept-Encoding/);
    expect(res.headers.etag).toBe(`W/"${sha256(GLTF)}"`);
    expect(res.body.length).toBeLessThan(GLTF.length);
    expect(brotliDecompressSync(res.body)).toEqual(GLTF);
  });

  it('sends gzip when br is not accepted', async () => {
    const res = await raw(server.url, gltf, { headers: { 'Accept-Encoding': 'gzip' } });
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(res.body)).toEqual(GLTF);
  });

  it.each([
    ['br;q=0, gzip', 'gzip'],
    ['br;q=0.5, gzip;q=0.8', 'gzip'],
    ['*', 'br'],
    ['gzip;q=0.5, *;q=0.9', 'br'],
  ])('negotiates Accept-Encoding %s → %s', async (accept, expected) => {
    const res = await raw(server.url, gltf, { headers: { 'Accept-Encoding': accept } });
    expect(res.headers['content-encoding']).toBe(expected);
  });

  it('sends identity with Content-Length when nothing is accepted, still with Vary', async () => {
    const res = await raw(server.url, gltf, { headers: { 'Accept-Encoding': 'identity' } });
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers['content-length']).toBe(String(GLTF.length));
    expect(res.headers.vary).toMatch(/Accept-Encoding/);
    expect(res.headers.etag).toBe(`"${sha256(GLTF)}"`);
    expect(res.body).toEqual(GLTF);
  });

  it.each(TEXT_TYPES.slice(1))('compresses %s (%s)', async (key) => {
    const res = await raw(server.url, `/${key}`, { headers: { 'Accept-Encoding': 'gzip' } });
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(res.body)).toEqual(TEXTISH);
  });

  it.each(BINARY_TYPES)('never compresses %s (%s)', async (key) => {
    const res = await raw(server.url, `/${key}`, { headers: { 'Accept-Encoding': 'br, gzip' } });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers['content-length']).toBe(String(TEXTISH.length));
    expect(res.headers.vary ?? '').not.toMatch(/Accept-Encoding/);
    expect(res.body).toEqual(TEXTISH);
  });

  it('never compresses a range', async () => {
    const res = await raw(server.url, gltf, { headers: { 'Accept-Encoding': 'br, gzip', Range: 'bytes=0-9' } });
    expect(res.status).toBe(206);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.body).toEqual(GLTF.subarray(0, 10));
  });

  it('announces the encoding on HEAD', async () => {
    const res = await raw(server.url, gltf, { method: 'HEAD', headers: { 'Accept-Encoding': 'br' } });
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.headers['content-length']).toBeUndefined();
    expect(res.body.length).toBe(0);
  });

  it('answers 304 to the weak entity tag of a compressed response', async () => {
    const res = await raw(server.url, gltf, { headers: { 'Accept-Encoding': 'br', 'If-None-Match': `W/"${sha256(GLTF)}"` } });
    expect(res.status).toBe(304);
  });
});

describe('CORS', () => {
  const origin = 'https://game.example';
  let restricted: CdnServer;
  beforeAll(async () => {
    restricted = await startCdnServer({ root, allowedOrigins: [origin], logger });
  });
  afterAll(async () => {
    await restricted.close();
  });

  it('allows any origin by default and exposes the headers loaders read', async () => {
    const res = await raw(server.url, '/t/run/model_3d/scene.glb', { headers: { Origin: 'https://anywhere.example' } });
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-expose-headers']).toBe('ETag, Content-Length, Content-Range, Accept-Ranges');
  });

  it('answers a preflight with methods, headers and max-age', async () => {
    const res = await raw(server.url, '/t/run/model_3d/scene.glb', {
      method: 'OPTIONS',
      headers: { Origin: 'https://anywhere.example', 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'range, content-type' },
    });
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-methods']?.split(/\s*,\s*/)).toEqual(expect.arrayContaining(['GET', 'HEAD', 'PUT']));
    const allowed = res.headers['access-control-allow-headers']?.toLowerCase().split(/\s*,\s*/) ?? [];
    expect(allowed).toEqual(expect.arrayContaining(['range', 'content-type']));
    expect(Number(res.headers['access-control-max-age'])).toBeGreaterThan(0);
  });

  it('echoes an allowed origin with Vary: Origin', async () => {
    const res = await raw(restricted.url, '/t/run/model_3d/scene.glb', { headers: { Origin: origin } });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(origin);
    expect(res.headers['access-control-expose-headers']).toBe('ETag, Content-Length, Content-Range, Accept-Ranges');
    expect(res.headers.vary).toMatch(/\bOrigin\b/);
  });

  it('sends no CORS grant to another origin, and still varies on Origin', async () => {
    const res = await raw(restricted.url, '/t/run/model_3d/scene.glb', { headers: { Origin: 'https://evil.example' } });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers.vary).toMatch(/\bOrigin\b/);
  });

  it('allows the preflight of an allowed origin', async () => {
    const res = await raw(restricted.url, '/t/run/model_3d/scene.glb', {
      method: 'OPTIONS',
      headers: { Origin: origin, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'range' },
    });
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(origin);
  });

  it('refuses the preflight of another origin with 403', async () => {
    const res = await raw(restricted.url, '/t/run/model_3d/scene.glb', {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'GET' },
    });
    expect(res.status).toBe(403);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['access-control-allow-methods']).toBeUndefined();
  });

  it('refuses a preflight for a method it does not serve', async () => {
    const res = await raw(server.url, '/t/run/model_3d/scene.glb', {
      method: 'OPTIONS',
      headers: { Origin: origin, 'Access-Control-Request-Method': 'DELETE' },
    });
    expect(res.status).toBe(403);
  });

  it('sends Cross-Origin-Resource-Policy on every kind of answer', async () => {
    const answers = await Promise.all([
      raw(server.url, '/t/run/model_3d/scene.glb'),
      raw(server.url, '/t/run/model_3d/seq.bin', { headers: { Range: 'bytes=0-0' } }),
      raw(server.url, '/missing'),
      raw(server.url, '/../x'),
      raw(server.url, '/t/run/model_3d/scene.glb', { method: 'PUT', body: Buffer.from('x') }),
      raw(server.url, '/t/run/model_3d/scene.glb', { method: 'DELETE' }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 206, 404, 400, 403, 405]);
    for (const answer of answers) expect(answer.headers['cross-origin-resource-policy']).toBe('cross-origin');
  });
});

describe('paths', () => {
  it.each([
    '/../secret.txt',
    '/t/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/t/%2E%2E/%2e%2e/secret.txt',
    '/..%2Fsecret.txt',
    '/..%2fsecret.txt',
    '/..%5Csecret.txt',
    '/..\\secret.txt',
    '/t/run/%00',
    '/t/run/bad%ZZ',
    '/t/./run/model_3d/scene.glb',
  ])('refuses %s with 400 and leaks nothing', async (path) => {
    const res = await raw(server.url, path);
    expect(res.status).toBe(400);
    expect(res.body.toString()).not.toContain('SECRET');
  });

  it('refuses encoded slashes even when the decoded key exists', async () => {
    const res = await raw(server.url, '/t%2Frun%2Fmodel_3d%2Fscene.glb');
    expect(res.status).toBe(400);
  });

  it('does not follow a symlink out of the root', async () => {
    const res = await raw(server.url, '/t/run/link.txt');
    expect(res.status).toBe(404);
    expect(res.body.toString()).not.toContain('SECRET');
    expect(warnings.some((w) => w.includes('outside'))).toBe(true);
  });

  it.each([
    `/${FS_META_DIR}/t/run/model_3d/scene.glb.json`,
    '/%2ekiln/meta/t/run/model_3d/scene.glb.json',
    '/.kiln/secret.txt.json',
    '/.kiln/tmp',
    '/',
    '//t/run/model_3d/scene.glb',
    '/t/run/',
  ])('answers 404 for %s', async (path) => {
    const res = await raw(server.url, path);
    expect(res.status).toBe(404);
    expect(res.body.toString()).not.toContain('contentType');
  });
});

describe('keyFromRequestPath', () => {
  it.each([
    ['/t/run/a%20b.glb', 't/run/a b.glb'],
    ['/t/run/%252F.glb', 't/run/%2F.glb'],
    ['/t/.kilnx/a', 't/.kilnx/a'],
    ['/t/.kiln/a', 't/.kiln/a'],
  ])('%s → key %s', (path, key) => {
    expect(keyFromRequestPath(path)).toEqual({ ok: true, key });
  });

  it.each([
    ['/.kiln/meta/a.json', 404],
    ['/.KILN/meta/a.json', 404],
    ['/.Kiln/tmp/x', 404],
    ['/a//b', 404],
    ['/a/b/', 404],
    ['/a/../b', 400],
    ['/a/%2E/b', 400],
    ['/a%2Fb', 400],
    ['/a%5cb', 400],
    ['/a\\b', 400],
    ['/a%00', 400],
    ['/a%0d%0ab', 400],
    ['/a%E0%A4%A', 400],
    ['a/b', 400],
  ])('%s → %i', (path, status) => {
    expect(keyFromRequestPath(path)).toMatchObject({ ok: false, status });
  });
});

describe('refs', () => {
  it('serves the blob bytes with the ref content type and Cache-Control', async () => {
    const res = await raw(server.url, '/t/run/model_3d/a.glb');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(BLOB);
    expect(res.headers['content-type']).toBe('model/gltf-binary');
    expect(res.headers['cache-control']).toBe('public, max-age=30');
    expect(res.headers['content-length']).toBe(String(BLOB.length));
    expect(res.headers.etag).toBe(`"${BLOB_SHA}"`);
  });

  it('serves ranges of the blob', async () => {
    const res = await raw(server.url, '/t/run/model_3d/a.glb', { headers: { Range: 'bytes=-4' } });
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes ${BLOB.length - 4}-${BLOB.length - 1}/${BLOB.length}`);
    expect(res.body).toEqual(BLOB.subarray(-4));
  });

  it('answers 304 for the blob hash', async () => {
    const res = await raw(server.url, '/t/run/model_3d/a.glb', { headers: { 'If-None-Match': `"${BLOB_SHA}"` } });
    expect(res.status).toBe(304);
  });

  it('answers 404 for a ref whose blob is missing', async () => {
    const res = await raw(server.url, '/t/run/model_3d/dangling.glb');
    expect(res.status).toBe(404);
    expect(warnings.some((w) => w.includes('dangling.glb'))).toBe(true);
  });

  it('does not follow a ref out of the root', async () => {
    const res = await raw(server.url, '/t/run/model_3d/evil-ref.glb');
    expect(res.status).toBe(404);
    expect(res.body.toString()).not.toContain('SECRET');
  });
});

describe('presigned GET', () => {
  const key = 't/run/model_3d/seq.bin';
  const now = () => Math.floor(Date.now() / 1000);
  const url = (method: string, expires: number, signature: string, path = key) =>
    `${server.url}/${path}?X-Kiln-Method=${method}&X-Kiln-Expires=${expires}&X-Kiln-Signature=${signature}`;

  it('serves a valid presigned URL', async () => {
    const res = await fetch(await store.presign({ key, method: 'GET', expiresIn: 60 }));
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from(SEQ));
  });

  it('accepts a GET URL for HEAD', async () => {
    const res = await fetch(await store.presign({ key, method: 'GET', expiresIn: 60 }), { method: 'HEAD' });
    expect(res.status).toBe(200);
  });

  it('honours response-content-type on a signed URL only', async () => {
    const signed = await fetch(await store.presign({ key, method: 'GET', expiresIn: 60, responseContentType: 'text/plain' }));
    expect(signed.headers.get('content-type')).toBe('text/plain');
    await signed.arrayBuffer();
    const unsigned = await fetch(`${server.url}/${key}?response-content-type=text/html`);
    expect(unsigned.headers.get('content-type')).toBe('application/octet-stream');
    await unsigned.arrayBuffer();
  });

  it('signs response-content-type: changing or adding it breaks the signature', async () => {
    const withType = new URL(await store.presign({ key, method: 'GET', expiresIn: 60, responseContentType: 'text/plain' }));
    withType.searchParams.set('response-content-type', 'text/html');
    expect((await fetch(withType)).status).toBe(403);
    const withoutType = new URL(await store.presign({ key, method: 'GET', expiresIn: 60 }));
    withoutType.searchParams.set('response-content-type', 'text/html');
    expect((await fetch(withoutType)).status).toBe(403);
  });

  it('honours a signed response-content-disposition, which cannot be changed or added', async () => {
    const disposition = "inline; filename*=UTF-8''it%27s%20%281%29.bin";
    const signed = new URL(await store.presign({ key, method: 'GET', expiresIn: 60, responseContentDisposition: disposition }));
    const res = await fetch(signed);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(disposition);
    await res.arrayBuffer();
    signed.searchParams.set('response-content-disposition', 'attachment; filename=evil.html');
    expect((await fetch(signed)).status).toBe(403);
    const plain = new URL(await store.presign({ key, method: 'GET', expiresIn: 60 }));
    plain.searchParams.set('response-content-disposition', 'attachment');
    expect((await fetch(plain)).status).toBe(403);
  });

  it('refuses an expired URL', async () => {
    const expires = now() - 10;
    const res = await fetch(url('GET', expires, fsPresignSignature(SECRET, 'GET', key, expires)));
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('expired');
  });

  it('refuses tampered URLs', async () => {
    const expires = now() + 60;
    const good = fsPresignSignature(SECRET, 'GET', key, expires);
    expect((await fetch(url('GET', expires, good))).status).toBe(200);
    const flipped = good.slice(0, -1) + (good.endsWith('0') ? '1' : '0');
    const cases = [
      url('GET', expires, flipped),
      url('GET', expires + 1, good),
      url('GET', expires, good, 't/run/model_3d/scene.glb'),
      url('GET', expires, `${good}0`),
      url('GET', expires, `${good}zz`),
      url('GET', expires, fsPresignSignature('another-secret-0123456789', 'GET', key, expires)),
    ];
    for (const tampered of cases) {
      const res = await fetch(tampered);
      expect(res.status, tampered).toBe(403);
      expect(await res.text()).toContain('AccessDenied');
    }
  });

  it('refuses a URL signed for another method', async () => {
    const putUrl = await store.presign({ key, method: 'PUT', expiresIn: 60 });
    const res = await fetch(putUrl);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('signed for PUT');
    const expires = now() + 60;
    const forged = await fetch(url('GET', expires, fsPresignSignature(SECRET, 'PUT', key, expires)));
    expect(forged.status).toBe(403);
  });

  it('refuses signed URLs on a server without a signing secret', async () => {
    const open = await startCdnServer({ root, logger });
    try {
      const signed = (await store.presign({ key, method: 'GET', expiresIn: 60 })).replace(server.url, open.url);
      expect((await fetch(signed)).status).toBe(403);
      expect((await fetch(`${open.url}/${key}`)).status).toBe(200);
    } finally {
      await open.close();
    }
  });

  it('requires a signature for every GET with requireSignature', async () => {
    const locked = await startCdnServer({ root, signingSecret: SECRET, requireSignature: true, logger });
    try {
      const lockedStore = fsDriver({ root, baseUrl: locked.url, signingSecret: SECRET });
      expect((await fetch(`${locked.url}/${key}`)).status).toBe(403);
      expect((await fetch(`${locked.url}/${key}`, { method: 'HEAD' })).status).toBe(403);
      const res = await fetch(await lockedStore.presign({ key, method: 'GET', expiresIn: 60 }));
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from(SEQ));
    } finally {
      await locked.close();
    }
  });
});

describe('presigned PUT', () => {
  const body = Buffer.from('uploaded glb bytes '.repeat(40));
  const tmpFiles = async () => readdir(join(root, '.kiln', 'tmp')).catch(() => [] as string[]);

  it('stores the body atomically and answers with the ETag', async () => {
    const key = 't/run/upload/ok.glb';
    const url = await store.presign({ key, method: 'PUT', expiresIn: 60, contentType: 'model/gltf-binary' });
    const res = await fetch(url, { method: 'PUT', body, headers: { 'Content-Type': 'model/gltf-binary' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe(`"${sha256(body)}"`);
    const info = await store.headObject(key);
    expect(info).toMatchObject({ bytes: body.length, contentType: 'model/gltf-binary', etag: sha256(body), metadata: { sha256: sha256(body) } });
    const back = await fetch(`${server.url}/${key}`);
    expect(Buffer.from(await back.arrayBuffer())).toEqual(body);
    expect(back.headers.get('content-type')).toBe('model/gltf-binary');
    expect(await tmpFiles()).toEqual([]);
  });

  it('streams a chunked body', async () => {
    const key = 't/run/upload/chunked.bin';
    const url = new URL(await store.presign({ key, method: 'PUT', expiresIn: 60, contentType: 'application/octet-stream' }));
    const chunks = [Buffer.alloc(1000, 1), Buffer.alloc(1000, 2), Buffer.alloc(500, 3)];
    const res = await raw(server.url, url.pathname + url.search, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/octet-stream', 'Transfer-Encoding': 'chunked' },
      body: chunks,
    });
    expect(res.status).toBe(200);
    expect(res.headers.etag).toBe(`"${sha256(Buffer.concat(chunks))}"`);
    expect((await store.headObject(key))?.bytes).toBe(2500);
  });

  it('refuses a Content-Type other than the signed one', async () => {
    const key = 't/run/upload/wrong-type.glb';
    const url = await store.presign({ key, method: 'PUT', expiresIn: 60, contentType: 'model/gltf-binary' });
    const res = await fetch(url, { method: 'PUT', body, headers: { 'Content-Type': 'text/html' } });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('Content-Type');
    expect(await store.headObject(key)).toBeUndefined();
  });

  it('accepts any Content-Type when none was signed', async () => {
    const key = 't/run/upload/any-type.png';
    const url = await store.presign({ key, method: 'PUT', expiresIn: 60 });
    const res = await fetch(url, { method: 'PUT', body, headers: { 'Content-Type': 'image/png' } });
    expect(res.status).toBe(200);
    expect((await store.headObject(key))?.contentType).toBe('image/png');
  });

  it('refuses an unsigned PUT, a GET URL and an expired PUT URL', async () => {
    const key = 't/run/upload/refused.glb';
    const unsigned = await fetch(`${server.url}/${key}`, { method: 'PUT', body });
    expect(unsigned.status).toBe(403);
    const getUrl = await store.presign({ key, method: 'GET', expiresIn: 60 });
    expect((await fetch(getUrl, { method: 'PUT', body })).status).toBe(403);
    const expires = Math.floor(Date.now() / 1000) - 5;
    const signature = fsPresignSignature(SECRET, 'PUT', key, expires, 'model/gltf-binary');
    const expired = await fetch(`${server.url}/${key}?X-Kiln-Method=PUT&X-Kiln-Expires=${expires}&X-Kiln-Signature=${signature}`, {
      method: 'PUT',
      body,
      headers: { 'Content-Type': 'model/gltf-binary' },
    });
    expect(expired.status).toBe(403);
    expect(await store.headObject(key)).toBeUndefined();
  });

  it('refuses to overwrite with If-None-Match: *', async () => {
    const key = 't/run/upload/once.glb';
    const url = await store.presign({ key, method: 'PUT', expiresIn: 60, contentType: 'model/gltf-binary' });
    const headers = { 'Content-Type': 'model/gltf-binary', 'If-None-Match': '*' };
    expect((await fetch(url, { method: 'PUT', body, headers })).status).toBe(200);
    const again = await fetch(url, { method: 'PUT', body: Buffer.from('other'), headers });
    expect(again.status).toBe(412);
    expect((await store.headObject(key))?.etag).toBe(sha256(body));
  });

  describe('size cap', () => {
    let small: CdnServer;
    let smallStore: ReturnType<typeof fsDriver>;
    beforeAll(async () => {
      small = await startCdnServer({ root, signingSecret: SECRET, maxUploadBytes: 1024, logger });
      smallStore = fsDriver({ root, baseUrl: small.url, signingSecret: SECRET });
    });
    afterAll(async () => {
      await small.close();
    });

    it('answers 413 to a declared Content-Length over the cap', async () => {
      const key = 't/run/upload/big.bin';
      const url = await smallStore.presign({ key, method: 'PUT', expiresIn: 60 });
      const res = await fetch(url, { method: 'PUT', body: Buffer.alloc(2048) });
      expect(res.status).toBe(413);
      expect(await store.headObject(key)).toBeUndefined();
    });

    it('answers 413 from the declared Content-Length, before any body arrives', async () => {
      const url = new URL(await smallStore.presign({ key: 't/run/upload/huge.bin', method: 'PUT', expiresIn: 60 }));
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request(
          { host: url.hostname, port: url.port, path: url.pathname + url.search, method: 'PUT', headers: { 'Content-Length': String(1024 ** 3) }, agent: false },
          (res) => {
            resolve(res.statusCode ?? 0);
            res.resume();
            req.destroy();
          },
        );
        req.on('error', reject);
        req.flushHeaders(); // headers only: a server that waits for the body never answers
      });
      expect(status).toBe(413);
    }, 5_000);

    it('answers 413 when a chunked body goes over the cap, and cleans up', async () => {
      const key = 't/run/upload/big-chunked.bin';
      const url = new URL(await smallStore.presign({ key, method: 'PUT', expiresIn: 60 }));
      const res = await raw(small.url, url.pathname + url.search, {
        method: 'PUT',
        headers: { 'Transfer-Encoding': 'chunked' },
        body: [Buffer.alloc(600), Buffer.alloc(600)],
      });
      expect(res.status).toBe(413);
      expect(await store.headObject(key)).toBeUndefined();
      expect(await tmpFiles()).toEqual([]);
    });

    it('accepts a body at the cap', async () => {
      const key = 't/run/upload/exact.bin';
      const url = await smallStore.presign({ key, method: 'PUT', expiresIn: 60 });
      expect((await fetch(url, { method: 'PUT', body: Buffer.alloc(1024, 7) })).status).toBe(200);
      expect((await store.headObject(key))?.bytes).toBe(1024);
    });
  });

  it('cannot upload into the internals', async () => {
    const expires = Math.floor(Date.now() / 1000) + 60;
    const key = '.kiln/meta/t/run/model_3d/scene.glb.json';
    const signature = fsPresignSignature(SECRET, 'PUT', key, expires);
    const res = await fetch(`${server.url}/${key}?X-Kiln-Method=PUT&X-Kiln-Expires=${expires}&X-Kiln-Signature=${signature}`, {
      method: 'PUT',
      body: Buffer.from('{}'),
    });
    expect(res.status).toBe(404);
    expect((await store.headObject('t/run/model_3d/scene.glb'))?.contentType).toBe('model/gltf-binary');
  });
});

describe('robustness', () => {
  it('answers 405 with Allow for other methods', async () => {
    const res = await raw(server.url, '/t/run/model_3d/scene.glb', { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD, PUT, OPTIONS');
    expect(await store.headObject('t/run/model_3d/scene.glb')).toBeDefined();
  });

  it('answers 500 for a malformed sidecar, warns, and keeps serving', async () => {
    const res = await raw(server.url, '/t/run/broken.bin');
    expect(res.status).toBe(500);
    expect(res.body.toString()).toContain('InternalError');
    expect(warnings.some((w) => w.includes('broken.bin'))).toBe(true);
    expect((await raw(server.url, '/t/run/model_3d/seq.bin')).status).toBe(200);
  });

  it('can be mounted in another server', async () => {
    const host = http.createServer(createCdnRequestHandler({ root }));
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = host.address() as AddressInfo;
      const res = await raw(`http://127.0.0.1:${port}`, '/t/run/model_3d/seq.bin', { headers: { Range: 'bytes=1-2' } });
      expect(res.status).toBe(206);
      expect(res.body).toEqual(Buffer.from([1, 2]));
    } finally {
      host.closeAllConnections();
      await new Promise((resolve) => host.close(resolve));
    }
  });

  it('validates options eagerly with prefixed messages', async () => {
    expect(() => createCdnRequestHandler({ root: '' })).toThrow(/^createCdnRequestHandler: invalid input: root/);
    expect(() => createCdnRequestHandler({ root, allowedOrigins: ['https://game.example/'] })).toThrow(/allowedOrigins\.0: must be an origin/);
    expect(() => createCdnRequestHandler({ root, signingSecret: 'short' })).toThrow(/signingSecret: must be at least 16/);
    await expect(startCdnServer({ root, requireSignature: true })).rejects.toThrow(/^startCdnServer: .*requireSignature needs signingSecret/);
    await expect(startCdnServer({ root, port: 70000 })).rejects.toThrow(/port/);
  });

  it('reports a port in use as a StorageError', async () => {
    await expect(startCdnServer({ root, port: server.port })).rejects.toMatchObject({ name: 'StorageError', code: 'io' });
  });

  it('has documented defaults', () => {
    expect(CDN_SERVER_DEFAULTS).toMatchObject({
      host: '127.0.0.1',
      port: 0,
      allowedOrigins: '*',
      requireSignature: false,
      maxUploadBytes: 5 * 1024 ** 3,
    });
  });

  it('listens on a random loopback port by default and closes idempotently', async () => {
    const extra = await startCdnServer({ root });
    expect(extra.port).toBeGreaterThan(0);
    expect(extra.port).not.toBe(server.port);
    expect(extra.url).toBe(`http://127.0.0.1:${extra.port}`);
    await Promise.all([extra.close(), extra.close()]);
    await expect(fetch(`${extra.url}/t/run/model_3d/seq.bin`)).rejects.toThrow();
  });
});
