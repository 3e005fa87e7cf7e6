import { afterEach, describe, expect, it } from 'vitest';
import { createJobClient, functionBackend, isCoreError, memoryStore, parseCsvBatch, type CoreEvent, type JobClient, type JobClientOptions, type JobStore } from '@kiln/core';
import { chain, fakePng, memoryLogger, pngOutput, request, waitUntil } from './helpers/fakes.js';

const clients: JobClient[] = [];
function client(options: Partial<JobClientOptions> & Pick<JobClientOptions, 'backends'>): JobClient {
  const c = createJobClient({ store: memoryStore(), logger: memoryLogger(), retry: { baseDelayMs: 1, maxDelayMs: 5 }, ...options });
  clients.push(c);
  return c;
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close({ abort: true })));
});

function tracked(latencyMs: number) {
  let now = 0;
  let max = 0;
  const byProject = new Map<string, number>();
  const order: string[] = [];
  const backend = functionBackend({
    name: 'fn',
    run: async ({ jobId, params }) => {
      now++;
      max = Math.max(max, now);
      order.push(String(params['project'] ?? jobId));
      await new Promise((r) => setTimeout(r, latencyMs));
      now--;
      byProject.set(jobId, (byProject.get(jobId) ?? 0) + 1);
      return [pngOutput()];
    },
  });
  return { backend, max: () => max, order };
}

const csv = (n: number, project: string) =>
  parseCsvBatch({ csv: `name,core_concept\n${Array.from({ length: n }, (_, i) => `${project}-${i},thing ${i}`).join('\n')}\n`, defaults: { project_id: project, asset_type: 'PROP', style: 'flat', platform: 'PC' } });

describe('limits', () => {
  it('holds per-backend concurrency', async () => {
    const t = tracked(10);
    const c = client({ backends: { fn: t.backend }, limits: { concurrency: 8, perBackend: { fn: 2 } } });
    await c.start();
    const { batchId } = await c.submitBatch(csv(12, 'p'), { pipeline: chain(['gen'], 'fn') });
    await c.waitForBatch(batchId, { timeoutMs: 10_000 });
    expect(t.max()).toBe(2);
  });

  it('schedules fairly: a small project is not starved by a big batch submitted first', async () => {
    const projects: string[] = [];
    const backend = functionBackend({ name: 'fn', run: async ({ stepId }) => (projects.push(stepId), await new Promise((r) => setTimeout(r, 5)), [pngOutput()]) });
    const store = memoryStore();
    const c = client({ store, backends: { fn: backend }, limits: { concurrency: 1 } });
    const big = await c.submitBatch(csv(30, 'big'), { pipeline: chain(['gen'], 'fn') });
    const small = await c.submitBatch(csv(3, 'small'), { pipeline: chain(['gen'], 'fn') });
    await c.start();
    await c.waitForBatch(small.batchId, { timeoutMs: 10_000 });
    const runIds = new Set(big.runIds);
    const bigBeforeSmallDone = projects.filter((id) => runIds.has(id.split('/')[0]!)).length;
    expect(bigBeforeSmallDone).toBeLessThanOrEqual(4);
    await c.waitForBatch(big.batchId, { timeoutMs: 10_000 });
  });

  it('refuses a deep queue with back-pressure and an ETA', async () => {
    const c = client({ backends: { fn: tracked(1).backend }, limits: { maxQueued: 5 } });
    await c.submitBatch(csv(4, 'p'), { pipeline: chain(['gen'], 'fn') });
    try {
      await c.submitBatch(csv(3, 'q'), { pipeline: chain(['gen'], 'fn') });
      expect.unreachable();
    } catch (error) {
      expect(isCoreError(error, 'backpressure')).toBe(true);
      expect((error as { details: Record<string, unknown> }).details).toMatchObject({ queueDepth: 4, incoming: 3, maxQueued: 5, etaMs: expect.any(Number) });
    }
  });

  it('holds a project over its GPU-seconds quota, and reports progress with an ETA', async () => {
    const c = client({ backends: { fn: tracked(20).backend }, limits: { concurrency: 1, quotas: { capped: { gpuSeconds: 0.03 } } } });
    await c.start();
    const { batchId } = await c.submitBatch(csv(5, 'capped'), { pipeline: chain(['gen'], 'fn') });
    await waitUntil(async () => ((await c.progress({ batchId })).byState.done ?? 0) >= 2, 5000);
    await new Promise((r) => setTimeout(r, 150));
    const progress = await c.progress({ batchId });
    // Over 30 ms of backend time after two or three 20 ms steps (a step already leased finishes): the rest waits.
    expect(progress.byState.done).toBeLessThanOrEqual(3);
    expect(progress.byState.ready).toBeGreaterThanOrEqual(2);
    expect(progress).toMatchObject({ runs: 5, steps: 5 });
    expect(progress.fraction).toBeLessThan(1);
    expect(progress.etaMs).toBeGreaterThan(0);
  });
});

