// Four worker processes share one Postgres store and a 1,000-task batch (two steps per task, so
// a run's second step often runs on another worker than its first). Two of them are killed with
// SIGKILL in the middle. The batch must still finish: every step done once, one completion event
// each, the outbox gap-free for a consumer that reads it live, usage counted once per step, and
// the steps the dead workers held picked up by the survivors after their leases lapsed.
//
// "Exactly once" here means once in the store: one `done` transition, one StepCompleted, one
// usage charge per step. Execution on the backend is at least once: an attempt that was in flight
// when its worker died, or whose lease lapsed because its worker was too slow to renew (this
// machine is shared and loaded), runs again on the worker that takes the step over, under the
// same attempt id (an idempotent backend dedupes it by that id). The test checks that every repeat
// is such a takeover, and from the workers' lease logs that no step was ever held by two workers
// at once.
//
// KILN_MW_KEEP=1 keeps the workers' execution and lease logs (the failure messages name the folder).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createJobClient, functionBackend, parseCsvBatch, type CoreEvent } from '@kiln/core';
import { openPostgresStore, type PostgresStore } from '@kiln/core/postgres';

const postgresUrl = inject('postgresUrl');
const worker = fileURLToPath(new URL('./multi-worker/worker.ts', import.meta.url));
const ROWS = 1000;
const STEPS = ROWS * 2;
const WORKERS = 4;
const LEASE_MS = 3000;

interface Worker {
  id: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  started: Promise<void>;
}

