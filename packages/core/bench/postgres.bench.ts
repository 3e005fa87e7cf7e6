// `pnpm bench:core --store postgres`: tasks per second on the PostgreSQL store with 1, 2 and 4
// worker processes, beside the JSONL store (one process, group commit), in one run.
//
// Every configuration runs the same batch: TASKS one-step tasks (one CSV batch, one call) on the
// in-process function backend with LATENCY ms per task, CONCURRENCY tasks at once per worker.
// The time runs from submitBatch until the batch is settled (workers are started and have
// migrated before). The private PostgreSQL (test/servers/postgres.ts) runs with fsync and
// synchronous commit on, like a real server; the JSONL store with group commit (fsynced).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startPostgres } from '../../../test/servers/postgres.js';
import { createJobClient, functionBackend, openJsonlStore, parseCsvBatch, type JobStore } from '../src/index.js';
import { openPostgresStore } from '../src/postgres.js';

export interface PostgresBenchOptions {
  tasks: number;
  latencyMs: number;
  concurrency: number;
  workers: readonly number[];
}

const worker = fileURLToPath(new URL('./postgres-worker.ts', import.meta.url));
const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 64, 0, 0, 0, 64]);

function batchOf(tasks: number) {
  const csv = `name,core_concept\n${Array.from({ length: tasks }, (_, i) => `item-${i},item ${i}`).join('\n')}\n`;
  return parseCsvBatch({ csv, defaults: { project_id: 'bench', asset_type: 'PROP', style: 'flat', platform: 'PC' } });
}
const PIPELINE = { name: 'one', steps: [{ name: 'gen', backend: 'fn', rate: false }] };

/** One process, the JSONL store: the embedded figure to compare with. */
async function jsonlTasksPerSecond(o: PostgresBenchOptions): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-bench-'));
  try {
    const store = await openJsonlStore({ dir, durability: 'group' });
    const backend = functionBackend({ name: 'fn', run: async () => (await new Promise((r) => setTimeout(r, o.latencyMs)), [{ filename: 'o.png', contentType: 'image/png', data: png }]) });
    const client = createJobClient({ store, backends: { fn: backend }, limits: { concurrency: o.concurrency }, quality: false });
    await client.start();
    const started = performance.now();
    const batch = batchOf(o.tasks);
    await client.submitBatch(batch, { pipeline: PIPELINE });
    const progress = await client.waitForBatch(batch.id);
    const seconds = (performance.now() - started) / 1000;
    await client.close();
    await store.close();
    if (progress.completedRuns !== o.tasks) throw new Error(`jsonl: ${progress.completedRuns} of ${o.tasks} completed`);
    return o.tasks / seconds;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function startWorker(url: string, schema: string, id: string, o: PostgresBenchOptions): { child: ChildProcess; out: () => string; exited: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', worker, url, schema, id, String(o.latencyMs), String(o.concurrency)], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c));
  child.stderr?.on('data', (c: Buffer) => (out += c));
  return { child, out: () => out, exited: new Promise((resolve) => child.once('exit', () => resolve())) };
}

/** N worker processes on one Postgres schema; this process only submits and waits. */
async function postgresTasksPerSecond(url: string, workers: number, o: PostgresBenchOptions): Promise<number> {
  const schema = `kiln_bench_${randomBytes(4).toString('hex')}`;
  const procs = Array.from({ length: workers }, (_, i) => startWorker(url, schema, `w${i}`, o));
  let store: JobStore | undefined;
  try {
    const deadline = Date.now() + 120_000;
    while (!procs.every((p) => p.out().includes('ready\n'))) {
      if (Date.now() > deadline || procs.some((p) => p.child.exitCode !== null)) throw new Error(`workers did not start:\n${procs.map((p) => p.out()).join('\n')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    store = await openPostgresStore({ connectionString: url, schema, poolSize: 2 });
    const submitter = createJobClient({ store, backends: { fn: functionBackend({ name: 'fn', run: () => [] }) }, quality: false });
    const batch = batchOf(o.tasks);
    const started = performance.now();
    await submitter.submitBatch(batch, { pipeline: PIPELINE });
    const progress = await submitter.waitForBatch(batch.id);
    const seconds = (performance.now() - started) / 1000;
    await submitter.close();
    if (progress.completedRuns !== o.tasks) throw new Error(`postgres, ${workers} workers: ${progress.completedRuns} of ${o.tasks} completed`);
    return o.tasks / seconds;
  } finally {
    for (const p of procs) p.child.kill('SIGTERM');
    await Promise.race([Promise.all(procs.map((p) => p.exited)), new Promise((r) => setTimeout(r, 10_000))]);
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await store?.close();
    const { default: pg } = await import('pg');
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }
}

/** Runs the comparison and prints the table. */
export async function postgresBench(o: PostgresBenchOptions): Promise<void> {
  const durable = process.env['KILN_BENCH_PG_FSYNC'] !== 'off';
  const server = await startPostgres({ durable });
  try {
    const jsonl = await jsonlTasksPerSecond(o);
    const rows: string[][] = [];
    const perWorkerIdeal = (o.concurrency * 1000) / o.latencyMs;
    rows.push(['JSONL store (group commit), 1 process', `${jsonl.toFixed(0)} tasks/s`, '1.00× JSONL', `${(jsonl / perWorkerIdeal).toFixed(2)}× ideal (${perWorkerIdeal.toFixed(0)}/s)`]);
    for (const n of o.workers) {
      const rate = await postgresTasksPerSecond(server.connectionString, n, o);
      rows.push([`PostgreSQL ${server.version}${durable ? '' : ' (fsync off)'}, ${n} worker process${n === 1 ? '' : 'es'}`, `${rate.toFixed(0)} tasks/s`, `${(rate / jsonl).toFixed(2)}× JSONL`, `${(rate / (perWorkerIdeal * n)).toFixed(2)}× ideal (${(perWorkerIdeal * n).toFixed(0)}/s)`]);
    }
    const width = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length), ['store', 'throughput', 'vs JSONL', 'vs ideal'][i]!.length));
    const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(width[i]!)).join(' | ')} |`;
    process.stdout.write(
      `@kiln/core benchmark --store postgres, Node ${process.version}: ${o.tasks} one-step tasks × ${o.latencyMs} ms (in-process function backend), concurrency ${o.concurrency} per worker\n\n`,
    );
    process.stdout.write(`${line(['store', 'throughput', 'vs JSONL', 'vs ideal'])}\n${line(width.map((w) => '-'.repeat(w)))}\n${rows.map(line).join('\n')}\n\n`);
    process.stdout.write(`load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  } finally {
    await server.stop();
  }
}
