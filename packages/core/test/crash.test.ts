import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openJsonlStore, sha256Hex } from '@kiln/core';
import { createAssetStore, fsDriver } from '@kiln/storage';
import { fakePng } from './helpers/fakes.js';

/** The task server: idempotent by attempt id, counts submissions and executions per key. */
function taskServer() {
  const tasks = new Map<string, { key: string; stepId: string; doneAt: number }>();
  const executionsByKey = new Map<string, Set<string>>();
  let submissions = 0;
  let executions = 0;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const parts = url.pathname.split('/').filter(Boolean);
    if (req.method === 'POST' && url.pathname === '/tasks') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        const { attemptId, key, stepId } = JSON.parse(body) as { attemptId: string; key: string; stepId: string };
        submissions++;
        if (!tasks.has(attemptId)) {
          executions++;
          tasks.set(attemptId, { key, stepId, doneAt: Date.now() + 20 + Math.random() * 30 });
          const set = executionsByKey.get(key) ?? new Set();
          set.add(attemptId);
          executionsByKey.set(key, set);
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: attemptId }));
      });
      return;
    }
    const task = parts[1] ? tasks.get(parts[1]) : undefined;
    if (!task) return void res.writeHead(404).end();
    if (parts[2] === 'output') return void res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.from(fakePng(64, 64, hash(task.key))));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ state: Date.now() >= task.doneAt ? 'succeeded' : 'running' }));
  });
  return {
    server,
    stats: () => ({ submissions, executions, executionsByKey, completed: [...tasks.values()].filter((t) => Date.now() >= t.doneAt).length }),
  };
}

function hash(text: string): number {
  let h = 0;
  for (const c of text) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
  return h;
}

const worker = fileURLToPath(new URL('./crash/worker.ts', import.meta.url));
const ROWS = 200;
let dir: string;
let backend: ReturnType<typeof taskServer>;
let baseUrl: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kiln-crash-'));
  backend = taskServer();
  await new Promise<void>((resolve) => backend.server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(backend.server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => backend.server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

function startWorker(): { child: ChildProcess; output: Promise<string> } {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', worker, dir, baseUrl, String(ROWS)], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c));
  child.stderr?.on('data', (c: Buffer) => (out += c));
  const output = new Promise<string>((resolve) => child.once('exit', () => resolve(out)));
  return { child, output };
}

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('crash harness: timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('crash harness', () => {
  it('kill -9 mid-batch twice, restart: every task done exactly once, no acknowledged transition lost, no duplicate execution', async () => {
    for (const killAt of [ROWS * 0.4, ROWS * 1.1]) {
      const { child, output } = startWorker();
      await until(() => backend.stats().completed >= killAt, 60_000);
      child.kill('SIGKILL');
      const out = await output;
      expect(out).not.toContain('"done":true');
    }
    const { output } = startWorker();
    const out = await output;
    expect(out).toContain(`"completedRuns":${ROWS}`);

    const stats = backend.stats();
    // Each step key ran once, under one attempt id: resubmissions after the crashes hit the same id.
    expect(stats.executionsByKey.size).toBe(ROWS * 2);
    expect([...stats.executionsByKey.values()].every((ids) => ids.size === 1)).toBe(true);
    expect(stats.executions).toBe(ROWS * 2);
    expect(stats.submissions).toBeGreaterThanOrEqual(stats.executions);

    const store = await openJsonlStore({ dir: join(dir, 'journal') });
    try {
      const steps = await store.listSteps();
      expect(steps).toHaveLength(ROWS * 2);
      expect(steps.every((s) => s.state === 'done')).toBe(true);
      const runs = await store.listRuns();
      expect(runs.filter((r) => r.state === 'completed')).toHaveLength(ROWS);
      // Exactly one completion event per step, one RunCompleted per run.
      const events = await store.events(0, 100_000);
      const completions = new Map<string, number>();
      for (const e of events.filter((e) => e.type === 'StepCompleted')) completions.set(e.stepId!, (completions.get(e.stepId!) ?? 0) + 1);
      expect(completions.size).toBe(ROWS * 2);
      expect([...completions.values()].every((n) => n === 1)).toBe(true);
      expect(events.filter((e) => e.type === 'RunCompleted')).toHaveLength(ROWS);
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      // No acknowledged transition lost: every acked version is in the journal.
      const byId = new Map(steps.map((s) => [s.id, s]));
      const acked = readFileSync(join(dir, 'acks.log'), 'utf8').trim().split('\n');
      expect(acked.length).toBeGreaterThan(ROWS * 4);
      for (const line of acked) {
        const [id, version] = line.split(' ') as [string, string];
        expect(byId.get(id)!.version).toBeGreaterThanOrEqual(Number(version));
      }
      // Every output of every done step reads back from @kiln/storage with its recorded hash,
      // although the kills also landed in the middle of storage writes.
      const tenant = createAssetStore({ driver: fsDriver({ root: join(dir, 'assets') }) }).tenant('crash');
      for (const step of steps) {
        expect(step.outputs?.length, step.id).toBeGreaterThan(0);
        for (const output of step.outputs ?? []) expect(sha256Hex(await tenant.getBytes(output.key!))).toBe(output.sha256);
      }
    } finally {
      await store.close();
    }
  }, 180_000);
});
