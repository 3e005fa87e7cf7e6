import type { RunRecord, StepRecord } from '@kiln/core';

/** A run record with `stepNames` chained steps, for store tests. */
export function makeRun(id: string, options: { projectId?: string; batchId?: string; steps?: string[]; now?: number } = {}): {
  run: RunRecord;
  steps: StepRecord[];
} {
  const projectId = options.projectId ?? 'proj';
  const now = options.now ?? 1_000;
  const names = options.steps ?? ['a', 'b'];
  const run: RunRecord = {
    id,
    projectId,
    ...(options.batchId ? { batchId: options.batchId } : {}),
    pipeline: { name: 'test', flags: [] },
    request: {
      project_id: projectId,
      asset_type: 'PROP',
      prompt: { core_concept: 'crate', style: 'low poly' },
      constraints: { platform: 'PC', rig_type: 'STATIC' },
    },
    prompt: 'crate, low poly style',
    negativePrompt: 'blurry',
    seed: 1,
    state: 'active',
    version: 1,
    versionKey: `${projectId}/PROP/${now}`,
    createdAt: now,
    updatedAt: now,
  };
  const steps = names.map(
    (name, i): StepRecord => ({
      id: `${id}/${name}`,
      runId: id,
      projectId,
      ...(options.batchId ? { batchId: options.batchId } : {}),
      name,
      operation: name,
      route: { backend: 'fn', fallback: -1 },
      backend: 'fn',
      fallbacks: [],
      dependsOn: i === 0 ? [] : [names[i - 1] as string],
      review: false,
      rate: false,
      params: {},
      seed: 1,
      revision: 0,
      state: i === 0 ? 'ready' : 'pending',
      version: 1,
      attempts: 0,
      waits: 0,
      decisions: [],
      createdAt: now,
      updatedAt: now,
    }),
  );
  return { run, steps };
}
