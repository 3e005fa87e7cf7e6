import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BackendError, type RemoteStatus } from '../../src/backend.js';
import {
  comfyUIBackend,
  createComfyUIConnection,
  promptIdFor,
  type ComfyUIBackend,
  type ComfyUIBackendOptions,
} from '../../src/backends/comfyui/index.js';
import { startComfyTestServer, type ComfyTestServer } from '../servers/comfyui-server.js';
import { isPng, pngOf } from '../servers/files.js';
import { testGenerationBackend } from './contract.js';
import {
  bytesOf,
  collectingLogger,
  IMAGE_PASSTHROUGH,
  makeRequest,
  pollUntil,
  TEXT_TO_IMAGE,
  TEXT_TO_IMAGE_INJECT,
  waitForState,
} from './fixtures.js';

/** Small intervals: the test server answers in milliseconds. */
const FAST = {
  pollIntervalMs: 15,
  staleAfterMs: 150,
  reconnectInitialDelayMs: 10,
  reconnectMaxDelayMs: 40,
  connectTimeoutMs: 1_000,
  historyTimeoutMs: 2_000,
  requestTimeoutMs: 5_000,
} satisfies Partial<ComfyUIBackendOptions>;

const backends: ComfyUIBackend[] = [];
function make(server: ComfyTestServer, options: Partial<ComfyUIBackendOptions> = {}): ComfyUIBackend {
  const backend = comfyUIBackend({
    baseUrl: server.url,
    workflow: TEXT_TO_IMAGE,
    inject: { ...TEXT_TO_IMAGE_INJECT, steps: 'KSampler' },
    ...FAST,
    ...options,
  });
  backends.push(backend);
  return backend;
}
afterEach(async () => {
  await Promise.all(backends.splice(0).map((backend) => backend.close?.()));
});

async function historyOf(server: ComfyTestServer, promptId: string): Promise<Record<string, any>> {
  const history = (await (await fetch(`${server.url}/history/${promptId}`)).json()) as Record<string, any>;
  return history[promptId];
}

