import { createHash, createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KilnValidationError } from '@kiln/manifest';
import { BackendError, type BackendInput, type RemoteStatus } from '../../src/backend.js';
import {
  createWebhookReceiver,
  httpTaskBackend,
  MESHY_IMAGE_TO_3D,
  TRIPO_IMAGE_TO_MODEL,
  type HttpTaskApi,
  type HttpTaskBackend,
  type HttpTaskBackendOptions,
} from '../../src/backends/http-task/index.js';
import { glbLabel, isPng, pngOf } from '../servers/files.js';
import { startTaskTestServer, type TaskTestServer } from '../servers/http-task-server.js';
import { testGenerationBackend } from './contract.js';
import { bytesOf, collectingLogger, makeRequest, pollUntil, waitForState } from './fixtures.js';

const FAST = { pollIntervalMs: 10, maxPollIntervalMs: 40, quietMs: 60_000, requestTimeoutMs: 5_000 } as const;

/** Meshy without the stream: plain polling. */
const MESHY_POLLING: HttpTaskApi = { ...MESHY_IMAGE_TO_3D, stream: undefined } as HttpTaskApi;
delete (MESHY_POLLING as { stream?: unknown }).stream;

const backends: HttpTaskBackend[] = [];
function make(server: TaskTestServer, options: Partial<HttpTaskBackendOptions> = {}): HttpTaskBackend {
  const backend = httpTaskBackend({ api: MESHY_IMAGE_TO_3D, baseUrl: server.url, token: server.apiKey, ...FAST, ...options });
  backends.push(backend);
  return backend;
}
afterEach(async () => {
  await Promise.all(backends.splice(0).map((backend) => backend.close?.()));
});

function imageUrl(word = 'crate'): BackendInput {
  return { name: 'image', contentType: 'image/png', sha256: 'a'.repeat(64), url: `https://images.example.test/${word}.png` };
}
function imageData(seed = 1): BackendInput {
  const data = pngOf(seed);
  return { name: 'image', contentType: 'image/png', sha256: createHash('sha256').update(data).digest('hex'), data };
}
function imageRequest(input: BackendInput = imageUrl(), params: Record<string, unknown> = {}) {
  return makeRequest({ operation: 'image_to_3d', params, inputs: [input] });
}

