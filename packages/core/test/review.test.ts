import { afterEach, describe, expect, it } from 'vitest';
import { createJobClient, functionBackend, isCoreError, memoryStore, type JobClient, type PipelineDefinition } from '@kiln/core';
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
    await client.waitForRun(runId, { until: 'review', timeoutMs: 5000 });
    expect((await client.getStep(`${runId}/refine`))?.state).toBe('awaiting_review');
    expect((await client.getStep(`${runId}/model`))?.state).toBe('pending');
    const approved = await client.approve(`${runId}/refine`, { by: 'ana', note: 'good' });
    expect(approved.state).toBe('done');
    expect(approved.decisions).toEqual([expect.objectContaining({ kind: 'approve', by: 'ana', note: 'good', revision: 0 })]);
    const again = await client.approve(`${runId}/refine`, { by: 'ana', note: 'good' });
    expect(again.decisions).toHaveLength(1);
    await waitUntil(async () => (await client.getStep(`${runId}/model`))?.state === 'awaiting_review');
    await client.approve(`${runId}/model`);
    expect((await client.waitForRun(runId, { timeoutMs: 5000 })).state).toBe('completed');
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
    await client.waitForRun(runId, { until: 'review', timeoutMs: 5000 });
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
    const run = await client.waitForRun(runId, { timeoutMs: 5000 });
    expect(run.state).toBe('failed');
    expect((await client.getRun(runId))!.steps.map((s) => s.state)).toEqual(['done', 'rejected', 'skipped', 'skipped']);
  });

  it('request changes re-runs the step with the patch', async () => {
    const { client, pipeline, seen } = setup();
    await client.start();
    const { runId } = await client.submit(request, { pipeline });
    await client.waitForRun(runId, { until: 'review', timeoutMs: 5000 });
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
    await client.waitForRun(runId, { until: 'review', timeoutMs: 5000 });
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
