// `pnpm bench:core`: orchestrator throughput and overhead, and journal commits per second.
//
// 1. 500 one-step tasks (one CSV batch, one call) against the in-process function backend with
//    50 ms latency, concurrency 10. Ideal: 500 × 50 ms / 10 = 2.5 s; goal ≤ 1.1× the ideal.
//    Run on the memory store and on the JSONL journal (group commit, and fsync per commit).
// 2. Orchestrator overhead per step: the same 500 tasks with a 0 ms backend (all Kiln, no waiting).
// 3. Journal commits/s: 2000 step transitions (one change + one event each), fsync per commit
//    (sequential) and group commit (64 concurrent writers), plus no fsync for reference.
// `pnpm bench:core --store postgres` runs postgres.bench.ts instead: tasks/s on PostgreSQL with
// 1, 2 and 4 worker processes beside the JSONL store.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createJobClient, functionBackend, memoryStore, openJsonlStore, parseCsvBatch, type JobStore, type JournalDurability } from '../src/index.js';
import { makeRun } from '../test/contract/fixtures.js';

const TASKS = Number(process.env['KILN_BENCH_TASKS'] ?? 500);
const LATENCY = 50;
const CONCURRENCY = 10;
const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 64, 0, 0, 0, 64]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runBatch(store: JobStore, latencyMs: number): Promise<{ seconds: number; completed: number }> {
  const backend = functionBackend({ name: 'fn', run: async () => (latencyMs > 0 && (await sleep(latencyMs)), [{ filename: 'o.png', contentType: 'image/png', data: png }]) });
  const client = createJobClient({ store, backends: { fn: backend }, limits: { concurrency: CONCURRENCY }, quality: false });
  const csv = `name,core_concept\n${Array.from({ length: TASKS }, (_, i) => `item-${i},item ${i}`).join('\n')}\n`;
  const batch = parseCsvBatch({ csv, defaults: { project_id: 'bench', asset_type: 'PROP', style: 'flat', platform: 'PC' } });
  await client.start();
  const started = performance.now();
  await client.submitBatch(batch, { pipeline: { name: 'one', steps: [{ name: 'gen', backend: 'fn', rate: false }] } });
  const progress = await client.waitForBatch(batch.id);
  const seconds = (performance.now() - started) / 1000;
  await client.close();
  await store.close();
  return { seconds, completed: progress.completedRuns };
}

async function withDir<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-bench-'));
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function journalCommits(durability: JournalDurability, writers: number, commits = 2000): Promise<number> {
  return withDir(async (dir) => {
    const store = await openJsonlStore({ dir, durability });
    const runs = Array.from({ length: writers }, (_, w) => makeRun(`r${w}`, { steps: ['s'] }));
    await store.createRuns(runs);
    const perWriter = Math.ceil(commits / writers);
    const started = performance.now();
    await Promise.all(
      runs.map(async ({ steps }) => {
        const step = steps[0]!;
        let version = step.version;
        for (let i = 0; i < perWriter; i++) {
          // alternate ready ⇄ ready updates: a transition's change plus its event, like the engine's
          await store.commit({
            steps: [{ stepId: step.id, expectVersion: version, set: { progress: i / perWriter } }],
            events: [{ type: 'StepProgress', runId: step.runId, stepId: step.id, projectId: step.projectId, data: { i } }],
          });
          version++;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    await store.close();
    return (perWriter * writers) / seconds;
  });
}

/** The same work without Kiln: a plain pool of 10 workers sleeping 50 ms per task (timer accuracy on this machine). */
async function baseline(): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < TASKS) {
      next++;
      await sleep(LATENCY);
    }
  }));
  return (performance.now() - started) / 1000;
}

// `--store postgres`: the PostgreSQL comparison (1, 2 and 4 worker processes beside JSONL) only.
const storeArg = process.argv.indexOf('--store');
if (storeArg >= 0) {
  const which = process.argv[storeArg + 1];
  if (which !== 'postgres') throw new Error(`bench:core: --store ${which ?? '(missing)'}: the only store with a separate benchmark is postgres`);
  const { postgresBench } = await import('./postgres.bench.js');
  await postgresBench({ tasks: Number(process.env['KILN_BENCH_TASKS'] ?? 1000), latencyMs: LATENCY, concurrency: CONCURRENCY, workers: [1, 2, 4] });
  process.exit(0);
}

