// The crash harness's worker process: opens the JSONL store, submits a 200-task batch (a no-op
// after a restart: same batch id, same run ids), and works until every run is settled. Every
// commit it sees acknowledged is appended to acks.log before anything else happens, so the test
// can check that no acknowledged transition is lost after a kill -9.
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createJobClient, openJsonlStore, parseCsvBatch, storageSink, type JobStore } from '@kiln/core';
import { createAssetStore, fsDriver } from '@kiln/storage';
import { harnessBackend } from './http-task-backend.js';

const [dir, baseUrl, rowsArg] = process.argv.slice(2) as [string, string, string];
const rows = Number(rowsArg);
const acks = openSync(join(dir, 'acks.log'), 'a');
const inner = await openJsonlStore({ dir: join(dir, 'journal') });
const store: JobStore = {
  kind: inner.kind,
  createRuns: (runs) => inner.createRuns(runs),
  getRun: (id) => inner.getRun(id),
  getStep: (id) => inner.getStep(id),
  listRuns: (q) => inner.listRuns(q),
  listSteps: (q) => inner.listSteps(q),
  countSteps: (q) => inner.countSteps(q),
  keyOwner: (k) => inner.keyOwner(k),
  lease: (o) => inner.lease(o),
  renew: (id, w, ms, now) => inner.renew(id, w, ms, now),
  release: (id, w) => inner.release(id, w),
  nextDue: (now) => inner.nextDue(now),
  events: (after, limit) => inner.events(after, limit),
  lastSeq: () => inner.lastSeq(),
  getCursor: (c) => inner.getCursor(c),
  usage: (p) => inner.usage(p),
  close: () => inner.close(),
  async commit(commit, options) {
    const result = await inner.commit(commit, options);
    // Only durable commits are acknowledged (the engine's pre-submit `running` is not waited for).
    const lines = options?.durable === false ? '' : result.steps.map((s) => `${s.id} ${s.version} ${s.state}\n`).join('');
    if (lines) writeSync(acks, lines);
    return result;
  },
};
// Outputs go through @kiln/storage's embedded fs driver, as in production: the kills land in the
// middle of its writes too (the harness found and fixed a blob-without-metadata bug there).
const artifacts = storageSink({ store: createAssetStore({ driver: fsDriver({ root: join(dir, 'assets') }) }) });
const client = createJobClient({
  store,
  backends: { harness: harnessBackend(baseUrl) },
  artifacts,
  limits: { concurrency: 10 },
  poll: { minMs: 10, maxMs: 40 },
  quality: false,
  retry: { baseDelayMs: 10, maxDelayMs: 50 },
  ...(process.env['KILN_HARNESS_DEBUG'] ? { logger: { debug: () => {}, info: (m: string) => process.stderr.write(`${m}\n`), warn: (m: string) => process.stderr.write(`${m}\n`), error: (m: string) => process.stderr.write(`${m}\n`) } } : {}),
});
const csv = `name,core_concept\n${Array.from({ length: rows }, (_, i) => `crate-${i},crate number ${i}`).join('\n')}\n`;
const batch = parseCsvBatch({ csv, defaults: { project_id: 'crash', asset_type: 'PROP', style: 'low poly', platform: 'PC' } });
await client.start();
await client.submitBatch(batch, {
  pipeline: {
    name: 'two-step',
    steps: [
      { name: 'gen', backend: 'harness', rate: false },
      { name: 'export', backend: 'harness', dependsOn: ['gen'], rate: false },
    ],
  },
});
process.stdout.write('submitted\n');
const progress = await client.waitForBatch(batch.id);
await client.close();
await inner.close();
closeSync(acks);
process.stdout.write(`${JSON.stringify({ done: true, completedRuns: progress.completedRuns })}\n`);
