import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isCoreError, JSONL_FILES, openJsonlStore, type Logger } from '@kiln/core';
import { makeRun } from './contract/fixtures.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kiln-jsonl-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const journal = () => join(dir, JSONL_FILES.journal);
const warnings: string[] = [];
const logger: Logger = { debug: () => {}, info: () => {}, warn: (m) => warnings.push(m), error: () => {} };

async function seed(commits: number) {
  const store = await openJsonlStore({ dir });
  const { run, steps } = makeRun('r1', { steps: ['s'] });
  await store.createRuns([{ run, steps }]);
  for (let i = 0; i < commits; i++) await store.commit({ events: [{ type: 'StepProgress', runId: 'r1', projectId: 'proj', data: { i } }] });
  await store.close();
}

describe('JSONL journal', () => {
  it('frames each commit as one length + CRC-32 line', async () => {
    await seed(2);
    const lines = readFileSync(journal(), 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).toMatch(/^\d+ [0-9a-f]{8} \{"c":\d+/);
  });

  it('truncates a torn tail (a write cut short by a crash) and keeps every whole commit', async () => {
    await seed(3);
    const before = statSync(journal()).size;
    appendFileSync(journal(), '812 0badc0de {"c":5,"events":[{"seq"');
    warnings.length = 0;
    const store = await openJsonlStore({ dir, logger });
    expect(store.stats()).toMatchObject({ recoveredCommits: 4, truncatedBytes: 36 });
    expect(warnings[0]).toMatch(/truncating a torn tail of 36 bytes/);
    expect(statSync(journal()).size).toBe(before);
    expect(await store.lastSeq()).toBe(3);
    await store.commit({ events: [{ type: 'StepProgress', runId: 'r1', projectId: 'proj' }] });
    await store.close();
    const again = await openJsonlStore({ dir });
    expect(await again.lastSeq()).toBe(4);
    await again.close();
  });

  it('refuses a journal corrupted before its tail', async () => {
    await seed(3);
    const text = readFileSync(journal(), 'utf8');
    writeFileSync(journal(), text.replace('"i":1', '"i":7'));
    await expect(openJsonlStore({ dir })).rejects.toSatisfy((e) => isCoreError(e, 'store_corrupt') && /corrupt at byte \d+/.test((e as Error).message));
    // the lock was released: fixing the file lets it open
    writeFileSync(journal(), text);
    await (await openJsonlStore({ dir })).close();
  });

  it('holds a lock file: a second open fails while a live process holds it, a dead holder is taken over', async () => {
    const store = await openJsonlStore({ dir });
    await expect(openJsonlStore({ dir })).rejects.toSatisfy((e) => isCoreError(e, 'store_locked'));
    await store.close();

    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      writeFileSync(join(dir, JSONL_FILES.lock), JSON.stringify({ pid: child.pid, hostname: hostname() }));
      await expect(openJsonlStore({ dir })).rejects.toThrow(new RegExp(`held by live process ${child.pid}`));
    } finally {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    warnings.length = 0;
    const taken = await openJsonlStore({ dir, logger });
    expect(warnings[0]).toMatch(new RegExp(`taking over the stale lock of process ${child.pid}`));
    await taken.close();
  });

  it('group commit shares fsyncs between concurrent commits, each resolving once durable', async () => {
    const store = await openJsonlStore({ dir, durability: 'group', groupCommitMs: 5 });
    const { run, steps } = makeRun('r1', { steps: ['s'] });
    await store.createRuns([{ run, steps }]);
    await Promise.all(Array.from({ length: 200 }, (_, i) => store.commit({ events: [{ type: 'StepProgress', runId: 'r1', projectId: 'proj', data: { i } }] })));
    const stats = store.stats();
    expect(stats.commits).toBe(201);
    expect(stats.fsyncs).toBeLessThan(20);
    expect(await store.lastSeq()).toBe(200);
    await store.close();
    const again = await openJsonlStore({ dir });
    expect(await again.lastSeq()).toBe(200);
    await again.close();
  });

  it('resolves a commit with durable: false before its flush, serves its events only once durable, and a later durable commit carries it', async () => {
    const store = await openJsonlStore({ dir, durability: 'group', groupCommitMs: 60_000, groupCommitMax: 1_000 });
    const { run, steps } = makeRun('r1', { steps: ['s'] });
    const created = store.createRuns([{ run, steps }]);
    // Nothing flushes for a minute unless asked: a durable commit would hang here, this one resolves.
    const lazy = await store.commit(
      { steps: [{ stepId: 'r1/s', expectVersion: 1, set: { state: 'running', attemptId: 'a1' } }], events: [{ type: 'StepStarted', runId: 'r1', stepId: 'r1/s', projectId: 'proj' }] },
      { durable: false },
    );
    expect(lazy.steps[0]).toMatchObject({ state: 'running', version: 2 });
    expect((await store.getStep('r1/s'))?.state).toBe('running'); // applied: the next commit checks against it
    expect(store.stats().fsyncs).toBe(0);
    expect(await store.lastSeq()).toBe(0); // not served before it is durable
    expect(await store.events(0)).toEqual([]);
    await store.close(); // flushes the group: the create and the lazy commit in one fsync
    await created;
    const again = await openJsonlStore({ dir });
    expect((await again.getStep('r1/s'))?.attemptId).toBe('a1');
    expect((await again.events(0)).map((e) => e.type)).toEqual(['StepStarted']);
    await again.close();
  });

  it('compacts into a snapshot, trims events all consumers have passed, and replays only newer commits', async () => {
    const store = await openJsonlStore({ dir, retainEvents: 2 });
    const { run, steps } = makeRun('r1', { steps: ['s'] });
    await store.createRuns([{ run, steps }]);
    for (let i = 0; i < 10; i++) await store.commit({ events: [{ type: 'StepProgress', runId: 'r1', projectId: 'proj', data: { i } }] });
    await store.commit({ cursors: { slow: 6 } });
    await store.compact();
    expect(statSync(journal()).size).toBe(0);
    await store.commit({ steps: [{ stepId: 'r1/s', expectVersion: 1, set: { state: 'running' } }] });
    await store.close();
    const again = await openJsonlStore({ dir });
    expect(again.stats().recoveredCommits).toBe(1);
    expect((await again.events(0)).map((e) => e.seq)).toEqual([7, 8, 9, 10]);
    expect((await again.getStep('r1/s'))?.state).toBe('running');
    await again.close();
  });
});
