import { afterEach, describe, expect, it } from 'vitest';
import { BackendError, createJobClient, functionBackend, memoryStore, parseCsvBatch, type CoreEvent, type JobClient, type JobClientOptions } from '@kiln/core';
import { chain, echoBackend, memoryLogger, pngOutput, request, scriptedBackend, waitUntil } from './helpers/fakes.js';

const clients: JobClient[] = [];
function client(options: Partial<JobClientOptions> & Pick<JobClientOptions, 'backends'>): JobClient {
  const c = createJobClient({ store: memoryStore(), logger: memoryLogger(), retry: { baseDelayMs: 1, maxDelayMs: 5, concurrencyWaitMs: 2 }, poll: { minMs: 5, maxMs: 20 }, ...options });
  clients.push(c);
  return c;
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close({ abort: true })));
});

describe('job client: runs', () => {
  it('runs a pipeline in order, stores named outputs and records the events of every transition', async () => {
    const backend = echoBackend();
    const c = client({ backends: { echo: backend } });
    await c.start();
    const { runId, created } = await c.submit(request, { pipeline: chain(['gen', 'upscale', 'export']) });
    expect(created).toBe(true);
    const run = await c.waitForRun(runId, { timeoutMs: 20_000 });
    expect(run.state).toBe('completed');
    const { steps } = (await c.getRun(runId))!;
    expect(steps.map((s) => s.state)).toEqual(['done', 'done', 'done']);
    expect(steps[0]?.outputs?.[0]?.filename).toBe('prop_crate_base-gen_512x512.png');
    expect(steps[2]?.outputs?.[0]?.filename).toBe('prop_crate_base_512x512.png');
    expect(steps[1]?.inputs?.[0]?.sha256).toBe(steps[0]?.outputs?.[0]?.sha256);
    expect(steps.every((s) => s.key?.length === 64)).toBe(true);
    const types = (await c.events()).map((e) => `${e.type}${e.stepId ? `:${e.stepId.split('/')[1]}` : ''}`);
    expect(types).toEqual([
      'RunCreated',
      'StepReady:gen',
      'StepStarted:gen',
      'StepCompleted:gen',
      'AssetIndexed:gen',
      'StepReady:upscale',
      'StepStarted:upscale',
      'StepCompleted:upscale',
      'AssetIndexed:upscale',
      'StepReady:export',
      'StepStarted:export',
      'StepCompleted:export',
      'AssetIndexed:export',
      'RunCompleted',
    ]);
    const events = await c.events();
    expect(events.every((e) => e.correlation.job_id === runId)).toBe(true);
    expect(backend.executions).toBe(3);
  });

  it('never runs a step twice: resubmitting or re-importing is a no-op, equal keys reuse outputs', async () => {
    const backend = echoBackend();
    const c = client({ backends: { echo: backend } });
    await c.start();
    const first = await c.submit(request, { pipeline: chain(['gen']) });
    await c.waitForRun(first.runId, { timeoutMs: 20_000 });
    const again = await c.submit(request, { pipeline: chain(['gen']) });
    expect(again).toMatchObject({ runId: first.runId, created: false });
    // Another pipeline with the same first step: its key is done, the outputs are reused.
    const other = await c.submit(request, { pipeline: chain(['gen', 'more']) });
    await c.waitForRun(other.runId, { timeoutMs: 20_000 });
    const { steps } = (await c.getRun(other.runId))!;
    expect(steps[0]?.lineage?.reusedFrom).toBe(`${first.runId}/gen`);
    expect(backend.executions).toBe(2);

    const csv = 'name,core_concept\ncrate,wooden crate\nbarrel,oak barrel\n';
    const defaults = { project_id: 'td', asset_type: 'PROP', style: 'low poly', platform: 'PC' } as const;
    const b1 = await c.submitBatch(parseCsvBatch({ csv, defaults }), { pipeline: chain(['gen']) });
    expect(b1.created).toBe(2);
    await c.waitForBatch(b1.batchId, { timeoutMs: 20_000 });
    const b2 = await c.submitBatch(parseCsvBatch({ csv, defaults }), { pipeline: chain(['gen']) });
    expect(b2).toMatchObject({ batchId: b1.batchId, runIds: b1.runIds, created: 0 });
    expect(backend.executions).toBe(4);
  });

  it('joins a fan-in only when every dependency is done', async () => {
    const order: string[] = [];
    const backend = functionBackend({
      name: 'fn',
      run: async ({ operation }) => {
        await new Promise((r) => setTimeout(r, operation === 'left' ? 30 : 5));
        order.push(operation);
        return [pngOutput(64, 64, order.length)];
      },
    });
    const c = client({ backends: { fn: backend } });
    await c.start();
    const { runId } = await c.submit(request, {
      pipeline: {
        name: 'fan',
        steps: [
          { name: 'root', backend: 'fn', rate: false },
          { name: 'left', backend: 'fn', dependsOn: ['root'], rate: false },
          { name: 'right', backend: 'fn', dependsOn: ['root'], rate: false },
          { name: 'merge', backend: 'fn', dependsOn: ['left', 'right'], rate: false },
        ],
      },
    });
    await c.waitForRun(runId, { timeoutMs: 20_000 });
    expect(order).toEqual(['root', 'right', 'left', 'merge']);
    const merge = (await c.getStep(`${runId}/merge`))!;
    expect(merge.inputs?.map((i) => i.name)).toEqual(['image', 'right.image']);
  });

  it('follows asynchronous backends through pushed statuses and polling, with coalesced progress', async () => {
    const backend = functionBackend({ name: 'async', mode: 'async', run: async () => (await new Promise((r) => setTimeout(r, 30)), [pngOutput()]) });
    const c = client({ backends: { async: backend } });
    await c.start();
    const { runId } = await c.submit(request, { pipeline: chain(['gen'], 'async') });
    expect((await c.waitForRun(runId, { timeoutMs: 20_000 })).state).toBe('completed');
    const step = (await c.getStep(`${runId}/gen`))!;
    expect(step.remoteId).toBe(step.attemptId);
  });

  it('cancels a run: unfinished steps are canceled and the running attempt is dropped', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const backend = functionBackend({ name: 'slow', run: async () => (await gate, [pngOutput()]) });
    const c = client({ backends: { slow: backend } });
    await c.start();
    const { runId } = await c.submit(request, { pipeline: chain(['a', 'b'], 'slow') });
    await waitUntil(async () => (await c.getStep(`${runId}/a`))?.state === 'running');
    const run = await c.cancelRun(runId);
    release();
    expect(run.state).toBe('canceled');
    const { steps } = (await c.getRun(runId))!;
    expect(steps.map((s) => s.state)).toEqual(['canceled', 'canceled']);
    const last = (await c.events()).at(-1) as CoreEvent;
    expect(last).toMatchObject({ type: 'RunCompleted', data: { state: 'canceled' } });
  });
});

