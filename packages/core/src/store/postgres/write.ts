import type { PoolClient } from 'pg';
import { CoreError } from '../../errors.js';
import { StoreState, type JournalEntry } from '../state.js';
import type { Commit, EventInput, RunRecord, StepRecord, UsageDelta } from '../types.js';
import { q, sqlState } from './sql.js';

/** What a write needs besides the connection. @internal */
export interface WriteContext {
  schema: string;
  /** NOTIFY channel of this schema. */
  channel: string;
  /** Sent as the payload, so a store ignores its own notifications. */
  instanceId: string;
  now: number;
}

/**
 * Applies one commit inside the caller's transaction: locks the runs and steps it names (in id
 * order, so two commits never deadlock on each other), checks them with the very rules of the
 * embedded stores ({@link StoreState.prepare}: compare-and-set on `version`, the transition
 * table, the merge where `undefined` deletes a field), then writes records, keys, usage, cursors
 * and events, and notifies listeners. `fresh` runs were inserted by {@link insertRuns}; their
 * steps are inserted here. @internal
 */
export async function applyCommit(
  client: PoolClient,
  ctx: WriteContext,
  commit: Commit,
  fresh: { run: RunRecord; steps: StepRecord[] }[] = [],
): Promise<JournalEntry> {
  const s = q(ctx.schema);
  const scratch = new StoreState();
  const runIds = [...new Set((commit.runs ?? []).map((c) => c.runId))].sort();
  const stepIds = [...new Set((commit.steps ?? []).map((c) => c.stepId))].sort();
  const previousState = new Map<string, string>();
  if (runIds.length > 0) {
    const { rows } = await client.query<{ record: RunRecord }>(`SELECT record FROM ${s}.kiln_runs WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`, [runIds]);
    for (const { record } of rows) scratch.runs.set(record.id, record);
  }
  if (stepIds.length > 0) {
    const { rows } = await client.query<{ record: StepRecord }>(`SELECT record FROM ${s}.kiln_steps WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`, [stepIds]);
    for (const { record } of rows) {
      scratch.steps.set(record.id, record);
      previousState.set(record.id, record.state);
    }
  }
  // Seqs are assigned below, from the outbox counter; prepare numbers the events from 1.
  const entry = scratch.prepare(commit, ctx.now, fresh);
  const freshRuns = new Set(fresh.map((f) => f.run.id));
  const freshSteps = new Set(fresh.flatMap((f) => f.steps.map((st) => st.id)));

  const changedRuns = (entry.runs ?? []).filter((r) => !freshRuns.has(r.id));
  const newSteps = (entry.steps ?? []).filter((st) => freshSteps.has(st.id));
  const changedSteps = (entry.steps ?? []).filter((st) => !freshSteps.has(st.id));

  if (changedRuns.length > 0) {
    await client.query(
      `UPDATE ${s}.kiln_runs t SET project_id = r.project_id, batch_id = r.batch_id, state = r.state, version = r.version, record = r.record
       FROM jsonb_to_recordset($1::jsonb) AS r(id text, project_id text, batch_id text, state text, version integer, record jsonb)
       WHERE t.id = r.id`,
      [JSON.stringify(changedRuns.map(runRow))],
    );
  }
  if (newSteps.length > 0) {
    try {
      await client.query(
        `INSERT INTO ${s}.kiln_steps (id, run_id, project_id, batch_id, backend, state, version, key, not_before, ready_seq, record)
         SELECT r.id, r.run_id, r.project_id, r.batch_id, r.backend, r.state, r.version, r.key, r.not_before,
                CASE WHEN r.state = 'ready' THEN nextval('${s}.kiln_ready_seq') END, r.record
         FROM jsonb_to_recordset($1::jsonb) AS r(id text, run_id text, project_id text, batch_id text, backend text, state text, version integer, key text, not_before double precision, record jsonb, n integer)
         ORDER BY r.n`,
        [JSON.stringify(newSteps.map((st, n) => ({ ...stepRow(st), n })))],
      );
    } catch (error) {
      if (sqlState(error) === '23505') throw new CoreError('conflict', `store.createRuns: a step of these runs already exists (${(error as { detail?: string }).detail ?? 'duplicate id'})`, { cause: error });
      throw error;
    }
  }
  if (changedSteps.length > 0) {
    // A state change away from `running` ends the lease, like the embedded stores' putStep.
    const rows = changedSteps.map((st) => ({ ...stepRow(st), end_lease: previousState.get(st.id) !== st.state && st.state !== 'running' }));
    await client.query(
      `UPDATE ${s}.kiln_steps t SET
         project_id = r.project_id, batch_id = r.batch_id, backend = r.backend, state = r.state, version = r.version,
         key = r.key, not_before = r.not_before, record = r.record,
         ready_seq = CASE WHEN r.state = 'ready' THEN nextval('${s}.kiln_ready_seq') ELSE t.ready_seq END,
         lease_owner = CASE WHEN r.end_lease THEN NULL ELSE t.lease_owner END,
         lease_until = CASE WHEN r.end_lease THEN NULL ELSE t.lease_until END
       FROM jsonb_to_recordset($1::jsonb) AS r(id text, project_id text, batch_id text, backend text, state text, version integer, key text, not_before double precision, record jsonb, end_lease boolean)
       WHERE t.id = r.id`,
      [JSON.stringify(rows)],
    );
  }
  const keyed = (entry.steps ?? []).filter((st) => st.state === 'done' && st.key !== undefined);
  if (keyed.length > 0) {
    // The first done step with a key keeps it (ON CONFLICT DO NOTHING), as in the embedded stores.
    await client.query(
      `INSERT INTO ${s}.kiln_keys (key, step_id)
       SELECT k.key, k.step_id FROM jsonb_to_recordset($1::jsonb) AS k(key text, step_id text) ORDER BY k.key
       ON CONFLICT (key) DO NOTHING`,
      [JSON.stringify(keyed.map((st) => ({ key: st.key, step_id: st.id })))],
    );
  }
  if (entry.usage && entry.usage.length > 0) {
    const rows = sumUsage(entry.usage);
    await client.query(
      `INSERT INTO ${s}.kiln_usage AS u (project_id, gpu_ms, storage_bytes, steps)
       SELECT d.project_id, d.gpu_ms, d.storage_bytes, d.steps
       FROM jsonb_to_recordset($1::jsonb) AS d(project_id text, gpu_ms double precision, storage_bytes double precision, steps double precision)
       ORDER BY d.project_id
       ON CONFLICT (project_id) DO UPDATE SET gpu_ms = u.gpu_ms + EXCLUDED.gpu_ms, storage_bytes = u.storage_bytes + EXCLUDED.storage_bytes, steps = u.steps + EXCLUDED.steps`,
      [JSON.stringify(rows)],
    );
  }
  if (entry.cursors) {
    const rows = Object.entries(entry.cursors)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([consumer, seq]) => ({ consumer, seq }));
    await client.query(
      `INSERT INTO ${s}.kiln_cursors AS c (consumer, seq)
       SELECT x.consumer, x.seq FROM jsonb_to_recordset($1::jsonb) AS x(consumer text, seq bigint) ORDER BY x.consumer
       ON CONFLICT (consumer) DO UPDATE SET seq = GREATEST(c.seq, EXCLUDED.seq)`,
      [JSON.stringify(rows)],
    );
  }
  if (entry.events && entry.events.length > 0) {
    // Last: the counter row is the outbox's lock. Held from here to COMMIT, it makes seqs gap-free
    // and visible in order: a reader at seq n never sees n + 2 before n + 1.
    const n = entry.events.length;
    const { rows } = await client.query<{ seq: string }>(`UPDATE ${s}.kiln_outbox_seq SET seq = seq + $1 WHERE id = 1 RETURNING seq`, [n]);
    const base = Number(rows[0]?.seq) - n;
    entry.events = entry.events.map((e, i) => ({ ...e, seq: base + i + 1 }));
    await client.query(
      `INSERT INTO ${s}.kiln_events (seq, type, run_id, body)
       SELECT e.seq, e.type, e.run_id, e.body FROM jsonb_to_recordset($1::jsonb) AS e(seq bigint, type text, run_id text, body jsonb)`,
      [JSON.stringify(entry.events.map((e) => ({ seq: e.seq, type: e.type, run_id: e.runId, body: e })))],
    );
  }
  // Wake other processes when there is something for them: work (a step became ready, or waits
  // with a new time) or a run that settled (waiters). Events alone reach subscribers by polling.
  const wakes =
    (entry.steps ?? []).some((st) => st.state === 'ready' || st.state === 'retry_wait') ||
    changedRuns.some((r) => r.state !== scratch.runs.get(r.id)?.state);
  if (wakes) await client.query('SELECT pg_notify($1, $2)', [ctx.channel, ctx.instanceId]);
  return entry;
}