function startWorker(id: string, schema: string, dir: string): Worker {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', worker, postgresUrl!, schema, id, dir, String(LEASE_MS)], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let onStarted: () => void = () => {};
  const started = new Promise<void>((resolve) => (onStarted = resolve));
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
    if (out.includes(`started ${id}`)) onStarted();
  });
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { id, child, output: () => out, exited, started };
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, workers: Worker[]): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`multi-worker: timed out waiting for ${what}\n${workers.map((w) => `--- ${w.id} ---\n${w.output().slice(-3000)}`).join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(postgresUrl === undefined)('Postgres store: 4 worker processes, 2 killed with SIGKILL mid-batch', () => {
  const schema = `mw_${randomBytes(6).toString('hex')}`;
  let dir: string;
  let store: PostgresStore;
  let admin: pg.Client;
  const workers: Worker[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiln-pg-workers-'));
    admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
  });
  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await store?.close();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
    await admin.end();
    if (!process.env['KILN_MW_KEEP']) await rm(dir, { recursive: true, force: true });
  });

  it('finishes the batch: every step done once, no event lost, dead workers’ leases recovered after expiry', async () => {
    // The workers start together on an empty schema: their migrations race (an advisory lock serializes them).
    for (let i = 0; i < WORKERS; i++) workers.push(startWorker(`w${i}`, schema, dir));
    await Promise.all(workers.map((w) => Promise.race([w.started, w.exited.then(() => Promise.reject(new Error(`worker ${w.id} exited early:\n${w.output()}`)))])));

    store = await openPostgresStore({ connectionString: postgresUrl!, schema });
    const migrations = await admin.query(`SELECT version FROM "${schema}".kiln_migrations`);
    expect(migrations.rows.length).toBeGreaterThan(0);

    // A live consumer of the outbox: reads by seq as the workers commit and checks that every
    // batch it gets continues exactly where the last one ended (a gap would be a lost event).
    const seen: CoreEvent[] = [];
    const gaps: string[] = [];
    let reading = true;
    const reader = (async () => {
      let cursor = 0;
      for (;;) {
        const last = !reading;
        const batch = await store.events(cursor, 500);
        for (const event of batch) {
          if (event.seq !== cursor + 1) gaps.push(`after ${cursor} came ${event.seq}`);
          cursor = event.seq;
          seen.push(event);
        }
        if (batch.length === 0) {
          if (last) return; // drained after the workers stopped
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    })();

    // The batch is submitted by a client that does not work (never started): the workers do.
    const submitter = createJobClient({ store, backends: { fn: functionBackend({ name: 'fn', run: () => [] }) }, quality: false });
    const csv = `name,core_concept\n${Array.from({ length: ROWS }, (_, i) => `crate-${i},crate number ${i}`).join('\n')}\n`;
    const batch = parseCsvBatch({ csv, defaults: { project_id: 'mw', asset_type: 'PROP', style: 'low poly', platform: 'PC' } });
    const submitted = await submitter.submitBatch(batch, {
      pipeline: {
        name: 'two-step',
        steps: [
          { name: 'gen', backend: 'fn', rate: false },
          { name: 'export', backend: 'fn', dependsOn: ['gen'], rate: false },
        ],
      },
    });
    expect(submitted.created).toBe(ROWS);

    // Kill two workers once about a third of the steps are done.
    await until('a third of the steps', async () => ((await store.countSteps({ batchId: batch.id })).done ?? 0) >= STEPS / 3 || undefined, 60_000, workers);
    const killed = workers.slice(0, 2);
    const killedAt = Date.now();
    for (const w of killed) w.child.kill('SIGKILL');
    await Promise.all(killed.map((w) => w.exited));
    const doneAtKill = (await store.countSteps({ batchId: batch.id })).done ?? 0;
    // What the dead workers held: nobody else may take these before their leases lapse.
    const orphans = new Map(
      (
        await admin.query<{ id: string; state: string; lease_until: number }>(
          `SELECT id, state, lease_until FROM "${schema}".kiln_steps WHERE lease_owner = ANY($1) AND state IN ('ready', 'running')`,
          [killed.map((w) => w.id)],
        )
      ).rows.map((r) => [r.id, { state: r.state, leaseUntil: Number(r.lease_until) }]),
    );

    await until('the batch to settle', async () => ((await store.listRuns({ batchId: batch.id, state: 'active', limit: 1 })).length === 0 ? true : undefined), 90_000, workers);

    // The survivors stop cleanly on SIGTERM; then the reader drains the outbox.
    const survivors = workers.slice(2);
    for (const w of survivors) w.child.kill('SIGTERM');
    for (const w of survivors) expect(await w.exited, w.output()).toEqual({ code: 0, signal: null });
    reading = false;
    await reader;

    // Every run completed, every step done.
    const runs = await store.listRuns({ batchId: batch.id });
    expect(runs).toHaveLength(ROWS);
    expect(runs.filter((r) => r.state === 'completed')).toHaveLength(ROWS);
    const steps = await store.listSteps({ batchId: batch.id });
    expect(steps).toHaveLength(STEPS);
    expect(steps.filter((s) => s.state === 'done')).toHaveLength(STEPS);
    expect(doneAtKill).toBeLessThan(STEPS); // the kill really was mid-batch

    // The outbox: seq 1..N without a gap, as stored and as the live consumer saw it; one completion
    // event per step and one RunCompleted per run.
    const lastSeq = await store.lastSeq();
    const events = await store.events(0, 1_000_000);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events).toHaveLength(lastSeq);
    expect(gaps).toEqual([]);
    expect(seen.map((e) => e.seq)).toEqual(events.map((e) => e.seq));
    const count = (type: string) => {
      const byStep = new Map<string, number>();
      for (const e of events) if (e.type === type) byStep.set(e.stepId ?? e.runId, (byStep.get(e.stepId ?? e.runId) ?? 0) + 1);
      return byStep;
    };
    const completions = count('StepCompleted');
    expect(completions.size).toBe(STEPS);
    expect([...completions.values()].every((n) => n === 1)).toBe(true);
    const runCompletions = count('RunCompleted');
    expect(runCompletions.size).toBe(ROWS);
    expect([...runCompletions.values()].every((n) => n === 1)).toBe(true);
    expect(count('AssetIndexed').size).toBe(STEPS);

    // Usage counters moved in the completing transactions: once per step.
    expect((await store.usage('mw')).steps).toBe(STEPS);

    // The workers' logs (see multi-worker/worker.ts).
    const read = (prefix: string) =>
      readdirSync(dir)
        .filter((f) => f.startsWith(prefix))
        .flatMap((f) =>
          readFileSync(join(dir, f), 'utf8')
            .trim()
            .split('\n')
            .filter(Boolean)
            .map((line) => ({ workerId: f.slice(prefix.length, -'.log'.length), fields: line.split(' ') })),
        );
    const push = <T>(map: Map<string, T[]>, key: string, value: T) => map.set(key, [...(map.get(key) ?? []), value]);
    /** Lease grants and successful renewals: the step was this worker's from `at` to `until`. */
    const holds = new Map<string, { workerId: string; at: number; until: number }[]>();
    /** Grants: asked for at `at` (the lease's `now`), returned at `end`. */
    const grants = new Map<string, { workerId: string; at: number; end: number; state: string }[]>();
    const releases = new Map<string, { workerId: string; at: number }[]>();
    for (const { workerId, fields } of read('leases-')) {
      const [kind, a, b, c, d, e] = fields as [string, string, string, string, string, string];
      if (kind === 'grant') {
        push(holds, d, { workerId, at: Number(a), until: Number(c) });
        push(grants, d, { workerId, at: Number(a), end: Number(b), state: e });
      } else if (kind === 'renew' && d === 'ok') {
        push(holds, c, { workerId, at: Number(a), until: Number(b) });
      } else if (kind === 'release') {
        push(releases, b, { workerId, at: Number(a) });
      }
    }
    expect(grants.size).toBe(STEPS);
    // No step was held by two workers at once: no grant returned while another worker's grant or
    // renewal, made before it returned, still ran (unless that worker had begun to release the
    // step). One machine, one clock.
    const overlaps: string[] = [];
    for (const [stepId, list] of grants) {
      for (const grant of list) {
        for (const hold of holds.get(stepId) ?? []) {
          if (hold.workerId === grant.workerId || hold.at > grant.end || hold.until <= grant.at) continue;
          const released = (releases.get(stepId) ?? []).some((r) => r.workerId === hold.workerId && r.at >= hold.at && r.at <= grant.end);
          if (!released) overlaps.push(`${stepId}: granted to ${grant.workerId} at ${grant.at}-${grant.end} while ${hold.workerId} held it ${hold.at}-${hold.until}`);
        }
      }
    }
    expect(overlaps, `files in ${dir}`).toEqual([]);

    // Executions: one attempt id per step, so a repeat is the same attempt. An attempt ran again
    // only on a worker that took the `running` step over after the lease had lapsed.
    const lines = read('executions-').map(({ fields }) => {
      const [at, workerId, attemptId, stepId] = fields as [string, string, string, string];
      return { at: Number(at), workerId, attemptId, stepId };
    });
    const attemptsByStep = new Map<string, Set<string>>();
    const runsByAttempt = new Map<string, typeof lines>();
    for (const line of lines) {
      attemptsByStep.set(line.stepId, (attemptsByStep.get(line.stepId) ?? new Set()).add(line.attemptId));
      push(runsByAttempt, line.attemptId, line);
    }
    expect(attemptsByStep.size).toBe(STEPS);
    expect([...attemptsByStep.values()].every((ids) => ids.size === 1)).toBe(true);
    for (const step of steps) expect(attemptsByStep.get(step.id)?.has(step.attemptId!), step.id).toBe(true);
    const repeated = [...runsByAttempt.values()].filter((runs) => runs.length > 1);
    for (const runs of repeated) {
      // Of n runs of one attempt, at least n - 1 came after their worker took the running step over.
      const takeovers = runs.filter((run) => (grants.get(run.stepId) ?? []).some((g) => g.workerId === run.workerId && g.state === 'running' && g.end <= run.at));
      expect(takeovers.length, `${JSON.stringify(runs)} ran again without taking a lapsed lease over (files in ${dir})`).toBeGreaterThanOrEqual(runs.length - 1);
    }
    expect(lines.length).toBe(STEPS + repeated.reduce((n, runs) => n + runs.length - 1, 0));

    // The dead workers held steps, and the survivors took every one of them over, but none before
    // its lease lapsed.
    expect(orphans.size).toBeGreaterThan(0);
    const killedIds = new Set(killed.map((w) => w.id));
    for (const [stepId, { leaseUntil }] of orphans) {
      const takeovers = (grants.get(stepId) ?? []).filter((g) => !killedIds.has(g.workerId) && g.end >= killedAt);
      expect(takeovers.length, `${stepId} (killed at ${killedAt}, files in ${dir})`).toBeGreaterThan(0);
      for (const g of takeovers) expect(g.at, stepId).toBeGreaterThanOrEqual(leaseUntil);
    }
  }, 150_000);
});
