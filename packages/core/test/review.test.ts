import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  builtinPipeline,
  createJobClient,
  functionBackend,
  isCoreError,
  memorySink,
  memoryStore,
  notificationForEvent,
  openJsonlStore,
  validatePipeline,
  type JobClient,
  type PipelineDefinition,
} from '@kiln/core';
import { fakePng, memoryLogger, pngOutput, request, waitUntil } from './helpers/fakes.js';

const clients: JobClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close({ abort: true })));
});

/** gen → refine(review) → model(review) → export; the backend records what it was given. */
function setup(options: { gate?: Promise<void> } = {}) {
  const seen: { operation: string; seed: number; prompt: unknown; input?: string }[] = [];
  const backend = functionBackend({
    name: 'fn',
    run: async ({ operation, params, inputs }) => {
      if (options.gate && operation === 'refine') await options.gate;
      seen.push({ operation, seed: params['seed'] as number, prompt: params['prompt'], ...(inputs[0] ? { input: inputs[0].sha256 } : {}) });
      return [pngOutput(256, 256, seen.length)];
    },
  });
  const pipeline: PipelineDefinition = {
    name: 'reviewed',
    steps: [
      { name: 'gen', backend: 'fn', rate: false },
      { name: 'refine', backend: 'fn', dependsOn: ['gen'], review: true, rate: false },
      { name: 'model', backend: 'fn', dependsOn: ['refine'], review: true, rate: false },
      { name: 'export', backend: 'fn', dependsOn: ['model'], rate: false },
    ],
  };
  const client = createJobClient({ store: memoryStore(), backends: { fn: backend }, logger: memoryLogger() });
  clients.push(client);
  return { client, backend, seen, pipeline };
}

