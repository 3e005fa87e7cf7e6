// The Postgres outbox under concurrent committers: seqs are gap-free and become visible in order,
// so a consumer that reads live by seq (`events(cursor)`) never skips an event. A plain sequence
// would not do: two transactions take 11 and 12, 12 commits first, a reader at 10 sees 12, moves
// its cursor past 11 and never sees it. Several stores (each with its own pool, as separate
// worker processes would have) commit at once while a reader follows the outbox; commits that
// lose their compare-and-set roll back without using a seq.
//
// Also the wake-ups: a store's watchers hear other stores' commits through LISTEN/NOTIFY (the
// poll interval is set far beyond the test), and fall back to polling for changes made without
// a notification.
import { afterEach, describe, expect, it } from 'vitest';
import { isCoreError, type CoreEvent, type JobStore } from '@kiln/core';
import { openPostgresStore, type PostgresStore } from '@kiln/core/postgres';
import pg from 'pg';
import { makeRun } from '../contract/fixtures.js';
import { dropSchema, freshSchema, postgresUrl } from './helpers.js';

const COMMITTERS = 6;
const COMMITS = 60;

describe.skipIf(!postgresUrl)('Postgres store: outbox order and wake-ups', () => {
  const url = postgresUrl as string;
  const opened: JobStore[] = [];
  const schemas: string[] = [];
  const open = async (schema: string, extra: { pollMs?: number } = {}): Promise<PostgresStore> => {
    const store = await openPostgresStore({ connectionString: url, schema, poolSize: 3, ...extra });
    opened.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
    for (const schema of schemas.splice(0)) await dropSchema(url, schema);
  });

  it('gives concurrent committers gap-free seqs that a live reader sees in order, without skipping one', async () => {
    const schema = freshSchema('kiln_ob');
    schemas.push(schema);
    const stores = await Promise.all(Array.from({ length: COMMITTERS }, () => open(schema)));
    const reader = await open(schema);
    const runs = Array.from({ length: COMMITTERS }, (_, i) => makeRun(`r${i}`, { steps: ['s'] }));
    await stores[0]!.createRuns(runs);

    const seen: CoreEvent[] = [];
    const gaps: string[] = [];
    let reading = true;
    const follow = (async () => {
      let cursor = 0;
      for (;;) {
        const last = !reading;
        const batch = await reader.events(cursor, 37);
        for (const event of batch) {
          if (event.seq !== cursor + 1) gaps.push(`after ${cursor} came ${event.seq}`);
          cursor = event.seq;
          seen.push(event);
        }
        if (last && batch.length === 0) return;
      }
    })();

    // Each committer moves its own step (progress) with 1-3 events per commit, and now and then
    // sends a stale commit (an old version) that must fail and roll back, seqs included.
    let appended = 0;
    let conflicts = 0;
    await Promise.all(
      stores.map(async (store, i) => {
        const step = runs[i]!.steps[0]!;
        let version = step.version;
        for (let n = 0; n < COMMITS; n++) {
          const events = Array.from({ length: 1 + ((n + i) % 3) }, (_, k) => ({ type: 'StepProgress' as const, runId: step.runId, stepId: step.id, projectId: step.projectId, data: { committer: i, n, k } }));
          if (n % 10 === 5) {
            await expect(store.commit({ steps: [{ stepId: step.id, expectVersion: version - 1, set: { progress: -1 } }], events })).rejects.toSatisfy((e) => isCoreError(e, 'conflict'));
            conflicts++;
          }
          const result = await store.commit({ steps: [{ stepId: step.id, expectVersion: version, set: { progress: n / COMMITS } }], events });
          expect(result.events.map((e) => e.seq)).toEqual(result.events.map((_, k) => result.events[0]!.seq + k));
          appended += events.length;
          version++;
        }
      }),
    );
    reading = false;
    await follow;

    expect(conflicts).toBeGreaterThan(0);
    expect(gaps).toEqual([]);
    expect(await reader.lastSeq()).toBe(appended);
    const stored = await reader.events(0, 1_000_000);
    expect(stored.map((e) => e.seq)).toEqual(Array.from({ length: appended }, (_, k) => k + 1));
    expect(seen.map((e) => e.seq)).toEqual(stored.map((e) => e.seq));
    // Each committer's events are in the order it committed them.
    for (let i = 0; i < COMMITTERS; i++) {
      const mine = stored.filter((e) => e.data['committer'] === i).map((e) => Number(e.data['n']) * 10 + Number(e.data['k']));
      expect(mine).toEqual([...mine].sort((a, b) => a - b));
    }
  });

  it('wakes watchers through LISTEN/NOTIFY on other stores’ commits, and by polling when no notification comes', async () => {
    const schema = freshSchema('kiln_wk');
    schemas.push(schema);
    // No polling within the test's time: only a notification can wake this one.
    const listener = await open(schema, { pollMs: 3_600_000 });
    const writer = await open(schema);
    let wakes = 0;
    let resolveWake: () => void = () => {};
    const stop = listener.watch(() => {
      wakes++;
      resolveWake();
    });
    const woken = () => new Promise<void>((resolve) => (resolveWake = resolve));
    // The first wake-up comes when LISTEN is in place (changes may have happened before it).
    await woken();
    const before = wakes;
    const next = woken();
    const { run, steps } = makeRun('r1');
    await writer.createRuns([{ run, steps, events: [{ type: 'RunCreated', runId: 'r1', projectId: 'proj' }] }]);
    await next;
    expect(wakes).toBeGreaterThan(before);
    stop();

    // Polling: a watcher with a short poll interval wakes although nothing notifies (a change
    // made behind the store's back, with plain SQL).
    const poller = await open(schema, { pollMs: 50 });
    let polled = 0;
    const stopPoll = poller.watch(() => polled++);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`UPDATE "${schema}".kiln_steps SET not_before = 0 WHERE id = 'r1/a'`);
    } finally {
      await admin.end();
    }
    const start = polled;
    await new Promise((r) => setTimeout(r, 400));
    expect(polled - start).toBeGreaterThanOrEqual(2);
    stopPoll();
  });
});