describe('comfyUIBackend against the ComfyUI-protocol server (newest)', () => {
  let server: ComfyTestServer;
  beforeAll(async () => {
    server = await startComfyTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('injects parameters by title and id, queues prompt_id = attempt id, pushes progress, returns the saved image', async () => {
    const backend = make(server, { outputNode: 'Save Image' });
    const request = makeRequest({ params: { prompt: 'a red barrel', negativePrompt: 'text', seed: 4242, width: 640, height: 384 } });
    const { remoteId } = await backend.submit(request);
    expect(remoteId).toBe(request.attemptId);

    const seen: RemoteStatus[] = [];
    const final = await waitForState(backend, remoteId, ['succeeded', 'failed'], seen);
    expect(final.state).toBe('succeeded');
    const progress = seen.flatMap((status) => (status.progress === undefined ? [] : [status.progress]));
    expect(progress.length).toBeGreaterThan(0);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));

    const graph = (await historyOf(server, remoteId)).prompt[2];
    expect(graph['6'].inputs.text).toBe('a red barrel');
    expect(graph['7'].inputs.text).toBe('text');
    expect(graph['3'].inputs.seed).toBe(4242);
    expect(graph['5'].inputs).toMatchObject({ width: 640, height: 384 });
    expect(TEXT_TO_IMAGE['6']?.inputs['text']).toBe('a wooden crate'); // the workflow is not mutated

    const outputs = await backend.outputs(remoteId);
    expect(outputs).toHaveLength(1);
    expect(outputs[0]).toMatchObject({ contentType: 'image/png', metadata: { nodeId: '9', type: 'output' } });
    expect(outputs[0]?.filename).toMatch(/^kiln_\d{5}_\.png$/);
    expect(isPng(await bytesOf(outputs[0]!.data))).toBe(true);
    expect(backend.capabilities).toEqual({ idempotentSubmit: true, push: true, cancel: true, synchronous: false });
  });

  it('tracks a duplicate attempt (409) instead of running it twice', async () => {
    const backend = make(server, { checkBeforeSubmit: false });
    const request = makeRequest();
    const first = await backend.submit(request);
    await waitForState(backend, first.remoteId, ['succeeded']);
    const posts = server.requests.filter((r) => r.method === 'POST' && r.path === '/prompt').length;
    const second = await backend.submit({ ...request });
    expect(second.remoteId).toBe(first.remoteId);
    expect(server.requests.filter((r) => r.method === 'POST' && r.path === '/prompt').length).toBe(posts + 1);
    expect(server.executions.get(first.remoteId)).toBe(1);
    expect((await backend.status(second.remoteId)).state).toBe('succeeded');
  });

  it('does not even post a prompt id the server already knows (checkBeforeSubmit)', async () => {
    const backend = make(server);
    const request = makeRequest();
    const { remoteId } = await backend.submit(request);
    await waitForState(backend, remoteId, ['succeeded']);
    const posts = server.requests.filter((r) => r.method === 'POST' && r.path === '/prompt').length;
    expect((await backend.submit(request)).remoteId).toBe(remoteId);
    expect(server.requests.filter((r) => r.method === 'POST' && r.path === '/prompt').length).toBe(posts);
    expect(server.executions.get(remoteId)).toBe(1);
  });

  it('derives a stable canonical prompt id from an attempt id that is not a UUID', async () => {
    const backend = make(server);
    const request = makeRequest({ attemptId: 'step-7:attempt-2' });
    const { remoteId } = await backend.submit(request);
    expect(remoteId).toBe(await promptIdFor('step-7:attempt-2'));
    expect(remoteId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    await waitForState(backend, remoteId, ['succeeded']);
  });

  it('handles the completion race: execution_success comes before the history, success waits for it', async () => {
    const backend = make(server);
    const release = server.holdHistory();
    const { remoteId } = await backend.submit(makeRequest());
    const seen: RemoteStatus[] = [];
    const done = waitForState(backend, remoteId, ['succeeded', 'failed'], seen);
    await server.waitForEvent('execution_success', remoteId);
    // The naive reading (history right after execution_success) finds nothing:
    expect(await historyOf(server, remoteId)).toBeUndefined();
    expect((await backend.status(remoteId)).state).toBe('running');
    expect(seen.map((s) => s.state)).not.toContain('succeeded');
    release();
    expect((await done).state).toBe('succeeded');
    const outputs = await backend.outputs(remoteId);
    expect(outputs.length).toBe(1);
    expect(isPng(await bytesOf(outputs[0]!.data))).toBe(true);
  });

  it('polls what it missed while the WebSocket was down, and re-attaches to events after', async () => {
    const backend = make(server);
    server.pause();
    const { remoteId } = await backend.submit(makeRequest());
    const done = waitForState(backend, remoteId, ['succeeded', 'failed']);
    await server.waitForEvent('execution_start', remoteId);
    const before = server.connections;
    server.refuseSockets(1_000_000);
    server.dropSockets();
    server.resume();
    expect((await done).state).toBe('succeeded');
    // Every event after the drop went to nobody, yet the prompt completed (by polling).
    expect(server.sent.filter((e) => e.promptId === remoteId && e.type === 'executing').every((e) => !e.delivered)).toBe(true);
    server.refuseSockets(0);
    while (server.connections === before) {
      await backend.connection.ready();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const next = await backend.submit(makeRequest());
    expect((await waitForState(backend, next.remoteId, ['succeeded', 'failed'])).state).toBe('succeeded');
    expect(server.connections).toBe(before + 1);
    expect(server.sent.find((e) => e.promptId === next.remoteId && e.type === 'execution_start')?.delivered).toBe(true);
  });

  it('notices a stalled WebSocket (open, but silent): polls the quiet prompt, then replaces the socket', async () => {
    const logger = collectingLogger();
    const backend = make(server, { logger });
    await backend.connection.ready();
    const before = server.connections;
    server.muteSockets(true);
    try {
      const { remoteId } = await backend.submit(makeRequest());
      expect((await waitForState(backend, remoteId, ['succeeded', 'failed'])).state).toBe('succeeded');
      expect(server.sent.filter((e) => e.promptId === remoteId).every((e) => !e.delivered)).toBe(true);
      expect(logger.lines.some((line) => line.includes('WebSocket seems stalled'))).toBe(true);
    } finally {
      server.muteSockets(false);
    }
    const next = await backend.submit(makeRequest());
    expect((await waitForState(backend, next.remoteId, ['succeeded', 'failed'])).state).toBe('succeeded');
    expect(server.connections).toBe(before + 1);
  });

  it('replaces a socket whose pings go unanswered', async () => {
    const own = await startComfyTestServer({ autoPong: false });
    const logger = collectingLogger();
    try {
      own.pause();
      const backend = make(own, { logger, pingIntervalMs: 10 });
      const { remoteId } = await backend.submit(makeRequest());
      const done = waitForState(backend, remoteId, ['succeeded', 'failed']);
      while (own.connections < 2) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(logger.lines.some((line) => line.includes('stalled (no pong)'))).toBe(true);
      own.resume();
      expect((await done).state).toBe('succeeded');
    } finally {
      own.resume();
      await own.close();
    }
  });

  it('reconnects one attempt at a time through refused upgrades, and not at all when idle', async () => {
    const own = await startComfyTestServer();
    try {
      own.refuseSockets(3);
      own.pause();
      const backend = make(own, { connectTimeoutMs: 20 });
      const { remoteId } = await backend.submit(makeRequest());
      const done = waitForState(backend, remoteId, ['succeeded']);
      while (own.connections === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      // 3 refused upgrades, then one that worked: no parallel attempts, no storm.
      expect(own.upgrades).toBe(4);
      own.resume();
      await done;
      // Idle (nothing watched): a drop is not followed by reconnects.
      own.dropSockets();
      await new Promise((resolve) => setTimeout(resolve, 120));
      expect(own.upgrades).toBe(4);
      // The next submit opens the socket again.
      const next = await backend.submit(makeRequest());
      while (own.connections < 2) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(own.upgrades).toBe(5);
      await waitForState(backend, next.remoteId, ['succeeded']);
    } finally {
      own.resume();
      await own.close();
    }
  });

  it('interrupts a running prompt and removes a pending one', async () => {
    const backend = make(server);
    server.pause();
    const running = await backend.submit(makeRequest());
    const pending = await backend.submit(makeRequest());
    await server.waitForEvent('execution_start', running.remoteId);
    expect((await backend.status(running.remoteId)).state).toBe('running');
    expect((await backend.status(pending.remoteId)).state).toBe('queued');

    await backend.cancel!(pending.remoteId);
    expect((await backend.status(pending.remoteId)).state).toBe('canceled');
    const interrupted = waitForState(backend, running.remoteId, ['canceled', 'succeeded', 'failed']);
    await backend.cancel!(running.remoteId);
    server.resume();
    expect((await interrupted).state).toBe('canceled');
    const entry = await historyOf(server, running.remoteId);
    expect(entry.status.status_str).toBe('error');
    expect(server.executions.has(pending.remoteId)).toBe(false);
  });

  it('uploads inputs through /upload/image, injects the name the server chose, and returns only the chosen node', async () => {
    const backend = make(server, {
      workflow: IMAGE_PASSTHROUGH,
      inject: { image: 'Load Image' },
      outputNode: 'Save Image',
    });
    const png = pngOf(0x336699);
    const sha256 = createHash('sha256').update(png).digest('hex');
    const input = { name: 'image', contentType: 'image/png', sha256, data: png };
    const first = await backend.submit(makeRequest({ operation: 'upscale', inputs: [input] }));
    const second = await backend.submit(makeRequest({ operation: 'upscale', inputs: [input] }));
    await waitForState(backend, first.remoteId, ['succeeded']);
    await waitForState(backend, second.remoteId, ['succeeded']);
    const uploads = server.requests.filter((r) => r.path === '/upload/image');
    expect(uploads.length).toBeGreaterThanOrEqual(2);
    const name = `kiln-${sha256.slice(0, 20)}.png`;
    expect((await historyOf(server, first.remoteId)).prompt[2]['10'].inputs.image).toBe(name);
    // Identical bytes under the same name: the server deduplicated, the name is unchanged.
    expect((await historyOf(server, second.remoteId)).prompt[2]['10'].inputs.image).toBe(name);
    const outputs = await backend.outputs(first.remoteId);
    expect(outputs.map((o) => o.metadata?.['nodeId'])).toEqual(['11']);

    // Without outputNode: every saved file, and never the temp preview.
    const all = make(server, { workflow: IMAGE_PASSTHROUGH, inject: { image: 'Load Image' } });
    expect((await all.outputs(first.remoteId)).map((o) => o.metadata?.['type'])).toEqual(['output']);
  });

  it('refuses invalid workflows as input_invalid, naming node and input', async () => {
    const backend = make(server);
    const error = await backend.submit(makeRequest({ params: { prompt: 'x', width: 8 } })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect((error as BackendError).kind).toBe('input_invalid');
    expect((error as BackendError).message).toMatch(/prompt_outputs_failed_validation.*node 5 \(EmptyLatentImage\).*smaller than min/);
    expect((error as BackendError).details['nodeErrors']).toEqual([
      expect.objectContaining({ nodeId: '5', type: 'value_smaller_than_min', input: 'width', received: 8 }),
    ]);
  });

  it('reports a model missing on the server as input_invalid with a fallback hint', async () => {
    const backend = make(server);
    const error = (await backend.submit(makeRequest({ model: 'flux1-dev.safetensors' })).catch((e: unknown) => e)) as BackendError;
    expect(error.kind).toBe('input_invalid');
    expect(error.message).toContain('"flux1-dev.safetensors" is not on this ComfyUI server');
    expect(error.message).toContain('fallback');
    expect(error.details).toMatchObject({
      reason: 'model_not_found',
      missingModel: { nodeId: '4', classType: 'CheckpointLoaderSimple', input: 'ckpt_name', value: 'flux1-dev.safetensors' },
    });
  });

  it('classifies 5xx answers and dead servers as transient', async () => {
    const backend = make(server, { checkBeforeSubmit: false });
    server.failNext('/prompt', 503);
    const error = (await backend.submit(makeRequest()).catch((e: unknown) => e)) as BackendError;
    expect(error.kind).toBe('transient');
    expect(backend.classify!(error)).toBe('transient');

    const dead = comfyUIBackend({ baseUrl: 'http://127.0.0.1:9', workflow: TEXT_TO_IMAGE, useWebSocket: false, ...FAST });
    backends.push(dead);
    const network = (await dead.submit(makeRequest()).catch((e: unknown) => e)) as BackendError;
    expect(network.kind).toBe('transient');
    expect(network.details['network']).toBe(true);
    expect(await dead.health!()).toMatchObject({ ok: false });
  });

  it('fails a prompt whose node raises: fatal in general, transient for out-of-memory', async () => {
    const backend = make(server);
    let undo = server.failNode('VAEDecode', 'RuntimeError', 'shape mismatch');
    try {
      const { remoteId } = await backend.submit(makeRequest());
      const status = await waitForState(backend, remoteId, ['failed', 'succeeded']);
      expect(status.state).toBe('failed');
      expect(status.error?.kind).toBe('fatal');
      expect(status.error?.message).toMatch(/node 8 \(VAEDecode\): RuntimeError: shape mismatch/);
      // The same verdict from the history, for a client that missed the event:
      const fresh = make(server, { useWebSocket: false });
      expect((await fresh.status(remoteId)).error?.kind).toBe('fatal');
    } finally {
      undo();
    }
    undo = server.failNode('KSampler', 'torch.OutOfMemoryError', 'CUDA out of memory. Tried to allocate 2.00 GiB');
    try {
      const { remoteId } = await backend.submit(makeRequest());
      const status = await waitForState(backend, remoteId, ['failed', 'succeeded']);
      expect(status.error?.kind).toBe('transient');
    } finally {
      undo();
    }
  });

  it('works without a WebSocket, by polling', async () => {
    const backend = make(server, { useWebSocket: false });
    expect(backend.capabilities.push).toBe(false);
    const { remoteId } = await backend.submit(makeRequest());
    expect((await pollUntil(backend, remoteId, ['succeeded', 'failed'])).state).toBe('succeeded');
    expect((await backend.outputs(remoteId)).length).toBe(1);
  });

  it('shares one WebSocket between the backends of one connection', async () => {
    const own = await startComfyTestServer();
    const connection = createComfyUIConnection({ baseUrl: own.url, ...FAST });
    try {
      const a = make(own, { connection, baseUrl: own.url });
      const b = make(own, { connection, inject: { prompt: '6', seed: '3' }, outputNode: '9' });
      const [ra, rb] = await Promise.all([a.submit(makeRequest()), b.submit(makeRequest({ params: {} }))]);
      await Promise.all([waitForState(a, ra.remoteId, ['succeeded', 'failed']), waitForState(b, rb.remoteId, ['succeeded', 'failed'])]);
      expect(own.connections).toBe(1);
    } finally {
      await connection.close();
      await own.close();
    }
  });

  it('reports health from /system_stats and exposes /object_info', async () => {
    const backend = make(server);
    const health = await backend.health!();
    expect(health.ok).toBe(true);
    expect(health.detail).toMatch(/^ComfyUI 0\.3\.99-kiln-test, cuda:0 Stand-in GPU 20\.0\/24\.0 GiB free$/);
    const info = await backend.connection.objectInfo('KSampler');
    expect(info).toHaveProperty('KSampler.input.required.seed');
  });
});

describe('completion without per-node events: cached prompts', () => {
  it.each(['newest', 'legacy'] as const)('completes a fully cached prompt (%s server)', async (version) => {
    const server = await startComfyTestServer({ version });
    try {
      const backend = make(server);
      const params = { prompt: 'the same crate', seed: 7 };
      const first = await backend.submit(makeRequest({ params }));
      await waitForState(backend, first.remoteId, ['succeeded']);
      const second = await backend.submit(makeRequest({ params }));
      expect(second.remoteId).not.toBe(first.remoteId);
      expect((await waitForState(backend, second.remoteId, ['succeeded', 'failed'])).state).toBe('succeeded');
      const events = server.sent.filter((e) => e.promptId === second.remoteId).map((e) => e.type);
      expect(events).not.toContain('progress');
      expect(events.filter((type) => type === 'executing')).toEqual(['executing']); // only {node: null}
      if (version === 'legacy') expect(events).not.toContain('executed');
      const [a] = await backend.outputs(first.remoteId);
      const [b] = await backend.outputs(second.remoteId);
      expect(b?.filename).toBe(a?.filename);
    } finally {
      await server.close();
    }
  });

  it('completes a cached prompt that sends nothing at all (no client_id: polling only)', async () => {
    const server = await startComfyTestServer({ version: 'legacy' });
    try {
      const backend = make(server, { useWebSocket: false });
      const params = { prompt: 'silent', seed: 8 };
      await pollUntil(backend, (await backend.submit(makeRequest({ params }))).remoteId, ['succeeded']);
      const { remoteId } = await backend.submit(makeRequest({ params }));
      expect((await pollUntil(backend, remoteId, ['succeeded', 'failed'])).state).toBe('succeeded');
    } finally {
      await server.close();
    }
  });
});

describe('the place in the queue, from /queue (servers without /api/jobs)', () => {
  it('reports how many prompts wait ahead of a queued one', async () => {
    const server = await startComfyTestServer({ version: 'legacy' });
    try {
      const backend = make(server, { useWebSocket: false });
      server.pause();
      const running = await backend.submit(makeRequest({ params: { prompt: 'first', seed: 1 } }));
      await server.waitForEvent('execution_start', running.remoteId);
      const second = await backend.submit(makeRequest({ params: { prompt: 'second', seed: 2 } }));
      const third = await backend.submit(makeRequest({ params: { prompt: 'third', seed: 3 } }));
      expect(await backend.status(running.remoteId)).toMatchObject({ state: 'running' });
      expect(await backend.status(second.remoteId)).toMatchObject({ state: 'queued', queuePosition: 0 });
      expect(await backend.status(third.remoteId)).toMatchObject({ state: 'queued', queuePosition: 1 });
      server.resume();
      expect((await pollUntil(backend, third.remoteId, ['succeeded', 'failed'])).state).toBe('succeeded');
    } finally {
      await server.close();
    }
  });
});

describe('servers that do not take client prompt ids', () => {
  it('falls back when an older server ignores prompt_id, and stops claiming idempotent submit', async () => {
    const server = await startComfyTestServer({ version: 'legacy' });
    const logger = collectingLogger();
    try {
      const backend = make(server, { logger });
      expect(backend.capabilities.idempotentSubmit).toBe(true);
      const request = makeRequest();
      const { remoteId } = await backend.submit(request);
      expect(remoteId).not.toBe(request.attemptId);
      expect(backend.capabilities.idempotentSubmit).toBe(false);
      expect(logger.lines.some((line) => line.startsWith('warn:') && line.includes('ignores client prompt ids'))).toBe(true);
      expect((await waitForState(backend, remoteId, ['succeeded', 'failed'])).state).toBe('succeeded');
      // No /api/jobs on this server: status comes from /queue and /history.
      expect(server.requests.some((r) => r.path.startsWith('/api/jobs/'))).toBe(true);
      expect((await backend.status(remoteId)).state).toBe('succeeded');
    } finally {
      await server.close();
    }
  });

  it('resubmits without prompt_id when the server refuses it (400 invalid_prompt_id)', async () => {
    const server = await startComfyTestServer({ rejectClientPromptIds: true });
    try {
      const backend = make(server);
      const request = makeRequest();
      const { remoteId } = await backend.submit(request);
      expect(remoteId).not.toBe(request.attemptId);
      expect(backend.capabilities.idempotentSubmit).toBe(false);
      expect((await waitForState(backend, remoteId, ['succeeded', 'failed'])).state).toBe('succeeded');
    } finally {
      await server.close();
    }
  });
});

describe('a server restart loses the queue', () => {
  it('turns watched prompts unknown, reconciles them as unknown, and recovers', async () => {
    const server = await startComfyTestServer();
    try {
      const backend = make(server);
      const finished = await backend.submit(makeRequest());
      await waitForState(backend, finished.remoteId, ['succeeded']);
      server.pause();
      const a = await backend.submit(makeRequest());
      const b = await backend.submit(makeRequest());
      await server.waitForEvent('execution_start', a.remoteId);
      const lost = waitForState(backend, a.remoteId, ['unknown', 'succeeded', 'failed']);

      await server.restart(async () => {
        const error = (await backend.status(b.remoteId).catch((e: unknown) => e)) as BackendError;
        expect(error.kind).toBe('transient');
        expect((await backend.health!()).ok).toBe(false);
      });

      expect((await lost).state).toBe('unknown');
      // A fresh process (nothing cached) asks the server: everything is gone, even the history.
      const fresh = make(server);
      const states = await fresh.reconcile!([
        { remoteId: a.remoteId, attemptId: 'a' },
        { remoteId: b.remoteId, attemptId: 'b' },
        { remoteId: finished.remoteId, attemptId: 'c' },
      ]);
      expect([...states.values()].map((s) => s.state)).toEqual(['unknown', 'unknown', 'unknown']);
      // The backend that saw the success remembers it: terminal states never change.
      expect((await backend.reconcile!([{ remoteId: finished.remoteId, attemptId: 'c' }])).get(finished.remoteId)?.state).toBe(
        'succeeded',
      );
      expect((await backend.health!()).ok).toBe(true);
      const again = await backend.submit(makeRequest());
      expect((await waitForState(backend, again.remoteId, ['succeeded', 'failed'])).state).toBe('succeeded');
    } finally {
      server.resume();
      await server.close();
    }
  });
});

// The contract, on a server of its own.
let contractServer: ComfyTestServer;
testGenerationBackend('comfyui (protocol test server)', async () => {
  contractServer = await startComfyTestServer();
  const backend = comfyUIBackend({
    baseUrl: contractServer.url,
    workflow: TEXT_TO_IMAGE,
    inject: { ...TEXT_TO_IMAGE_INJECT, steps: 'KSampler' },
    ...FAST,
  });
  return {
    backend,
    request: () => makeRequest(),
    invalidRequest: () => makeRequest({ params: { prompt: 'x', height: 100_000 } }),
    slowRequest: () => makeRequest({ params: { prompt: 'slow', steps: 5_000 } }),
    cleanup: async () => {
      await backend.close?.();
      await contractServer.close();
    },
  };
});
