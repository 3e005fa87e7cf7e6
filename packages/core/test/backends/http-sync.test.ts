import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendError, type BackendInput } from '../../src/backend.js';
import { httpSyncBackend, STABILITY_SF3D, type HttpSyncApi } from '../../src/backends/http-sync/index.js';
import { glbLabel, pngOf } from '../servers/files.js';
import { startTaskTestServer, type TaskTestServer } from '../servers/http-task-server.js';
import { testGenerationBackend } from './contract.js';
import { bytesOf, makeRequest } from './fixtures.js';

function image(seed = 1): BackendInput {
  const data = pngOf(seed);
  return { name: 'image', contentType: 'image/png', sha256: createHash('sha256').update(data).digest('hex'), data };
}

describe('httpSyncBackend with the SF3D preset', () => {
  let server: TaskTestServer;
  beforeAll(async () => {
    server = await startTaskTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('posts the image as multipart and returns the GLB from the answer', async () => {
    const backend = httpSyncBackend({ api: STABILITY_SF3D, baseUrl: server.url, token: server.apiKey });
    expect(backend.capabilities).toEqual({ idempotentSubmit: false, push: false, cancel: false, synchronous: true });
    const input = image(2);
    const request = makeRequest({ operation: 'image_to_3d', params: { textureResolution: 2048, remesh: 'quad' }, inputs: [input] });
    const { remoteId, outputs } = await backend.submit(request);
    expect(remoteId).toBe(request.attemptId);
    expect(outputs?.map((o) => [o.filename, o.contentType])).toEqual([['model.glb', 'model/gltf-binary']]);
    expect(glbLabel(await bytesOf(outputs![0]!.data))).toBe(`sf3d-2048-${input.data!.byteLength}`);
    expect((await backend.status(remoteId)).state).toBe('succeeded');
    expect(await backend.outputs(remoteId)).toBe(outputs);
    const post = server.requests.find((r) => r.path === '/v2beta/3d/stable-fast-3d');
    expect(post?.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(post?.headers.accept).toBe('model/gltf-binary');
  });

  it('refuses a missing image before sending, and a bad field as input_invalid', async () => {
    const backend = httpSyncBackend({ api: STABILITY_SF3D, baseUrl: server.url, token: server.apiKey });
    const before = server.requests.length;
    const missing = (await backend.submit(makeRequest({ inputs: [] })).catch((e: unknown) => e)) as BackendError;
    expect(missing.kind).toBe('input_invalid');
    expect(server.requests.length).toBe(before);
    const bad = (await backend.submit(makeRequest({ params: { textureResolution: 999 }, inputs: [image()] })).catch((e: unknown) => e)) as BackendError;
    expect(bad.kind).toBe('input_invalid');
    expect(bad.message).toContain('texture_resolution: must be 512, 1024 or 2048');
    expect((await backend.status(makeRequest().attemptId)).state).toBe('unknown');
  });

  it('reads a 429 as request rate with Retry-After', async () => {
    const backend = httpSyncBackend({ api: STABILITY_SF3D, baseUrl: server.url, token: server.apiKey });
    server.rateLimitNext(1, '60');
    const error = (await backend.submit(makeRequest({ inputs: [image()] })).catch((e: unknown) => e)) as BackendError;
    expect([error.kind, error.retryAfterMs]).toEqual(['rate_requests', 60_000]);
  });

  it('gives up after timeoutMs with a transient error', async () => {
    const backend = httpSyncBackend({ api: STABILITY_SF3D, baseUrl: server.url, token: server.apiKey, timeoutMs: 50 });
    const release = server.holdSync();
    try {
      const request = makeRequest({ inputs: [image()] });
      const error = (await backend.submit(request).catch((e: unknown) => e)) as BackendError;
      expect(error.kind).toBe('transient');
      expect(error.message).toContain('no answer within 50 ms');
      expect((await backend.status(request.attemptId)).state).toBe('failed');
    } finally {
      release();
    }
  });

  it('shares one request between concurrent submits of the same attempt', async () => {
    const backend = httpSyncBackend({ api: STABILITY_SF3D, baseUrl: server.url, token: server.apiKey });
    const release = server.holdSync();
    const request = makeRequest({ inputs: [image(4)] });
    const before = server.requests.filter((r) => r.path === '/v2beta/3d/stable-fast-3d').length;
    const both = Promise.all([backend.submit(request), backend.submit({ ...request })]);
    expect((await backend.status(request.attemptId)).state).toBe('running');
    release();
    const [a, b] = await both;
    expect(a.outputs).toBe(b.outputs);
    expect(server.requests.filter((r) => r.path === '/v2beta/3d/stable-fast-3d').length).toBe(before + 1);
  });

  it('supports JSON requests and validates the description', async () => {
    const api: HttpSyncApi = {
      name: 'echo',
      request: { path: '/v2beta/3d/stable-fast-3d', encoding: 'json', body: { prompt: '{{params.prompt!}}' } },
      output: { filename: '{{stepId}}.bin' },
    };
    let seenBody = '';
    const backend = httpSyncBackend({
      api,
      baseUrl: 'http://sync.example.test',
      fetch: async (_url, init) => {
        seenBody = String(init?.body);
        return new Response(new Uint8Array([1, 2, 3]), { headers: { 'content-type': 'application/octet-stream' } });
      },
    });
    const request = makeRequest({ params: { prompt: 'a lamp' } });
    const { outputs } = await backend.submit(request);
    expect(JSON.parse(seenBody)).toEqual({ prompt: 'a lamp' });
    expect(outputs?.[0]).toMatchObject({ filename: `${request.stepId}.bin`, contentType: 'application/octet-stream' });
    expect(() => httpSyncBackend({ api: { ...api, request: { ...api.request, fields: { a: 'b' } } }, baseUrl: 'http://x' })).toThrow(/fields is for multipart/);
    expect(() => httpSyncBackend({ api: STABILITY_SF3D })).toThrow(/options\.token is required/);
    expect(() => httpSyncBackend({ api, baseUrl: 'http://x', timeoutMs: 0 })).toThrow(/timeoutMs must be a positive number/);
  });
});

testGenerationBackend('http sync (SF3D preset, task test server)', async () => {
  const server = await startTaskTestServer();
  const backend = httpSyncBackend({ api: STABILITY_SF3D, baseUrl: server.url, token: server.apiKey });
  return {
    backend,
    request: () => makeRequest({ operation: 'image_to_3d', inputs: [image(6)] }),
    invalidRequest: () => makeRequest({ inputs: [] }),
    cleanup: () => server.close(),
  };
});