describe('review checkpoints', () => {
  it('waits in awaiting_review; approve continues; approving twice is a no-op', async () => {
    const { client, pipeline, backend } = setup();
    await client.start();
    const { runId } = await client.submit(request, { pipeline });
    await client.waitForRun(runId, { until: 'review', timeoutMs: 20_000 });
    expect((await client.getStep(`${runId}/refine`))?.state).toBe('awaiting_review');
    expect((await client.getStep(`${runId}/model`))?.state).toBe('pending');
    const approved = await client.approve(`${runId}/refine`, { by: 'ana', note: 'good' });
    expect(approved.state).toBe('done');
    expect(approved.decisions).toEqual([expect.objectContaining({ kind: 'approve', by: 'ana', note: 'good', revision: 0 })]);
    const again = await client.approve(`${runId}/refine`, { by: 'ana', note: 'good' });
    expect(again.decisions).toHaveLength(1);
    await waitUntil(async () => (await client.getStep(`${runId}/model`))?.state === 'awaiting_review');
    await client.approve(`${runId}/model`);
    expect((await client.waitForRun(runId, { timeoutMs: 20_000 })).state).toBe('completed');
    expect(backend.executions).toBe(4);
    const reviews = (await client.events()).filter((e) => e.type === 'UserReviewUpdated');
    expect(reviews.map((e) => e.data['decision'])).toEqual(['approve', 'approve']);
  });

  it('accepts a decision that arrives early and applies it when the step reaches review', async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const { client, pipeline } = setup({ gate });
    await client.start();
    const { runId } = await client.submit(request, { pipeline });
    await waitUntil(async () => (await client.getStep(`${runId}/refine`))?.state === 'running');
    const early = await client.approve(`${runId}/refine`, { by: 'ana' });
    expect(early.state).toBe('running');
    expect(early.earlyDecision).toMatchObject({ kind: 'approve', by: 'ana' });
    await client.approve(`${runId}/refine`, { by: 'ana' }); // twice, still early
    open();
    await waitUntil(async () => (await client.getStep(`${runId}/model`))?.state === 'awaiting_review');
    const refine = (await client.getStep(`${runId}/refine`))!;
    expect(refine.state).toBe('done');
    expect(refine.decisions).toHaveLength(1);
    expect(refine.earlyDecision).toBeUndefined();
  });

  it('reject without rewindTo ends the branch; with rewindTo re-runs from there with new seeds and lineage', async () => {
    const { client, pipeline, seen } = setup();
    await client.start();
    const { runId } = await client.submit(request, { pipeline });
    await client.waitForRun(runId, { until: 'review', timeoutMs: 20_000 });
    const before = (await client.getRun(runId))!.steps;
    const oldGenKey = before[0]?.key;
    await expect(client.reject(`${runId}/refine`, { rewindTo: 'export' })).rejects.toSatisfy((e) => isCoreError(e, 'review_conflict'));
    await expect(client.reject(`${runId}/refine`, { rewindTo: 'nope' })).rejects.toThrow(/"nope" is not a step of this run/);
    const rejected = await client.reject(`${runId}/refine`, { rewindTo: 'gen', note: 'wrong silhouette' });
    expect(rejected.state).toBe('pending');
    expect(rejected.decisions).toEqual([expect.objectContaining({ kind: 'reject', rewindTo: 'gen', revision: 0 })]);
    await client.reject(`${runId}/refine`, { rewindTo: 'gen', note: 'wrong silhouette' }); // a repeat is a no-op
    await waitUntil(async () => (await client.getStep(`${runId}/refine`))?.state === 'awaiting_review');
    const gen = (await client.getStep(`${runId}/gen`))!;
    expect(gen.revision).toBe(1);
    expect(gen.lineage?.supersedes).toEqual([oldGenKey]);
    expect(seen.filter((s) => s.operation === 'gen').map((s) => s.seed)).toHaveLength(2);
    expect(new Set(seen.filter((s) => s.operation === 'gen').map((s) => s.seed)).size).toBe(2);

    const ended = await client.reject(`${runId}/refine`);
    expect(ended.state).toBe('rejected');
    const run = await client.waitForRun(runId, { timeoutMs: 20_000 });
    expect(run.state).toBe('failed');
    expect((await client.getRun(runId))!.steps.map((s) => s.state)).toEqual(['done', 'rejected', 'skipped', 'skipped']);
  });

  it('request changes re-runs the step with the patch', async () => {
    const { client, pipeline, seen } = setup();
    await client.start();
    const { runId } = await client.submit(request, { pipeline });
    await client.waitForRun(runId, { until: 'review', timeoutMs: 20_000 });
    const changed = await client.requestChanges(`${runId}/refine`, { patch: { prompt: 'wooden crate, darker' }, by: 'ana' });
    expect(changed.revision).toBe(1);
    await client.requestChanges(`${runId}/refine`, { patch: { prompt: 'wooden crate, darker' }, by: 'ana' }); // same decision: no-op
    await waitUntil(async () => (await client.getStep(`${runId}/refine`))?.state === 'awaiting_review');
    expect(seen.filter((s) => s.operation === 'refine').map((s) => s.prompt)).toEqual(['wooden crate, low poly style, iron bands', 'wooden crate, darker']);
  });

  it('lets the reviewer replace an output; the pipeline continues from the edited file', async () => {
    const { client, pipeline, seen } = setup();
    await client.start();
    const { runId } = await client.submit(request, { pipeline });
    await client.waitForRun(runId, { until: 'review', timeoutMs: 20_000 });
    const painted = fakePng(256, 256, 999);
    const approved = await client.approve(`${runId}/refine`, { by: 'ana', replaceOutputs: [{ contentType: 'image/png', data: painted }] });
    expect(approved.lineage?.reviewerEdit).toBe(true);
    expect(approved.outputs?.[0]).toMatchObject({ filename: 'prop_crate_base-refine-edit_256x256.png', metadata: { reviewerEdit: true } });
    await waitUntil(async () => (await client.getStep(`${runId}/model`))?.state === 'awaiting_review');
    expect(seen.find((s) => s.operation === 'model')?.input).toBe(approved.outputs?.[0]?.sha256);
    const indexed = (await client.events()).filter((e) => e.type === 'AssetIndexed' && e.data['reviewerEdit']);
    expect(indexed).toHaveLength(1);
  });

  it('refuses review of a step without a checkpoint', async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const { client, pipeline } = setup({ gate });
    await client.start();
    const { runId } = await client.submit(request, { pipeline });
    await expect(client.approve(`${runId}/export`)).rejects.toThrow(/has no review checkpoint/);
    await expect(client.approve('nope/x')).rejects.toSatisfy((e) => isCoreError(e, 'not_found'));
    open();
  });
});

