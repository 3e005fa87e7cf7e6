import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canTransition, isCoreError, STEP_STATES, type JobStore, type StepState } from '@kiln/core';
import { makeRun } from './fixtures.js';

/** What a store factory returns to the contract suite. */
export interface StoreUnderTest {
  store: JobStore;
  /** Closes and opens the store again on the same data (durable stores only). */
  reopen?: () => Promise<JobStore>;
  cleanup?: () => Promise<void>;
}

/**
 * The contract every {@link JobStore} passes: atomic compare-and-set commits, the transition
 * table, idempotent run creation, fair leases, the outbox and usage.
 */
export function testJobStore(name: string, factory: () => Promise<StoreUnderTest>): void {
  describe(`JobStore contract: ${name}`, () => {
    let subject: StoreUnderTest;
    let store: JobStore;
    beforeEach(async () => {
      subject = await factory();
      store = subject.store;
    });
    afterEach(async () => {
      await store.close();
      await subject.cleanup?.();
    });

    it('creates runs once, with their events, and re-creation is a no-op', async () => {
      const { run, steps } = makeRun('r1');
      const first = await store.createRuns([{ run, steps, events: [{ type: 'RunCreated', runId: 'r1', projectId: 'proj' }] }]);
      expect(first).toEqual([{ created: true, run }]);
      const again = await store.createRuns([{ run: { ...run, prompt: 'changed' }, steps, events: [{ type: 'RunCreated', runId: 'r1', projectId: 'proj' }] }]);
      expect(again[0]?.created).toBe(false);
      expect(again[0]?.run.prompt).toBe('crate, low poly style');
      expect(await store.listSteps({ runId: 'r1' })).toHaveLength(2);
      const events = await store.events(0);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ seq: 1, type: 'RunCreated', correlation: { job_id: 'r1' } });
    });

    it('commits compare-and-set changes atomically with their events', async () => {
      const { run, steps } = makeRun('r1');
      await store.createRuns([{ run, steps }]);
      const result = await store.commit({
        steps: [{ stepId: 'r1/a', expectVersion: 1, set: { state: 'running', attemptId: 'x' } }],
        events: [{ type: 'StepStarted', runId: 'r1', stepId: 'r1/a', projectId: 'proj' }],
      });
      expect(result.steps[0]).toMatchObject({ state: 'running', version: 2, attemptId: 'x' });
      expect(result.events[0]).toMatchObject({ seq: 1, correlation: { job_id: 'r1', step_id: 'r1/a' } });

      // A stale version loses, and nothing of that commit applies (not even the valid part).
      const stale = store.commit({
        steps: [
          { stepId: 'r1/b', expectVersion: 1, set: { state: 'ready' } },
          { stepId: 'r1/a', expectVersion: 1, set: { state: 'done' } },
        ],
        events: [{ type: 'StepCompleted', runId: 'r1', stepId: 'r1/a', projectId: 'proj' }],
      });
      await expect(stale).rejects.toSatisfy((e) => isCoreError(e, 'conflict'));
      expect((await store.getStep('r1/b'))?.state).toBe('pending');
      expect(await store.lastSeq()).toBe(1);

      // undefined deletes a field
      const cleared = await store.commit({ steps: [{ stepId: 'r1/a', expectVersion: 2, set: { attemptId: undefined } }] });
      expect(cleared.steps[0]).not.toHaveProperty('attemptId');
      await expect(store.commit({ steps: [{ stepId: 'nope', expectVersion: 1, set: {} }] })).rejects.toSatisfy((e) => isCoreError(e, 'not_found'));
    });

    it('enforces the step state machine: every allowed transition passes, every other fails', async () => {
      const pairs: [StepState, StepState][] = [];
      for (const from of STEP_STATES) for (const to of STEP_STATES) pairs.push([from, to]);
      const runs = pairs.map(([from], i) => {
        const made = makeRun(`t${i}`, { steps: ['s'] });
        (made.steps[0] as { state: StepState }).state = from;
        return made;
      });
      await store.createRuns(runs);
      for (const [i, [from, to]] of pairs.entries()) {
        const attempt = store.commit({ steps: [{ stepId: `t${i}/s`, expectVersion: 1, set: { state: to } }] });
        if (canTransition(from, to)) await expect(attempt, `${from} → ${to}`).resolves.toBeDefined();
        else await expect(attempt, `${from} → ${to}`).rejects.toSatisfy((e) => isCoreError(e, 'invalid_transition'));
      }
      // A rewind may go back to pending or ready from anything but canceled.
      const { run, steps } = makeRun('rw', { steps: ['s'] });
      (steps[0] as { state: StepState }).state = 'done';
      await store.createRuns([{ run, steps }]);
      await expect(store.commit({ steps: [{ stepId: 'rw/s', expectVersion: 1, set: { state: 'pending' }, rewind: true }] })).resolves.toBeDefined();
      const c = makeRun('cx', { steps: ['s'] });
      (c.steps[0] as { state: StepState }).state = 'canceled';
      await store.createRuns([c]);
      await expect(store.commit({ steps: [{ stepId: 'cx/s', expectVersion: 1, set: { state: 'ready' }, rewind: true }] })).rejects.toSatisfy((e) =>
        isCoreError(e, 'invalid_transition'),
      );
    });

    it('leases ready steps once, honours notBefore, release and lapse', async () => {
      const a = makeRun('r1', { steps: ['s'] });
      const b = makeRun('r2', { steps: ['s'] });
      (b.steps[0] as { notBefore?: number }).notBefore = 5_000;
      await store.createRuns([a, b]);
      const first = await store.lease({ workerId: 'w1', limit: 10, leaseMs: 1_000, now: 1_000 });
      expect(first.map((s) => s.id)).toEqual(['r1/s']);
      expect(await store.lease({ workerId: 'w2', limit: 10, leaseMs: 1_000, now: 1_500 })).toEqual([]);
      expect(await store.nextDue(1_500)).toBe(5_000);
      expect((await store.lease({ workerId: 'w2', limit: 10, leaseMs: 1_000, now: 2_500 })).map((s) => s.id)).toEqual(['r1/s']);
      expect(await store.renew('r1/s', 'w1', 1_000, 2_600)).toBe(false);
      expect(await store.renew('r1/s', 'w2', 1_000, 2_600)).toBe(true);
      await store.release('r1/s', 'w2');
      expect((await store.lease({ workerId: 'w3', limit: 10, leaseMs: 1_000, now: 6_000 })).map((s) => s.id).sort()).toEqual(['r1/s', 'r2/s']);
    });

    it('leases fairly across projects and skips excluded projects, backends and batches', async () => {
      const runs = [
        ...Array.from({ length: 6 }, (_, i) => makeRun(`big${i}`, { projectId: 'big', steps: ['s'] })),
        makeRun('small0', { projectId: 'small', steps: ['s'] }),
        makeRun('small1', { projectId: 'small', steps: ['s'], batchId: 'b1' }),
      ];
      await store.createRuns(runs);
      const leased = await store.lease({ workerId: 'w', limit: 4, leaseMs: 60_000, now: 1_000 });
      expect(leased.map((s) => s.projectId).sort()).toEqual(['big', 'big', 'small', 'small']);
      const rest = await store.lease({ workerId: 'w', limit: 10, leaseMs: 60_000, now: 1_000, exclude: { projects: new Set(['big']) } });
      expect(rest).toEqual([]);
      const c = makeRun('c1', { projectId: 'other', steps: ['s'], batchId: 'b2' });
      await store.createRuns([c]);
      expect(await store.lease({ workerId: 'w', limit: 10, leaseMs: 60_000, now: 1_000, exclude: { batches: new Set(['b2']), projects: new Set(['big']) } })).toEqual([]);
      expect(await store.lease({ workerId: 'w', limit: 10, leaseMs: 60_000, now: 1_000, exclude: { backends: new Set(['fn']) } })).toEqual([]);
    });

    it('times retries, waits and review timeouts with nextDue, and never leases a step in review', async () => {
      const wait = makeRun('w', { steps: ['s'] });
      (wait.steps[0] as { state: StepState; notBefore?: number }).state = 'retry_wait';
      (wait.steps[0] as { notBefore?: number }).notBefore = 9_000;
      const review = makeRun('v', { steps: ['s'] });
      (review.steps[0] as { state: StepState }).state = 'awaiting_review';
      (review.steps[0] as { notBefore?: number }).notBefore = 7_000;
      const done = makeRun('d', { steps: ['s'] });
      (done.steps[0] as { state: StepState }).state = 'done';
      (done.steps[0] as { notBefore?: number }).notBefore = 3_000;
      await store.createRuns([wait, review, done]);
      expect(await store.nextDue(1_000)).toBe(7_000);
      // The due timers: only timed steps whose notBefore has come.
      const due = async (dueBy: number, state: StepState | StepState[]) => (await store.listSteps({ state, dueBy })).map((s) => s.id).sort();
      expect(await due(6_999, ['retry_wait', 'awaiting_review'])).toEqual([]);
      expect(await due(7_000, ['retry_wait', 'awaiting_review'])).toEqual(['v/s']);
      expect(await due(9_000, ['retry_wait', 'awaiting_review'])).toEqual(['v/s', 'w/s']);
      expect(await due(9_000, 'retry_wait')).toEqual(['w/s']);
      expect(await due(9_000, 'done')).toEqual(['d/s']);
      expect((await store.listSteps({ runId: 'w', dueBy: 8_000 })).map((s) => s.id)).toEqual([]);
      expect(await store.lease({ workerId: 'w', limit: 10, leaseMs: 1_000, now: 8_000 })).toEqual([]);
      // Deciding the review ends its timer.
      await store.commit({ steps: [{ stepId: 'v/s', expectVersion: 1, set: { state: 'approved', notBefore: undefined } }] });
      expect(await store.nextDue(1_000)).toBe(9_000);
      expect(await store.nextDue(9_000)).toBeUndefined();
    });

    it('recovers running steps through lease({ state: "running" })', async () => {
      const { run, steps } = makeRun('r1', { steps: ['s'] });
      (steps[0] as { state: StepState }).state = 'running';
      await store.createRuns([{ run, steps }]);
      expect(await store.lease({ workerId: 'w', limit: 5, leaseMs: 1_000, now: 1_000 })).toEqual([]);
      expect((await store.lease({ workerId: 'w', limit: 5, leaseMs: 1_000, now: 1_000, state: 'running' })).map((s) => s.id)).toEqual(['r1/s']);
    });

    it('indexes done idempotency keys, counts, filters and usage', async () => {
      const { run, steps } = makeRun('r1', { batchId: 'b' });
      await store.createRuns([{ run, steps }]);
      await store.commit({ steps: [{ stepId: 'r1/a', expectVersion: 1, set: { state: 'running', key: 'k1' } }] });
      expect(await store.keyOwner('k1')).toBeUndefined();
      await store.commit({ steps: [{ stepId: 'r1/a', expectVersion: 2, set: { state: 'done' } }], usage: [{ projectId: 'proj', gpuMs: 50, steps: 1 }] });
      await store.commit({ usage: [{ projectId: 'proj', gpuMs: 25, storageBytes: 100 }] });
      expect((await store.keyOwner('k1'))?.id).toBe('r1/a');
      expect(await store.countSteps()).toEqual({ done: 1, pending: 1 });
      expect(await store.countSteps({ batchId: 'b' })).toEqual({ done: 1, pending: 1 });
      expect(await store.countSteps({ batchId: 'other' })).toEqual({});
      expect((await store.listSteps({ state: ['done', 'failed'] })).map((s) => s.id)).toEqual(['r1/a']);
      expect((await store.listRuns({ batchId: 'b' })).map((r) => r.id)).toEqual(['r1']);
      expect(await store.usage('proj')).toEqual({ gpuMs: 75, storageBytes: 100, steps: 1 });
      expect(await store.usage('none')).toEqual({ gpuMs: 0, storageBytes: 0, steps: 0 });
    });

    it('keeps the first done owner of an idempotency key, and charges usage only with a commit that applies', async () => {
      await store.createRuns([makeRun('r1', { steps: ['s'] }), makeRun('r2', { steps: ['s'] })]);
      await store.commit({ steps: [{ stepId: 'r1/s', expectVersion: 1, set: { state: 'running', key: 'same' } }] });
      await store.commit({ steps: [{ stepId: 'r1/s', expectVersion: 2, set: { state: 'done' } }], usage: [{ projectId: 'proj', steps: 1 }] });
      // A second step with the same key (it reused the first one's outputs) completes too.
      await store.commit({ steps: [{ stepId: 'r2/s', expectVersion: 1, set: { state: 'running', key: 'same' } }] });
      await store.commit({ steps: [{ stepId: 'r2/s', expectVersion: 2, set: { state: 'done' } }], usage: [{ projectId: 'proj', steps: 1 }] });
      expect((await store.keyOwner('same'))?.id).toBe('r1/s');
      // A commit that loses its compare-and-set charges nothing.
      await expect(store.commit({ steps: [{ stepId: 'r2/s', expectVersion: 1, set: {} }], usage: [{ projectId: 'proj', steps: 5, gpuMs: 9 }] })).rejects.toSatisfy((e) =>
        isCoreError(e, 'conflict'),
      );
      expect(await store.usage('proj')).toEqual({ gpuMs: 0, storageBytes: 0, steps: 2 });
    });

    it('keeps a lease from ready to running and ends it when the step leaves running', async () => {
      await store.createRuns([makeRun('r1', { steps: ['s'] })]);
      expect((await store.lease({ workerId: 'w1', limit: 1, leaseMs: 10_000, now: 1_000 })).map((s) => s.id)).toEqual(['r1/s']);
      await store.commit({ steps: [{ stepId: 'r1/s', expectVersion: 1, set: { state: 'running' } }] });
      // Held: nobody recovers it while the lease runs.
      expect(await store.lease({ workerId: 'w2', limit: 1, leaseMs: 10_000, now: 2_000, state: 'running' })).toEqual([]);
      expect(await store.renew('r1/s', 'w1', 10_000, 2_000)).toBe(true);
      await store.commit({ steps: [{ stepId: 'r1/s', expectVersion: 2, set: { state: 'retry_wait', notBefore: 3_000 } }] });
      expect(await store.renew('r1/s', 'w1', 10_000, 2_500)).toBe(false);
      await store.commit({ steps: [{ stepId: 'r1/s', expectVersion: 3, set: { state: 'ready', notBefore: undefined } }] });
      expect((await store.lease({ workerId: 'w2', limit: 1, leaseMs: 10_000, now: 4_000 })).map((s) => s.id)).toEqual(['r1/s']);
    });

    it('serves the outbox by seq with limits and keeps consumer cursors', async () => {
      const { run, steps } = makeRun('r1');
      await store.createRuns([{ run, steps }]);
      for (let i = 0; i < 5; i++) await store.commit({ events: [{ type: 'StepProgress', runId: 'r1', stepId: 'r1/a', projectId: 'proj', data: { i } }] });
      expect((await store.events(2, 2)).map((e) => e.seq)).toEqual([3, 4]);
      expect(await store.lastSeq()).toBe(5);
      await store.commit({ cursors: { notifier: 3 } });
      await store.commit({ cursors: { notifier: 2 } }); // cursors never move back
      expect(await store.getCursor('notifier')).toBe(3);
      expect(await store.getCursor('other')).toBe(0);
    });

    it('returns read-only snapshots: changing a returned record fails or changes nothing', async () => {
      const { run, steps } = makeRun('r1');
      await store.createRuns([{ run, steps }]);
      (steps[0] as { state: string }).state = 'done'; // the caller's input is not the store's copy
      const step = await store.getStep('r1/a');
      try {
        (step as { state: string }).state = 'done';
      } catch {
        // frozen
      }
      expect((await store.getStep('r1/a'))?.state).toBe('ready');
      const before = await store.getStep('r1/a');
      await store.commit({ steps: [{ stepId: 'r1/a', expectVersion: 1, set: { state: 'running' } }] });
      expect(before?.state).toBe('ready'); // a snapshot does not move with the store
    });

    it('keeps everything across a reopen (durable stores)', async (ctx) => {
      if (!subject.reopen) ctx.skip();
      const { run, steps } = makeRun('r1');
      await store.createRuns([{ run, steps, events: [{ type: 'RunCreated', runId: 'r1', projectId: 'proj' }] }]);
      await store.commit({
        steps: [{ stepId: 'r1/a', expectVersion: 1, set: { state: 'running', key: 'k' } }],
        usage: [{ projectId: 'proj', gpuMs: 5 }],
        cursors: { c: 1 },
      });
      await store.commit({ steps: [{ stepId: 'r1/a', expectVersion: 2, set: { state: 'done' } }] });
      store = await subject.reopen!();
      expect(await store.getStep('r1/a')).toMatchObject({ state: 'done', version: 3 });
      expect((await store.keyOwner('k'))?.id).toBe('r1/a');
      expect(await store.usage('proj')).toMatchObject({ gpuMs: 5 });
      expect(await store.getCursor('c')).toBe(1);
      expect(await store.lastSeq()).toBe(1);
      await store.commit({ events: [{ type: 'StepProgress', runId: 'r1', projectId: 'proj' }] });
      expect((await store.events(0)).map((e) => e.seq)).toEqual([1, 2]);
    });

    it('refuses work after close', async () => {
      await store.close();
      await expect(store.getRun('x')).rejects.toSatisfy((e) => isCoreError(e, 'closed'));
    });
  });
}