const ideal = (TASKS * LATENCY) / CONCURRENCY / 1000;
const ROUNDS = Number(process.env['KILN_BENCH_ROUNDS'] ?? 3);
const rows: string[][] = [];
const results: Record<string, number> = {};
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const configs = [
  ['memory store', async () => memoryStore()],
  ['JSONL, group commit', (dir: string) => openJsonlStore({ dir, durability: 'group' })],
  ['JSONL, fsync per commit', (dir: string) => openJsonlStore({ dir, durability: 'fsync' })],
] as const;
// Rounds interleave the configurations (and the plain pool) so that load from other processes
// on the machine spreads over all of them; each row is the median of its rounds.
const samples = new Map<string, number[]>();
for (let round = 0; round < ROUNDS; round++) {
  samples.set('pool', [...(samples.get('pool') ?? []), await baseline()]);
  for (const [label, open] of configs) {
    const { seconds, completed } = await withDir(async (dir) => runBatch(await open(dir), LATENCY));
    if (completed !== TASKS) throw new Error(`${label}: ${completed} of ${TASKS} runs completed`);
    samples.set(label, [...(samples.get(label) ?? []), seconds]);
  }
}
const base = median(samples.get('pool')!);
rows.push([`${TASKS} tasks × ${LATENCY} ms, conc. ${CONCURRENCY}: plain promise pool, no Kiln`, `${base.toFixed(2)} s`, `${(base / ideal).toFixed(3)}× ideal`, 'timer baseline']);
for (const [label] of configs) {
  const seconds = median(samples.get(label)!);
  results[label] = seconds;
  const overheadMs = ((seconds - ideal) * 1000 * CONCURRENCY) / TASKS;
  rows.push([`${TASKS} tasks × ${LATENCY} ms, conc. ${CONCURRENCY}: ${label}`, `${seconds.toFixed(2)} s`, `${(seconds / ideal).toFixed(3)}× ideal`, `+${overheadMs.toFixed(2)} ms/step, ${(seconds / base).toFixed(3)}× pool`]);
}
for (const [label, open] of [
  ['memory store', async () => memoryStore()],
  ['JSONL, group commit', (dir: string) => openJsonlStore({ dir, durability: 'group' })],
  ['JSONL, fsync per commit', (dir: string) => openJsonlStore({ dir, durability: 'fsync' })],
] as const) {
  const { seconds } = await withDir(async (dir) => runBatch(await open(dir), 0));
  rows.push([`${TASKS} tasks × 0 ms (pure overhead): ${label}`, `${seconds.toFixed(2)} s`, `${((seconds * 1000) / TASKS).toFixed(2)} ms/step`, `${(TASKS / seconds).toFixed(0)} steps/s`]);
}
for (const [label, durability, writers] of [
  ['journal, fsync per commit, 1 writer', 'fsync', 1],
  ['journal, group commit, 64 writers', 'group', 64],
  ['journal, no fsync, 1 writer (reference)', 'none', 1],
] as const) {
  const perSecond = await journalCommits(durability, writers);
  rows.push([label, `${Math.round(perSecond)} commits/s`, `${(1e6 / perSecond).toFixed(0)} µs/commit`, '']);
}

const width = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(width[i]!)).join(' | ')} |`;
process.stdout.write(`@kiln/core benchmark, Node ${process.version}, ${TASKS} tasks, ideal ${ideal.toFixed(2)} s, median of ${ROUNDS} rounds\n\n`);
process.stdout.write(`${line(['measurement', 'result', '', ''])}\n${line(width.map((w) => '-'.repeat(w)))}\n${rows.map(line).join('\n')}\n\n`);
const best = Math.min(results['memory store']!, results['JSONL, group commit']!);
const goal = 1.1 * ideal;
for (const [label, seconds] of Object.entries(results)) {
  process.stdout.write(`goal ≤ ${goal.toFixed(2)} s (1.1× ideal), ${label}: ${seconds <= goal ? 'met' : 'NOT met'} (${seconds.toFixed(2)} s)\n`);
}
process.stdout.write(`best of memory and group-commit JSONL: ${best.toFixed(2)} s = ${(best / ideal).toFixed(3)}× ideal, ${(best / base).toFixed(3)}× the plain pool\n`);
process.stdout.write(`load average at the end: ${(await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
