// Stage 2: generation. The batch runs through @kiln/core on the procedural backend (CPU only, no
// GPU, deterministic by seed); every output is stored through @kiln/storage as it is made.
//   - every model passes one review checkpoint (its concept image), approved automatically,
//     or in the terminal with --interactive;
//   - one task fails once on purpose (a transient backend error) and is retried.
import { createInterface } from 'node:readline/promises';
import {
  BackendError,
  QUALITY_SCORE,
  createJobClient,
  memoryStore,
  parseAssetFileName,
  proceduralBackend,
  storageSink,
  validatePipeline,
} from '@kiln/core';
import { createProgress } from './progress.mjs';
import { say } from './terminal.mjs';

/** Concept image → review → mesh → retopology → export; the same chain for props, units and buildings. */
export const MODEL_PIPELINE = validatePipeline({
  name: 'strategy-model',
  steps: [
    { name: 'text_to_image', backend: 'procedural', review: true },
    { name: 'image_to_3d', backend: 'procedural', dependsOn: ['text_to_image'] },
    { name: 'retopology', backend: 'procedural', dependsOn: ['image_to_3d'] },
    { name: 'export', backend: 'procedural', dependsOn: ['retopology'] },
  ],
});

/** The task that fails once: the mesh of the barracks. */
export const FLAKY_TASK = { operation: 'image_to_3d', assetName: 'barracks' };

/**
 * The procedural backend, with one transient failure injected: the first attempt of
 * {@link FLAKY_TASK} throws, as a GPU host that drops a connection would. @kiln/core retries it.
 */
function flakyOnce(backend, onFailure) {
  let failed = false;
  return {
    ...backend,
    async submit(request) {
      if (!failed && request.operation === FLAKY_TASK.operation && request.params['asset_name'] === FLAKY_TASK.assetName) {
        failed = true;
        onFailure(request);
        throw new BackendError('transient', 'procedural: connection reset by the GPU host (injected by the demo)');
      }
      return backend.submit(request);
    },
  };
}

/**
 * Runs the batch; returns one result per model that completed, and what happened on the way.
 * @param {{ batch: import('@kiln/core').Batch, assets: import('@kiln/storage').AssetStore, interactive: boolean, failOnce: boolean, quiet?: boolean }} options
 */
export async function generate({ batch, assets, interactive, failOnce, quiet = false }) {
  const log = quiet ? () => {} : say;
  const injected = [];
  const procedural = proceduralBackend();
  const client = createJobClient({
    store: memoryStore(), // a service would use openJsonlStore({ dir }) to survive restarts
    backends: { procedural: failOnce ? flakyOnce(procedural, (r) => injected.push(r.attemptId)) : procedural },
    artifacts: storageSink({ store: assets }),
    pipelines: { PROP: MODEL_PIPELINE, '3D_CHARACTER': MODEL_PIPELINE },
    retry: { baseDelayMs: 300, maxDelayMs: 1500 },
  });
  await client.start();
  const retries = [];
  const reviews = { approved: 0, rejected: 0 };
  try {
    const { batchId, runIds } = await client.submitBatch(batch);
    const steps = MODEL_PIPELINE.steps.map((s) => ({ name: s.name, total: runIds.length }));
    const progress = quiet ? undefined : createProgress({ steps });
    const nameOf = new Map(runIds.map((id, i) => [id, batch.items[i].request.name ?? id]));
    const reviewer = createReviewer({ client, interactive, progress, log, reviews });

    const subscription = client.subscribe(async (event) => {
      if (event.batchId !== batchId) return;
      progress?.event(event);
      if (event.type === 'StepRetryScheduled') {
        retries.push(event);
        log(`  ↻ ${event.data.step} of ${nameOf.get(event.runId)}: ${event.data.kind} failure "${event.data.message}"; attempt ${event.data.attempt + 1} in ${event.data.delayMs} ms`);
      }
      if (event.type === 'StepCompleted' && event.data.awaitingReview) reviewer.queue(event);
    });
    const ticker = setInterval(() => client.progress({ batchId }).then((p) => progress?.eta(p.etaMs)), 500);
    try {
      await client.waitForBatch(batchId, { timeoutMs: 10 * 60_000 });
      await reviewer.idle();
    } finally {
      clearInterval(ticker);
      await subscription.close();
      progress?.stop();
    }

    const results = [];
    const rejected = [];
    for (const [index, runId] of runIds.entries()) {
      const item = batch.items[index];
      const { run, steps: records } = await client.getRun(runId);
      const exported = records.find((s) => s.name === 'export');
      const model = exported?.outputs?.find((o) => o.contentType === 'model/gltf-binary');
      if (run.state !== 'completed' || !model) {
        rejected.push({ row: item.row, name: item.request.name ?? item.request.core_concept, state: run.state });
        continue;
      }
      const parts = parseAssetFileName(model.filename);
      // The export step passes the model through unrated: the rating is the retopology's.
      const rating = records.find((s) => s.name === 'retopology')?.quality?.rating ?? 'A';
      results.push({
        id: `${parts.category}_${parts.name}_${parts.variant}`,
        category: parts.category,
        runId,
        prompt: item.prompt,
        negativePrompt: item.negativePrompt,
        rating,
        score: QUALITY_SCORE[rating],
        model,
        triangles: model.metadata?.triangles,
        concept: records.find((s) => s.name === 'text_to_image')?.outputs?.[0],
        attempts: Math.max(...records.map((s) => s.attempts)),
      });
    }
    return { batchId, results, rejected, retries, injected: injected.length, reviews };
  } finally {
    await client.close();
  }
}

/**
 * Decides the review checkpoints one at a time: approves at once, or asks in the terminal.
 * Answers: y (approve), n (reject: the asset's branch ends), a (approve this and all the rest).
 */
function createReviewer({ client, interactive, progress, log, reviews }) {
  let chain = Promise.resolve();
  let failure;
  let approveAll = !interactive;
  const ask = async (question) => {
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    try {
      return (await rl.question(question)).trim().toLowerCase();
    } finally {
      rl.close();
    }
  };
  const decide = async (event) => {
    const step = await client.getStep(event.stepId);
    const output = step.outputs?.[0];
    const what = output?.filename ?? event.stepId;
    let answer = 'y';
    if (!approveAll) {
      progress?.pause();
      log(`  ? review ${what} (rated ${step.quality?.rating ?? 'unrated'}): ${output?.url ?? ''}`);
      answer = await ask('    approve? [Y]es / [n]o / [a]ll remaining: ');
      progress?.resume();
      if (answer === 'a') approveAll = true;
    }
    if (answer === 'n') {
      await client.reject(event.stepId, { by: 'demo user', note: 'rejected in the terminal' });
      reviews.rejected++;
      log(`  ✗ rejected ${what}: this asset stops here`);
    } else {
      await client.approve(event.stepId, { by: interactive ? 'demo user' : 'demo (automatic)' });
      reviews.approved++;
    }
  };
  return {
    queue(event) {
      // A failed decision must not stall the queue: it is kept and reported when the batch settles.
      chain = chain.then(() => decide(event)).catch((error) => (failure ??= error));
    },
    idle: () =>
      chain.then(() => {
        if (failure) throw failure;
      }),
  };
}