describe('quality', () => {
  it('regenerates Poor outputs with a new seed, up to the limit', async () => {
    const seeds: number[] = [];
    const backend = functionBackend({ name: 'fn', run: ({ params }) => (seeds.push(params['seed'] as number), [pngOutput(seeds.length < 3 ? 64 : 512, seeds.length < 3 ? 64 : 512)]) });
    const c = client({ backends: { fn: backend } });
    await c.start();
    const { runId } = await c.submit(request, { pipeline: { name: 'rated', steps: [{ name: 'gen', backend: 'fn', rate: true }] } });
    await c.waitForRun(runId, { timeoutMs: 20_000 });
    const step = (await c.getStep(`${runId}/gen`))!;
    expect(new Set(seeds).size).toBe(3);
    expect(step).toMatchObject({ revision: 2, quality: { rating: 'AA', regenerations: 2 } });
    expect(step.lineage?.supersedes).toHaveLength(2);
    const retries = (await c.events()).filter((e) => e.type === 'StepRetryScheduled');
    expect(retries.map((e) => e.data['reason'])).toEqual(['quality_poor', 'quality_poor']);

    const always = functionBackend({ name: 'poor', run: () => [{ filename: 'x.png', contentType: 'image/png', data: fakePng(32, 32) }] });
    const d = client({ backends: { poor: always }, quality: { maxRegenerations: 1 } });
    await d.start();
    const second = await d.submit(request, { pipeline: { name: 'rated', steps: [{ name: 'gen', backend: 'poor', rate: true }] } });
    await d.waitForRun(second.runId, { timeoutMs: 20_000 });
    expect(await d.getStep(`${second.runId}/gen`)).toMatchObject({ state: 'done', quality: { rating: 'Poor', regenerations: 1 } });
  });
});

describe('events and metrics', () => {
  it('delivers events at least once, in order, and a named consumer resumes after its position', async () => {
    const store: JobStore = memoryStore();
    const c = client({ store, backends: { fn: tracked(1).backend } });
    await c.start();
    const seen: CoreEvent[] = [];
    let failOnce = true;
    const sub = c.subscribe(
      (e) => {
        if (e.type === 'StepStarted' && failOnce) {
          failOnce = false;
          throw new Error('downstream hiccup');
        }
        seen.push(e);
      },
      { consumer: 'audit', afterSeq: 0, retryDelayMs: 5 },
    );
    const { runId } = await c.submit(request, { pipeline: chain(['a', 'b'], 'fn') });
    await c.waitForRun(runId, { timeoutMs: 20_000 });
    await waitUntil(async () => seen.at(-1)?.type === 'RunCompleted');
    await sub.close();
    expect(seen.map((e) => e.seq)).toEqual(seen.map((_, i) => i + 1));
    expect(seen.filter((e) => e.type === 'StepStarted')).toHaveLength(2);
    expect(await store.getCursor('audit')).toBe(seen.at(-1)!.seq);

    const second = await c.submit({ ...request, name: 'barrel' }, { pipeline: chain(['a'], 'fn') });
    await c.waitForRun(second.runId, { timeoutMs: 20_000 });
    const resumed: CoreEvent[] = [];
    const again = c.subscribe((e) => void resumed.push(e), { consumer: 'audit' });
    await waitUntil(async () => resumed.at(-1)?.type === 'RunCompleted');
    await again.close();
    expect(resumed[0]?.seq).toBe(seen.at(-1)!.seq + 1);
    expect(resumed.every((e) => e.runId === second.runId)).toBe(true);
  });

  it('computes latency, success rate, assets per day and cost per asset', async () => {
    let calls = 0;
    const backend = functionBackend({ name: 'fn', run: async () => { if (++calls === 2) throw new Error('503'); await new Promise((r) => setTimeout(r, 5)); return [pngOutput()]; } });
    const c = client({ backends: { fn: backend }, costs: { fn: { perCall: 0.01, perSecond: 1 } } });
    await c.start();
    const { batchId } = await c.submitBatch(csv(3, 'm'), { pipeline: chain(['gen'], 'fn') });
    await c.waitForBatch(batchId, { timeoutMs: 20_000 });
    const metrics = await c.metrics();
    expect(metrics.steps).toEqual([expect.objectContaining({ operation: 'op_gen', backend: 'fn', count: 3, succeeded: 3, successRate: 1, retries: 1 })]);
    expect(metrics.steps[0]!.latencyMs.p50).toBeGreaterThanOrEqual(4);
    expect(Object.values(metrics.assetsPerDay)[0]).toEqual({ PROP: 3 });
    expect(metrics.cost.assets).toBe(3);
    expect(metrics.cost.perAsset).toBeGreaterThan(0.01);
    expect(metrics.queue).toEqual({ done: 3 });
  });
});