describe('review timeouts', () => {
  function timed(action: 'approve' | 'reject' | 'escalate', afterMs = 60) {
    const backend = functionBackend({ name: 'fn', run: async () => [pngOutput(256, 256, 1)] });
    const pipeline: PipelineDefinition = {
      name: 'timed',
      steps: [
        { name: 'gen', backend: 'fn', rate: false },
        { name: 'refine', backend: 'fn', dependsOn: ['gen'], review: true, reviewTimeout: { afterMs, action }, rate: false },
        { name: 'export', backend: 'fn', dependsOn: ['refine'], rate: false },
      ],
    };
    return { backend, pipeline };
  }
  function make(options: Partial<Parameters<typeof createJobClient>[0]> & Pick<Parameters<typeof createJobClient>[0], 'backends'>) {
    const client = createJobClient({ store: memoryStore(), logger: memoryLogger(), ...options });
    clients.push(client);
    return client;
  }

  it('approves on the reviewer\'s behalf when nobody decides in time, and the run goes on', async () => {
    const { backend, pipeline } = timed('approve');
    const client = make({ backends: { fn: backend } });
    await client.start();
    const { runId } = await client.submit(request, { pipeline });
    await client.waitForRun(runId, { until: 'review', timeoutMs: 20_000 });
    expect((await client.getStep(`${runId}/refine`))?.notBefore).toBeGreaterThan(0);
    expect((await client.waitForRun(runId, { timeoutMs: 20_000 })).state).toBe('completed');
    const refine = (await client.getStep(`${runId}/refine`))!;
    expect(refine.decisions).toEqual([expect.objectContaining({ kind: 'approve', by: 'kiln:timeout', note: 'no review decision within 60 ms', id: 'timeout-0' })]);
    expect(refine).not.toHaveProperty('notBefore');
    const reviews = (await client.events()).filter((e) => e.type === 'UserReviewUpdated');
    expect(reviews.map((e) => [e.data['decision'], e.data['by']])).toEqual([['approve', 'kiln:timeout']]);
  });

  it('rejects when the timeout says so: the branch ends', async () => {
    const { backend, pipeline } = timed('reject');
    const client = make({ backends: { fn: backend } });
    await client.start();
    const { runId } = await client.submit(request, { pipeline });
    await client.waitForRun(runId, { timeoutMs: 20_000 });
    const { steps } = (await client.getRun(runId))!;
    expect(steps.map((s) => s.state)).toEqual(['done', 'rejected', 'skipped']);
    expect(steps[1]?.decisions[0]).toMatchObject({ kind: 'reject', by: 'kiln:timeout' });
    expect(backend.executions).toBe(2);
  });

  it('escalates once (an event and a WARNING notification) and keeps waiting for a human', async () => {
    const { backend, pipeline } = timed('escalate', 40);
    const client = make({ backends: { fn: backend } });
    await client.start();
    const { runId } = await client.submit(request, { pipeline });
    await client.waitForRun(runId, { until: 'review', timeoutMs: 20_000 });
    await waitUntil(async () => (await client.events()).some((e) => e.type === 'UserReviewUpdated'));
    await new Promise((r) => setTimeout(r, 150)); // long past the timeout: no second escalation
    const escalations = (await client.events()).filter((e) => e.type === 'UserReviewUpdated');
    expect(escalations).toHaveLength(1);
    expect(escalations[0]?.data).toMatchObject({ step: 'refine', escalated: true, note: 'no review decision within 40 ms' });
    expect(notificationForEvent(escalations[0]!)).toMatchObject({ type: 'WARNING', title: 'Review overdue: refine' });
    const refine = (await client.getStep(`${runId}/refine`))!;
    expect(refine.state).toBe('awaiting_review');
    expect(refine.decisions).toEqual([]);
    await client.approve(`${runId}/refine`, { by: 'ana' });
    expect((await client.waitForRun(runId, { timeoutMs: 20_000 })).state).toBe('completed');
  });

  it('does nothing once a human decided first', async () => {
    const { backend, pipeline } = timed('reject', 200);
    const client = make({ backends: { fn: backend } });
    await client.start();
    const { runId } = await client.submit(request, { pipeline });
    await client.waitForRun(runId, { until: 'review', timeoutMs: 20_000 });
    await client.approve(`${runId}/refine`, { by: 'ana' });
    expect((await client.waitForRun(runId, { timeoutMs: 20_000 })).state).toBe('completed');
    await new Promise((r) => setTimeout(r, 300));
    const refine = (await client.getStep(`${runId}/refine`))!;
    expect(refine.decisions.map((d) => d.by)).toEqual(['ana']);
    expect(refine.state).toBe('done');
  });

  it('is a persisted timer: a restarted client fires a timeout that fell due while it was down', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kiln-review-timeout-'));
    try {
      const { backend, pipeline } = timed('approve', 300);
      // The job store and the artifacts outlive the client (a real deployment stores them durably).
      const artifacts = memorySink();
      const firstStore = await openJsonlStore({ dir });
      const first = createJobClient({ store: firstStore, artifacts, backends: { fn: backend }, logger: memoryLogger() });
      await first.start();
      const { runId } = await first.submit(request, { pipeline });
      await first.waitForRun(runId, { until: 'review', timeoutMs: 20_000 });
      await first.close();
      await firstStore.close();
      await new Promise((r) => setTimeout(r, 400));
      const secondStore = await openJsonlStore({ dir });
      const second = createJobClient({ store: secondStore, artifacts, backends: { fn: backend }, logger: memoryLogger() });
      try {
        await second.start();
        const settled = await second.waitForRun(runId, { timeoutMs: 20_000 });
        expect(settled.state, JSON.stringify((await second.getRun(runId))?.steps.map((s) => [s.name, s.state, s.error?.message]))).toBe('completed');
        expect((await second.getStep(`${runId}/refine`))?.decisions[0]).toMatchObject({ by: 'kiln:timeout' });
      } finally {
        await second.close();
        await secondStore.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a timeout that is not a positive whole number of ms or has an unknown action, naming the field', () => {
    const step = { name: 'refine', backend: 'fn', review: true };
    expect(() => validatePipeline({ name: 'p', steps: [{ ...step, reviewTimeout: { afterMs: 0, action: 'approve' } }] })).toThrow(/steps\.0\.reviewTimeout\.afterMs/);
    expect(() => validatePipeline({ name: 'p', steps: [{ ...step, reviewTimeout: { afterMs: 10, action: 'ignore' } }] } as never)).toThrow(/steps\.0\.reviewTimeout\.action/);
  });

  it('is set on every review checkpoint of a built-in template', () => {
    const pipeline = builtinPipeline('3D_CHARACTER', { reviewTimeout: { afterMs: 86_400_000, action: 'escalate' } });
    const reviewed = pipeline.steps.filter((s) => s.review);
    expect(reviewed.length).toBe(4);
    expect(reviewed.every((s) => s.reviewTimeout?.action === 'escalate')).toBe(true);
    expect(pipeline.steps.filter((s) => !s.review).every((s) => s.reviewTimeout === undefined)).toBe(true);
  });
});