describe('httpTaskBackend with the Meshy preset', () => {
  let server: TaskTestServer;
  beforeAll(async () => {
    server = await startTaskTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('creates, follows the stream, and hands over the outputs as bytes; the key never goes to the file URLs', async () => {
    const backend = make(server);
    expect(backend.capabilities).toEqual({ idempotentSubmit: false, push: true, cancel: false, synchronous: false });
    const { remoteId } = await backend.submit(imageRequest());
    const seen: RemoteStatus[] = [];
    expect((await waitForState(backend, remoteId, ['succeeded', 'failed'], seen)).state).toBe('succeeded');
    const progress = seen.flatMap((s) => (s.progress === undefined ? [] : [s.progress]));
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(Math.max(...progress)).toBeLessThanOrEqual(1);
    // The stream carried the task: no status polls.
    const taskPath = `/openapi/v1/image-to-3d/${remoteId}`;
    expect(server.requests.filter((r) => r.path === `${taskPath}/stream`)).toHaveLength(1);
    expect(server.requests.filter((r) => r.path === taskPath)).toHaveLength(0);

    const outputs = await backend.outputs(remoteId);
    expect(outputs.map((o) => [o.filename, o.contentType])).toEqual([
      ['model.glb', 'model/gltf-binary'],
      ['thumbnail.png', 'image/png'],
    ]);
    expect(outputs[0]?.data).toBeInstanceOf(Uint8Array);
    expect(glbLabel(await bytesOf(outputs[0]!.data))).toBe(`task-${remoteId}`);
    expect(isPng(await bytesOf(outputs[1]!.data))).toBe(true);
    const fileRequests = server.requests.filter((r) => r.path.startsWith(`/files/${remoteId}/`));
    expect(fileRequests.length).toBe(2);
    for (const request of fileRequests) expect(request.headers.authorization).toBeUndefined();
    const create = server.requests.find((r) => r.method === 'POST' && r.path === '/openapi/v1/image-to-3d');
    expect(create?.headers.authorization).toBe(`Bearer ${server.apiKey}`);
  });

  it('polls with status() alone and maps failure with the vendor message', async () => {
    const backend = make(server, { api: MESHY_POLLING });
    expect(backend.capabilities.push).toBe(false);
    const ok = await backend.submit(imageRequest());
    expect((await pollUntil(backend, ok.remoteId, ['succeeded', 'failed'])).state).toBe('succeeded');
    const bad = await backend.submit(imageRequest(imageUrl('fail')));
    const failed = await pollUntil(backend, bad.remoteId, ['succeeded', 'failed']);
    expect(failed.state).toBe('failed');
    expect(failed.error?.kind).toBe('fatal');
    expect(failed.error?.message).toContain('The image has no clear subject');
  });

  it('sends an input without a URL as a data URI', async () => {
    const backend = make(server, { api: MESHY_POLLING });
    const { remoteId } = await backend.submit(imageRequest(imageData(3), { topology: 'quad', targetPolycount: 5000 }));
    expect((await pollUntil(backend, remoteId, ['succeeded', 'failed'])).state).toBe('succeeded');
  });

  it('tells the two 429s apart: request rate (with Retry-After) and concurrency', async () => {
    const backend = make(server);
    server.rateLimitNext(1, '2');
    const rate = (await backend.submit(imageRequest()).catch((e: unknown) => e)) as BackendError;
    expect(rate).toBeInstanceOf(BackendError);
    expect(rate.kind).toBe('rate_requests');
    expect(rate.retryAfterMs).toBe(2_000);
    expect(backend.classify!(rate)).toBe('rate_requests');

    const date = new Date(Date.now() + 5_000).toUTCString();
    server.rateLimitNext(1, date);
    const dated = (await backend.submit(imageRequest()).catch((e: unknown) => e)) as BackendError;
    expect(dated.kind).toBe('rate_requests');
    expect(dated.retryAfterMs).toBeGreaterThan(0);
    expect(dated.retryAfterMs).toBeLessThanOrEqual(5_000);

    const own = await startTaskTestServer({ maxConcurrent: 1 });
    try {
      own.holdTasks();
      const busy = make(own);
      await busy.submit(imageRequest());
      const concurrency = (await busy.submit(imageRequest()).catch((e: unknown) => e)) as BackendError;
      expect(concurrency.kind).toBe('rate_concurrency');
      expect(concurrency.retryAfterMs).toBeUndefined();
      expect(concurrency.message).toContain('NoMoreConcurrentTasks');
    } finally {
      await own.close();
    }
  });

  it('waits out Retry-After while polling for a subscriber', async () => {
    const backend = make(server, { api: MESHY_POLLING });
    const { remoteId } = await backend.submit(imageRequest());
    server.rateLimitNext(3, '0');
    expect((await waitForState(backend, remoteId, ['succeeded', 'failed'])).state).toBe('succeeded');
  });

  it('redacts the credential from errors and logs, also when the vendor echoes it', async () => {
    const logger = collectingLogger();
    const secret = 'msy_live_SECRET_do_not_log_4711';
    const wrong = make(server, { token: secret, logger });
    const error = (await wrong.submit(imageRequest()).catch((e: unknown) => e)) as BackendError;
    expect(error.kind).toBe('auth');
    expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain(secret);

    const echoing = httpTaskBackend({
      api: MESHY_IMAGE_TO_3D,
      token: secret,
      logger,
      fetch: async (url, init) =>
        new Response(`upstream said: bad key ${String(new Headers(init?.headers).get('authorization'))} for ${url}?token=${secret}`, {
          status: 502,
        }),
    });
    const echoed = (await echoing.submit(imageRequest()).catch((e: unknown) => e)) as BackendError;
    expect(echoed.kind).toBe('transient');
    expect(echoed.message).toContain('[REDACTED]');
    expect(JSON.stringify({ message: echoed.message, details: echoed.details })).not.toContain(secret);
    expect(await echoing.status('x').catch((e: unknown) => String(e))).not.toContain(secret);
    expect(logger.lines.join('\n')).not.toContain(secret);
  });

  it('sends an Idempotency-Key (the attempt id) when the API is configured for one', async () => {
    const backend = make(server, {
      api: { ...MESHY_POLLING, create: { ...MESHY_IMAGE_TO_3D.create, idempotencyHeader: 'Idempotency-Key', idempotent: true } },
    });
    expect(backend.capabilities.idempotentSubmit).toBe(true);
    const request = imageRequest();
    const first = await backend.submit(request);
    const second = await backend.submit({ ...request });
    expect(second.remoteId).toBe(first.remoteId);
    const creates = server.requests.filter((r) => r.method === 'POST' && r.headers['idempotency-key'] === request.attemptId);
    expect(creates).toHaveLength(2);
  });

  it('downloads outputs as soon as the task succeeds: expiring URLs no longer matter', async () => {
    const backend = make(server, { api: MESHY_POLLING });
    const { remoteId } = await backend.submit(imageRequest());
    await pollUntil(backend, remoteId, ['succeeded']);
    const path = `/files/${remoteId}/model.glb`;
    expect(server.downloads.get(path)).toBe(1); // fetched before success was reported
    server.expireUrls();
    const outputs = await backend.outputs(remoteId);
    expect(glbLabel(await bytesOf(outputs[0]!.data))).toBe(`task-${remoteId}`);
    expect(server.downloads.get(path)).toBe(1);
  });

  it('asks for fresh URLs when the ones in hand expired (403), and before using ones past expires_at', async () => {
    const backend = make(server, { api: MESHY_POLLING });
    const { remoteId } = await backend.submit(imageRequest());
    await pollUntil(backend, remoteId, ['succeeded']);
    const stale = (await (
      await fetch(`${server.url}/openapi/v1/image-to-3d/${remoteId}`, { headers: { authorization: `Bearer ${server.apiKey}` } })
    ).json()) as Record<string, unknown>;
    server.expireUrls();

    // A late webhook with URLs that no longer work, to a backend that follows the task but has
    // not heard of it yet (subscribing with webhooks on sends no request before quietMs):
    const other = make(server, { api: { ...MESHY_POLLING, webhook: { taskIdPath: 'id' } }, webhooks: true });
    other.subscribe!(remoteId, () => undefined);
    const before = server.requests.length;
    await other.ingestWebhook(stale);
    const after = server.requests.slice(before).map((r) => r.path.split('?')[0]);
    expect(after).toEqual([`/files/${remoteId}/model.glb`, `/openapi/v1/image-to-3d/${remoteId}`, `/files/${remoteId}/model.glb`, `/files/${remoteId}/preview.png`]);
    expect((await other.outputs(remoteId)).map((o) => o.filename)).toEqual(['model.glb', 'thumbnail.png']);

    // Past expires_at: fresh URLs first, no doomed download.
    const third = make(server, { api: { ...MESHY_POLLING, webhook: { taskIdPath: 'id' } }, webhooks: true });
    third.subscribe!(remoteId, () => undefined);
    const start = server.requests.length;
    await third.ingestWebhook({ ...stale, expires_at: Date.now() - 1_000 });
    expect(server.requests.slice(start).map((r) => r.path.split('?')[0])[0]).toBe(`/openapi/v1/image-to-3d/${remoteId}`);
  });

  it('reports results the vendor deleted as fatal, saying why', async () => {
    const backend = make(server, { api: MESHY_POLLING });
    const { remoteId } = await backend.submit(imageRequest());
    server.holdTasks();
    server.deleteResults(remoteId);
    server.releaseTasks();
    expect((await pollUntil(backend, remoteId, ['succeeded'])).state).toBe('succeeded');
    const error = (await backend.outputs(remoteId).catch((e: unknown) => e)) as BackendError;
    expect(error.kind).toBe('fatal');
    expect(error.message).toContain('expired or the vendor deleted the result');
    expect(error.details['expired']).toBe(true);
  });

  it('reports a task the API does not know as unknown, and reconciles it so', async () => {
    const backend = make(server);
    expect((await backend.status('no-such-task')).state).toBe('unknown');
    const done = await backend.submit(imageRequest());
    await pollUntil(backend, done.remoteId, ['succeeded']);
    const states = await backend.reconcile!([
      { remoteId: done.remoteId, attemptId: 'a' },
      { remoteId: 'gone', attemptId: 'b' },
    ]);
    expect(Object.fromEntries([...states].map(([id, s]) => [id, s.state]))).toEqual({ [done.remoteId]: 'succeeded', gone: 'unknown' });
  });

  it('cancels where the API has a cancel route', async () => {
    const backend = make(server, {
      api: { ...MESHY_POLLING, cancel: { method: 'POST', path: '/openapi/v1/image-to-3d/{id}/cancel' } },
    });
    expect(backend.capabilities.cancel).toBe(true);
    server.holdTasks();
    const { remoteId } = await backend.submit(imageRequest());
    expect(await backend.cancel!(remoteId)).toBe('canceled');
    server.releaseTasks();
    expect((await pollUntil(backend, remoteId, ['canceled', 'succeeded', 'failed'])).state).toBe('canceled');
    expect(await backend.cancel!('no-such-task')).toBe('not_running');
  });

  it('reports an account out of credits (402) as insufficient_credits, not as an auth failure', async () => {
    const backend = make(server, { api: MESHY_POLLING });
    server.outOfCredits(true);
    try {
      const error = (await backend.submit(imageRequest()).catch((e: unknown) => e)) as BackendError;
      expect(error).toBeInstanceOf(BackendError);
      expect(error.kind).toBe('insufficient_credits');
      expect(error.code).toBe('backend_insufficient_credits');
      expect(error.message).toContain('402');
    } finally {
      server.outOfCredits(false);
    }
    expect((await backend.submit(imageRequest())).remoteId).toBeTruthy();
  });
});

describe('webhooks', () => {
  let server: TaskTestServer;
  let receiverServer: Server;
  let receiverUrl: string;
  let backend: HttpTaskBackend;
  const secret = 'whsec_test_0123456789';

  beforeAll(async () => {
    server = await startTaskTestServer();
    backend = httpTaskBackend({ api: MESHY_POLLING, baseUrl: server.url, token: server.apiKey, webhooks: true, ...FAST });
    const receiver = createWebhookReceiver({ backend, secret, signatureHeader: 'x-webhook-signature', signaturePrefix: 'sha256=' });
    receiverServer = createServer(receiver.listener());
    await new Promise<void>((resolve) => receiverServer.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiverServer.address() as AddressInfo).port}/hooks/meshy`;
  });
  afterAll(async () => {
    await backend.close?.();
    await new Promise((resolve) => receiverServer.close(resolve));
    await server.close();
  });

  it('applies in-order deliveries as they come', async () => {
    server.setWebhooks({ url: receiverUrl, secret, order: 'in-order' });
    expect(backend.capabilities.push).toBe(true);
    const { remoteId } = await backend.submit(imageRequest());
    const seen: RemoteStatus[] = [];
    const done = waitForState(backend, remoteId, ['succeeded', 'failed'], seen);
    expect((await done).state).toBe('succeeded');
    await server.webhooksSettled(remoteId);
    expect(server.deliveries.filter((d) => d.taskId === remoteId).every((d) => d.httpStatus === 200)).toBe(true);
    expect(seen.map((s) => s.state)).toContain('running');
    // Quiet for less than quietMs: no polling at all.
    expect(server.requests.filter((r) => r.path === `/openapi/v1/image-to-3d/${remoteId}`)).toHaveLength(0);
  });

  it('never regresses when deliveries arrive newest first and twice', async () => {
    server.setWebhooks({ url: receiverUrl, secret, order: 'reverse-at-end' });
    const { remoteId } = await backend.submit(imageRequest());
    const seen: RemoteStatus[] = [];
    const stop = backend.subscribe!(remoteId, (status) => seen.push(status));
    await server.webhooksSettled(remoteId);
    stop();
    const delivered = server.deliveries.filter((d) => d.taskId === remoteId);
    expect(delivered[0]?.status).toBe('SUCCEEDED');
    expect(delivered.map((d) => d.status)).toContain('PENDING');
    expect(delivered.every((d) => d.httpStatus === 200)).toBe(true);
    expect(seen.map((s) => s.state)).toEqual(['queued', 'succeeded']);
    expect((await backend.status(remoteId)).state).toBe('succeeded');
    expect((await backend.outputs(remoteId)).map((o) => o.filename)).toEqual(['model.glb', 'thumbnail.png']);
  });

  it('acknowledges deliveries about tasks it does not follow, without acting on them', async () => {
    const result = await backend.ingestWebhook({ id: 'someone-elses-task', status: 'SUCCEEDED', model_urls: { glb: 'https://x/y.glb' } });
    expect(result).toEqual({ taskId: 'someone-elses-task', changed: false });
    expect(server.requests.some((r) => r.path.includes('someone-elses-task'))).toBe(false);
  });

  it('refuses forged, stale and malformed deliveries', async () => {
    server.setWebhooks(undefined);
    server.holdTasks();
    const { remoteId } = await backend.submit(imageRequest());
    const forged = JSON.stringify({ id: remoteId, status: 'SUCCEEDED', progress: 100, model_urls: {} });
    const post = (body: string, signature?: string) =>
      fetch(receiverUrl, {
        method: 'POST',
        headers: signature ? { 'x-webhook-signature': signature } : {},
        body,
      });
    expect((await post(forged)).status).toBe(401);
    expect((await post(forged, `sha256=${'0'.repeat(64)}`)).status).toBe(401);
    expect((await backend.status(remoteId)).state).not.toBe('succeeded');
    server.releaseTasks();

    const receiver = createWebhookReceiver({
      backend,
      secret: ['old-secret', secret],
      signatureHeader: 'x-sig',
      encoding: 'base64',
      timestampHeader: 'x-ts',
      deliveryIdHeader: 'x-id',
      now: () => 1_700_000_000_000,
    });
    const body = JSON.stringify({ id: remoteId, status: 'IN_PROGRESS', progress: 50 });
    const sign = (ts: string) => hmacBase64(secret, `${ts}.${body}`);
    const fresh = await receiver.handle({ body, headers: { 'x-sig': sign('1700000000'), 'x-ts': '1700000000', 'x-id': 'd1' } });
    expect(fresh.status).toBe(200);
    const again = await receiver.handle({ body, headers: { 'x-sig': sign('1700000000'), 'x-ts': '1700000000', 'x-id': 'd1' } });
    expect(again.body.duplicate).toBe(true);
    const stale = await receiver.handle({ body, headers: { 'x-sig': sign('1699000000'), 'x-ts': '1699000000' } });
    expect(stale.status).toBe(401);
    const notJson = await receiver.handle({ body: 'nope', headers: { 'x-sig': hmacBase64(secret, '1700000000.nope'), 'x-ts': '1700000000' } });
    expect(notJson.status).toBe(400);
    expect(() => createWebhookReceiver({ backend, secret: '', signatureHeader: 'x' })).toThrow(/secret is required/);
  });
});

/** Base64 HMAC-SHA256, as the second receiver above expects. */
function hmacBase64(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text).digest('base64');
}

describe('httpTaskBackend with the Tripo preset', () => {
  let server: TaskTestServer;
  beforeAll(async () => {
    server = await startTaskTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('uploads the image once per content, creates, polls with ETA, and takes the PBR model', async () => {
    const backend = make(server, { api: TRIPO_IMAGE_TO_MODEL });
    expect(backend.capabilities.push).toBe(false);
    const input = imageData(9);
    server.holdTasks();
    const a = await backend.submit(imageRequest(input, { faceLimit: 5000 }));
    const b = await backend.submit(imageRequest(input, { faceLimit: 6000 }));
    expect(server.requests.filter((r) => r.path === '/v2/openapi/upload')).toHaveLength(1);
    server.advance(a.remoteId);
    server.advance(a.remoteId);
    expect(await backend.status(a.remoteId)).toEqual({ state: 'running', progress: 0.33, etaMs: 2_000 });
    server.releaseTasks();
    expect((await waitForState(backend, a.remoteId, ['succeeded', 'failed'])).state).toBe('succeeded');
    await pollUntil(backend, b.remoteId, ['succeeded']);
    const outputs = await backend.outputs(a.remoteId);
    expect(outputs.map((o) => o.filename)).toEqual(['model.glb', 'preview.webp']);
    expect(outputs[0]?.metadata?.['source']).toBe('output.pbr_model');
  });

  it('maps banned to input_invalid, expired to transient, and rides over a transient unknown', async () => {
    const backend = make(server, { api: TRIPO_IMAGE_TO_MODEL });
    const banned = await backend.submit(imageRequest(imageData(1), { textureQuality: 'ban-me' }));
    const bannedStatus = await pollUntil(backend, banned.remoteId, ['succeeded', 'failed']);
    expect(bannedStatus.error?.kind).toBe('input_invalid');
    expect(bannedStatus.error?.message).toContain('refused (banned)');

    const expired = await backend.submit(imageRequest(imageData(1), { textureQuality: 'expire' }));
    const expiredStatus = await pollUntil(backend, expired.remoteId, ['succeeded', 'failed', 'expired']);
    expect(expiredStatus.state).toBe('expired');
    expect(expiredStatus.error?.kind).toBe('transient');

    const wobbly = await backend.submit(imageRequest(imageData(1), { textureQuality: 'unknown-once' }));
    const seen: RemoteStatus[] = [];
    expect((await waitForState(backend, wobbly.remoteId, ['succeeded', 'failed', 'unknown'], seen)).state).toBe('succeeded');
    expect(seen.map((s) => s.state)).not.toContain('unknown');
  });

  it('treats a Tripo 429 as request rate', async () => {
    const backend = make(server, { api: TRIPO_IMAGE_TO_MODEL });
    server.rateLimitNext(1, '3');
    const error = (await backend.submit(imageRequest(imageData(2))).catch((e: unknown) => e)) as BackendError;
    expect([error.kind, error.retryAfterMs]).toEqual(['rate_requests', 3_000]);
  });

  it('reports the place in the vendor queue (queuing_num) while a task waits', async () => {
    const backend = make(server, { api: TRIPO_IMAGE_TO_MODEL });
    server.holdTasks();
    try {
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push((await backend.submit(imageRequest(imageData(10 + i)))).remoteId);
      const statuses = await Promise.all(ids.map((id) => backend.status(id)));
      expect(statuses.map((s) => [s.state, s.queuePosition])).toEqual([
        ['queued', 0],
        ['queued', 1],
        ['queued', 2],
      ]);
    } finally {
      server.releaseTasks();
    }
  });
});

describe('httpTaskBackend configuration', () => {
  it('validates the API description eagerly, naming the field', () => {
    expect(() => httpTaskBackend({ api: MESHY_IMAGE_TO_3D })).toThrow(/options\.token is required/);
    expect(() => httpTaskBackend({ api: { ...MESHY_IMAGE_TO_3D, create: { ...MESHY_IMAGE_TO_3D.create, path: 'no-slash' } }, token: 't' })).toThrow(
      KilnValidationError,
    );
    expect(() =>
      httpTaskBackend({ api: { ...MESHY_IMAGE_TO_3D, create: { ...MESHY_IMAGE_TO_3D.create, body: { x: '{{secrets.key}}' } } }, token: 't' }),
    ).toThrow(/unknown placeholder "\{\{secrets\.key\}\}"/);
    expect(() =>
      httpTaskBackend({ api: { ...MESHY_IMAGE_TO_3D, status: { ...MESHY_IMAGE_TO_3D.status, states: { DONE: 'failed' } } }, token: 't' }),
    ).toThrow(/maps no vendor state to "succeeded"/);
    expect(() => httpTaskBackend({ api: MESHY_IMAGE_TO_3D, token: 't', baseUrl: 'ftp://x' })).toThrow(/must be http\(s\)/);
  });

  it('refuses a request without the required image before calling the API', async () => {
    let calls = 0;
    const backend = httpTaskBackend({
      api: MESHY_IMAGE_TO_3D,
      token: 't0k3n-value',
      fetch: async () => {
        calls += 1;
        return new Response('{}');
      },
    });
    const error = (await backend.submit(makeRequest({ inputs: [] })).catch((e: unknown) => e)) as BackendError;
    expect(error.kind).toBe('input_invalid');
    expect(error.message).toContain('inputs.image.urlOrDataUri');
    expect(calls).toBe(0);
  });
});

testGenerationBackend('http task (Meshy preset, task test server)', async () => {
  const server = await startTaskTestServer();
  const backend = httpTaskBackend({ api: MESHY_IMAGE_TO_3D, baseUrl: server.url, token: server.apiKey, ...FAST });
  return {
    backend,
    request: () => imageRequest(),
    invalidRequest: () => makeRequest({ inputs: [] }),
    cleanup: async () => {
      await backend.close?.();
      await server.close();
    },
  };
});

testGenerationBackend('http task (Tripo preset, task test server)', async () => {
  const server = await startTaskTestServer();
  const backend = httpTaskBackend({ api: TRIPO_IMAGE_TO_MODEL, baseUrl: server.url, token: server.apiKey, ...FAST });
  return {
    backend,
    request: () => imageRequest(imageData(5)),
    invalidRequest: () => makeRequest({ inputs: [] }),
    unknownId: () => 'tripo-never-issued',
    cleanup: async () => {
      await backend.close?.();
      await server.close();
    },
  };
});
