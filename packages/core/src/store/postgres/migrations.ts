import type { Pool } from 'pg';
import { CoreError } from '../../errors.js';
import { inTransaction, q } from './sql.js';

/** One schema change: applied once, in order, recorded in `kiln_migrations`. */
export interface PostgresMigration {
  version: number;
  name: string;
  /** SQL statements; `$schema` is replaced by the quoted schema name. */
  statements: readonly string[];
}

/**
 * The schema, as versioned migrations. Records are stored whole as `jsonb`, next to the columns
 * the store queries on. Never edit a released migration: add the next one.
 */
export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    name: 'runs, steps, keys, outbox, usage, cursors, fairness',
    statements: [
      `CREATE TABLE $schema.kiln_runs (
        id text PRIMARY KEY,
        ord bigint GENERATED ALWAYS AS IDENTITY,
        project_id text NOT NULL,
        batch_id text,
        state text NOT NULL,
        version integer NOT NULL,
        record jsonb NOT NULL
      )`,
      `CREATE INDEX kiln_runs_batch ON $schema.kiln_runs (batch_id, state)`,
      `CREATE INDEX kiln_runs_project ON $schema.kiln_runs (project_id, state)`,
      `CREATE INDEX kiln_runs_state ON $schema.kiln_runs (state)`,
      // ready_seq: the order steps became ready in (taken from kiln_ready_seq at every write in
      // `ready`), the FIFO order within a project. lease_*: who holds the step and until when
      // (ms since the epoch, on the workers' clocks).
      `CREATE SEQUENCE $schema.kiln_ready_seq`,
      `CREATE TABLE $schema.kiln_steps (
        id text PRIMARY KEY,
        ord bigint GENERATED ALWAYS AS IDENTITY,
        run_id text NOT NULL REFERENCES $schema.kiln_runs (id),
        project_id text NOT NULL,
        batch_id text,
        backend text NOT NULL,
        state text NOT NULL,
        version integer NOT NULL,
        key text,
        not_before double precision,
        ready_seq bigint,
        lease_owner text,
        lease_until double precision,
        record jsonb NOT NULL
      )`,
      `CREATE INDEX kiln_steps_run ON $schema.kiln_steps (run_id)`,
      `CREATE INDEX kiln_steps_state ON $schema.kiln_steps (state)`,
      `CREATE INDEX kiln_steps_batch ON $schema.kiln_steps (batch_id, state)`,
      `CREATE INDEX kiln_steps_queue ON $schema.kiln_steps (project_id, state, ready_seq) WHERE state IN ('ready', 'running')`,
      `CREATE INDEX kiln_steps_timed ON $schema.kiln_steps (not_before) WHERE state IN ('ready', 'retry_wait') AND not_before IS NOT NULL`,
      // The unique index on idempotency keys: the first step that is done with a key owns it.
      `CREATE TABLE $schema.kiln_keys (
        key text PRIMARY KEY,
        step_id text NOT NULL
      )`,
      // The outbox: events by seq. kiln_outbox_seq holds the last seq; a commit that appends
      // events bumps it in its transaction, so seqs are gap-free and commit in order.
      `CREATE TABLE $schema.kiln_events (
        seq bigint PRIMARY KEY,
        type text NOT NULL,
        run_id text NOT NULL,
        body jsonb NOT NULL
      )`,
      `CREATE TABLE $schema.kiln_outbox_seq (
        id smallint PRIMARY KEY CHECK (id = 1),
        seq bigint NOT NULL
      )`,
      `INSERT INTO $schema.kiln_outbox_seq (id, seq) VALUES (1, 0)`,
      `CREATE TABLE $schema.kiln_cursors (
        consumer text PRIMARY KEY,
        seq bigint NOT NULL
      )`,
      `CREATE TABLE $schema.kiln_usage (
        project_id text PRIMARY KEY,
        gpu_ms double precision NOT NULL DEFAULT 0,
        storage_bytes double precision NOT NULL DEFAULT 0,
        steps double precision NOT NULL DEFAULT 0
      )`,
      // Round-robin fairness of leases: when each project was last served.
      `CREATE SEQUENCE $schema.kiln_serve_seq`,
      `CREATE TABLE $schema.kiln_served (
        project_id text PRIMARY KEY,
        served bigint NOT NULL
      )`,
    ],
  },
  {
    version: 2,
    name: 'review timeouts: awaiting_review steps join the timer index',
    statements: [
      `DROP INDEX $schema.kiln_steps_timed`,
      `CREATE INDEX kiln_steps_timed ON $schema.kiln_steps (not_before) WHERE state IN ('ready', 'retry_wait', 'awaiting_review') AND not_before IS NOT NULL`,
    ],
  },
];

/** A key for `pg_advisory_xact_lock` derived from the schema name (stable across processes). */
function lockKey(schema: string): number {
  let h = 0x4b494c4e; // "KILN"
  for (const c of schema) h = (Math.imul(h, 31) + c.charCodeAt(0)) | 0;
  return h;
}

/**
 * Applies the migrations `kiln_migrations` does not list yet, in one transaction under an
 * advisory lock on the schema: workers starting together wait for the first, then find nothing
 * to do. Throws `store_failed` when the database has a newer schema than this code knows.
 * @internal
 */
export async function migrate(pool: Pool, schema: string, migrations: readonly PostgresMigration[] = POSTGRES_MIGRATIONS): Promise<number[]> {
  const s = q(schema);
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [lockKey(schema)]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.kiln_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${s}.kiln_migrations ORDER BY version`);
    const applied = new Set(rows.map((r) => r.version));
    const known = Math.max(0, ...migrations.map((m) => m.version));
    const newest = Math.max(0, ...applied);
    if (newest > known) {
      throw new CoreError('store_failed', `openPostgresStore: schema "${schema}" is at migration ${newest}, newer than this @kiln/core knows (${known}); upgrade @kiln/core on this worker`, {
        details: { schema, version: newest, known },
      });
    }
    const done: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(m.version)) continue;
      for (const statement of m.statements) await client.query(statement.replaceAll('$schema', s));
      await client.query(`INSERT INTO ${s}.kiln_migrations (version, name) VALUES ($1, $2)`, [m.version, m.name]);
      done.push(m.version);
    }
    return done;
  });
}