/**
 * Inserts runs whose id is not taken (in id order; a concurrent creator of the same id waits, then
 * finds it taken) and returns the ids it inserted. @internal
 */
export async function insertRuns(client: PoolClient, schema: string, runs: readonly RunRecord[]): Promise<Set<string>> {
  if (runs.length === 0) return new Set();
  const rows = [...runs].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((r, n) => ({ ...runRow(r), n }));
  const { rows: inserted } = await client.query<{ id: string }>(
    `INSERT INTO ${q(schema)}.kiln_runs (id, project_id, batch_id, state, version, record)
     SELECT r.id, r.project_id, r.batch_id, r.state, r.version, r.record
     FROM jsonb_to_recordset($1::jsonb) AS r(id text, project_id text, batch_id text, state text, version integer, record jsonb, n integer)
     ORDER BY r.n
     ON CONFLICT (id) DO NOTHING
     RETURNING id`,
    [JSON.stringify(rows)],
  );
  return new Set(inserted.map((r) => r.id));
}

/** Checks new runs' steps and keeps the first of duplicate run ids, as the embedded stores do. @internal */
export function splitNew(
  runs: readonly { run: RunRecord; steps: StepRecord[]; events?: EventInput[] }[],
): { run: RunRecord; steps: StepRecord[]; events: EventInput[] }[] {
  const seen = new Set<string>();
  const out: { run: RunRecord; steps: StepRecord[]; events: EventInput[] }[] = [];
  for (const { run, steps, events } of runs) {
    for (const step of steps) {
      if (step.runId !== run.id) throw new CoreError('conflict', `store.createRuns: step ${step.id} belongs to run ${step.runId}, not ${run.id}`);
    }
    if (seen.has(run.id)) continue;
    seen.add(run.id);
    out.push({ run, steps, events: events ?? [] });
  }
  return out;
}

function runRow(r: RunRecord) {
  return { id: r.id, project_id: r.projectId, batch_id: r.batchId ?? null, state: r.state, version: r.version, record: r };
}

function stepRow(st: StepRecord) {
  return {
    id: st.id,
    run_id: st.runId,
    project_id: st.projectId,
    batch_id: st.batchId ?? null,
    backend: st.route.backend,
    state: st.state,
    version: st.version,
    key: st.key ?? null,
    not_before: st.notBefore ?? null,
    record: st,
  };
}

function sumUsage(deltas: readonly UsageDelta[]) {
  const byProject = new Map<string, { project_id: string; gpu_ms: number; storage_bytes: number; steps: number }>();
  for (const d of deltas) {
    const u = byProject.get(d.projectId) ?? { project_id: d.projectId, gpu_ms: 0, storage_bytes: 0, steps: 0 };
    u.gpu_ms += d.gpuMs ?? 0;
    u.storage_bytes += d.storageBytes ?? 0;
    u.steps += d.steps ?? 0;
    byProject.set(d.projectId, u);
  }
  return [...byProject.values()].sort((a, b) => (a.project_id < b.project_id ? -1 : a.project_id > b.project_id ? 1 : 0));
}