describe('job client: failures', () => {
  it('retries transient failures and request-rate 429s with backoff, using attempts', async () => {
    let calls = 0;
    const backend = functionBackend({
      name: 'flaky',
      run: () => {
        calls++;
        if (calls === 1) throw new BackendError('transient', 'HTTP 503');
        if (calls === 2) throw new BackendError('rate_requests', 'HTTP 429 RateLimitExceeded', { retryAfterMs: 10 });
        return [pngOutput()];
      },
    });
    const c = client({ backends: { flaky: backend } });
    await c.start();
    const { runId } = await c.submit(request, { pipeline: chain(['gen'], 'flaky') });
    expect((await c.waitForRun(runId, { timeoutMs: 20_000 })).state).toBe('completed');
    const step = (await c.getStep(`${runId}/gen`))!;
    expect(step.attempts).toBe(2);
    expect(new Set(backend.attempts).size).toBe(3); // a new attempt id per submission
    const retries = (await c.events()).filter((e) => e.type === 'StepRetryScheduled');
    expect(retries.map((e) => [e.data['kind'], e.data['attemptUsed']])).toEqual([
      ['transient', true],
      ['rate_requests', true],
    ]);
    expect(retries[1]?.data['delayMs']).toBeGreaterThanOrEqual(10);
  });

  it('concurrency 429s wait in the queue without using attempts', async () => {
    let calls = 0;
    const backend = functionBackend({
      name: 'busy',
      run: () => {
        if (++calls <= 6) throw new BackendError('rate_concurrency', 'NoMoreConcurrentTasks');
        return [pngOutput()];
      },
    });
    const c = client({ backends: { busy: backend }, retry: { maxAttempts: 2, baseDelayMs: 1, concurrencyWaitMs: 2 } });
    await c.start();
    const { runId } = await c.submit(request, { pipeline: chain(['gen'], 'busy') });
    expect((await c.waitForRun(runId, { timeoutMs: 20_000 })).state).toBe('completed');
    expect(await c.getStep(`${runId}/gen`)).toMatchObject({ attempts: 0, waits: 6 });
  });

  it('dead-letters non-retryable and exhausted steps with redacted errors; redrive and discard', async () => {
    let fail = true;
    const backend = functionBackend({
      name: 'bad',
      run: () => {
        if (fail) throw new BackendError('input_invalid', 'value_not_in_list: ckpt_name; Authorization: Bearer abcdef123456 url https://x.test/o?X-Amz-Signature=deadbeef');
        return [pngOutput()];
      },
    });
    const c = client({ backends: { bad: backend } });
    await c.start();
    const { runId } = await c.submit({ ...request, prompt: { ...request.prompt, details: 'api_key=sk-abcdefghijkl' } }, { pipeline: chain(['gen', 'next'], 'bad') });
    expect((await c.waitForRun(runId, { timeoutMs: 20_000 })).state).toBe('failed');
    const [entry] = await c.deadLetters.list();
    expect(entry).toMatchObject({ stepId: `${runId}/gen`, attempts: 1, reason: 'input_invalid: not retryable', error: { kind: 'input_invalid' } });
    expect(entry?.error?.message).toBe('value_not_in_list: ckpt_name; Authorization: Bearer [REDACTED] url https://x.test/o?X-Amz-Signature=[REDACTED]');
    expect(String(entry?.params['prompt'])).not.toContain('sk-abcdefghijkl');
    expect((await c.getStep(`${runId}/next`))?.state).toBe('pending');

    fail = false;
    await c.deadLetters.redrive(`${runId}/gen`);
    await c.deadLetters.redrive(`${runId}/gen`); // twice is safe
    expect((await c.waitForRun(runId, { timeoutMs: 20_000 })).state).toBe('completed');
    expect(await c.deadLetters.list()).toEqual([]);

    fail = true;
    const second = await c.submit({ ...request, name: 'barrel' }, { pipeline: chain(['gen', 'next'], 'bad') });
    await c.waitForRun(second.runId, { timeoutMs: 20_000 });
    await c.deadLetters.discard(`${second.runId}/gen`);
    const { steps } = (await c.getRun(second.runId))!;
    expect(steps.map((s) => s.state)).toEqual(['failed', 'skipped']);
  });

  it('dead-letters after the attempt cap', async () => {
    const backend = functionBackend({ name: 'down', run: () => { throw new Error('ECONNRESET'); } });
    const c = client({ backends: { down: backend }, retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 }, breaker: { failureThreshold: 100 } });
    await c.start();
    const { runId } = await c.submit(request, { pipeline: chain(['gen'], 'down') });
    await c.waitForRun(runId, { timeoutMs: 20_000 });
    expect(await c.getStep(`${runId}/gen`)).toMatchObject({ state: 'dead_lettered', attempts: 3, deadLetter: { reason: 'transient: 3 of 3 attempts used' } });
    expect(backend.executions).toBe(3);
  });

  it('opens the breaker after more than 5 failures in a minute and routes to the fallback, then probes with health()', async () => {
    let healthy = false;
    const primary = functionBackend({
      name: 'primary',
      run: () => {
        if (!healthy) throw new BackendError('transient', 'CUDA out of memory');
        return [pngOutput()];
      },
      health: async () => ({ ok: healthy }),
    });
    const fallback = echoBackend({ name: 'fallback' });
    let t = 1_000_000;
    const c = client({
      backends: { primary, fallback },
      now: () => t,
      retry: { maxAttempts: 100, baseDelayMs: 0, maxDelayMs: 0 },
      breaker: { failureThreshold: 5, windowMs: 60_000, openMs: 30_000 },
    });
    await c.start();
    const pipeline = chain(['gen'], 'primary', { fallbacks: [{ backend: 'fallback', model: 'sd15' }] });
    const { runId } = await c.submit(request, { pipeline });
    expect((await c.waitForRun(runId, { timeoutMs: 20_000 })).state).toBe('completed');
    expect(primary.executions).toBe(6);
    const step = (await c.getStep(`${runId}/gen`))!;
    expect(step.route).toEqual({ backend: 'fallback', model: 'sd15', fallback: 0 });
    expect(step.lineage?.fallbackOf).toMatch(/^[0-9a-f]{64}$/);
    expect(step.lineage?.fallbackOf).not.toBe(step.key);
    const primaryBreaker = () => c.breakers().find((b) => b.key === 'primary|');
    expect(primaryBreaker()).toMatchObject({ state: 'open', failures: 6 });
    t += 31_000;
    expect(primaryBreaker()?.state).toBe('half_open');
    healthy = true;
    const next = await c.submit({ ...request, name: 'barrel' }, { pipeline });
    await c.waitForRun(next.runId, { timeoutMs: 20_000 });
    expect((await c.getStep(`${next.runId}/gen`))?.route.backend).toBe('primary'); // the health probe passed: back on primary
    expect(primaryBreaker()?.state).toBe('closed');
    expect(primary.executions).toBe(7);
  });

  it('dead-letters a step whose backend is out of credits at once, and opens that breaker so the next run falls back', async () => {
    const primary = functionBackend({ name: 'primary', run: () => { throw new BackendError('insufficient_credits', 'POST /v2/task: 402 Payment Required'); } });
    const fallback = echoBackend({ name: 'fallback' });
    const c = client({ backends: { primary, fallback }, retry: { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 2 } });
    await c.start();
    const first = await c.submit(request, { pipeline: chain(['gen'], 'primary') });
    await c.waitForRun(first.runId, { timeoutMs: 20_000 });
    expect(await c.getStep(`${first.runId}/gen`)).toMatchObject({
      state: 'dead_lettered',
      attempts: 1,
      error: { kind: 'insufficient_credits' },
      deadLetter: { reason: expect.stringContaining('out of credits') },
    });
    expect(primary.executions).toBe(1);
    expect(c.breakers().find((b) => b.key === 'primary|')?.state).toBe('open');

    const second = await c.submit({ ...request, name: 'barrel' }, { pipeline: chain(['gen'], 'primary', { fallbacks: [{ backend: 'fallback' }] }) });
    expect((await c.waitForRun(second.runId, { timeoutMs: 20_000 })).state).toBe('completed');
    expect((await c.getStep(`${second.runId}/gen`))?.route.backend).toBe('fallback');
    expect(primary.executions).toBe(1);
  });

  it('gives a task that expired on the backend a new attempt', async () => {
    const remote = scriptedBackend('remote', [
      [{ state: 'queued' }, { state: 'expired' }],
      [{ state: 'running' }, { state: 'succeeded' }],
    ]);
    const c = client({ backends: { remote } });
    await c.start();
    const { runId } = await c.submit(request, { pipeline: chain(['gen'], 'remote') });
    expect((await c.waitForRun(runId, { timeoutMs: 20_000 })).state).toBe('completed');
    expect(remote.attemptIds).toHaveLength(2);
    expect(new Set(remote.attemptIds).size).toBe(2);
    const retries = (await c.events()).filter((e) => e.type === 'StepRetryScheduled');
    expect(retries.map((e) => e.data['kind'])).toEqual(['transient']);
    expect(String(retries[0]?.data['message'])).toContain('expired');
  });

  it('reports the place in the backend queue on StepProgress events', async () => {
    const remote = scriptedBackend('remote', [
      [{ state: 'queued', queuePosition: 2 }, { state: 'queued', queuePosition: 2 }, { state: 'queued', queuePosition: 1 }, { state: 'queued', queuePosition: 0 }, { state: 'running' }, { state: 'succeeded' }],
    ]);
    const c = client({ backends: { remote }, progressIntervalMs: 0 });
    await c.start();
    const { runId } = await c.submit(request, { pipeline: chain(['gen'], 'remote') });
    expect((await c.waitForRun(runId, { timeoutMs: 20_000 })).state).toBe('completed');
    const progress = (await c.events()).filter((e) => e.type === 'StepProgress');
    expect(progress.map((e) => e.data['queuePosition'])).toEqual([2, 1, 0]);
    expect(progress.every((e) => e.stepId === `${runId}/gen`)).toBe(true);
  });
});
