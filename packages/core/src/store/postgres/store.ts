import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { CoreError } from '../../errors.js';
import { silentLogger, type Logger } from '../../logger.js';
import type { StepState } from '../../states.js';
import type {
  Commit,
  CommitResult,
  CoreEvent,
  EventInput,
  JobStore,
  LeaseOptions,
  ProjectUsage,
  RunQuery,
  RunRecord,
  StepQuery,
  StepRecord,
} from '../types.js';
import { leaseSteps, releaseLease, renewLease } from './lease.js';
import { migrate } from './migrations.js';
import { ChangeFeed } from './notify.js';
import { resolveOptions, type PostgresStoreOptions, type ResolvedPostgresOptions } from './options.js';
import { inTransaction, num, q, storeFailed } from './sql.js';
import { applyCommit, insertRuns, splitNew, type WriteContext } from './write.js';

/** A {@link JobStore} on PostgreSQL; see {@link openPostgresStore}. */
export interface PostgresStore extends JobStore {
  readonly kind: 'postgres';
  /** The schema the tables live in. */
  readonly schema: string;
  /**
   * Calls `onChange` when other processes committed (LISTEN/NOTIFY) and at least every `pollMs`.
   * The job client uses it to find work other workers made ready. Returns the unsubscribe.
   */
  watch(onChange: () => void): () => void;
}

/**
 * Opens the PostgreSQL {@link JobStore}: many workers, on many machines, share one queue. Applies
 * pending schema migrations first (under an advisory lock: workers may start together). Records
 * are `jsonb` rows beside the columns the store queries; `commit()` is one transaction that
 * locks the rows it changes and checks them with the same rules as the embedded stores;
 * `lease()` is `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT n)`, round-robin
 * over projects; the outbox is a table read by seq (gap-free, in commit order); usage counters
 * change in the commit's transaction; other processes' commits wake the client through
 * LISTEN/NOTIFY, with polling as the fallback.
 *
 * @example
 * ```ts
 * import { createJobClient } from '@kiln/core';
 * import { openPostgresStore } from '@kiln/core/postgres';
 *
 * const store = await openPostgresStore({ connectionString: process.env.DATABASE_URL });
 * const client = createJobClient({ store, backends: { comfyui: comfyuiBackend({ baseUrl }) } });
 * await client.start(); // on every worker machine
 * ```
 * @throws `KilnValidationError` for bad options; {@link CoreError} `store_failed` when the
 *   database cannot be reached or has a newer schema than this code.
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const o = resolveOptions(options);
  const logger = o.logger ?? silentLogger;
  const owned = o.pool === undefined;
  const pool = o.pool ?? (await makePool(o, logger));
  try {
    if (o.migrate) {
      const applied = await migrate(pool, o.schema);
      if (applied.length > 0) logger.info(`postgres store: schema "${o.schema}" migrated to version ${applied.at(-1)}`, { schema: o.schema });
    } else {
      await pool.query(`SELECT 1 FROM ${q(o.schema)}.kiln_migrations LIMIT 1`);
    }
  } catch (error) {
    if (owned) await pool.end().catch(() => {});
    throw storeFailed(`opening schema "${o.schema}"`, error);
  }
  return new PgStore(pool, owned, o, logger);
}

async function makePool(o: ResolvedPostgresOptions, logger: Logger): Promise<Pool> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({
    connectionString: o.connectionString,
    max: o.poolSize,
    ...(o.statementTimeoutMs > 0 ? { statement_timeout: o.statementTimeoutMs } : {}),
    ...(o.ssl === undefined ? {} : { ssl: o.ssl }),
    application_name: 'kiln',
  });
  // An idle connection that breaks (a server restart) is reported here; the pool replaces it.
  pool.on('error', (error) => logger.warn(`postgres store: an idle connection failed: ${error.message}`));
  return pool;
}

class PgStore implements PostgresStore {
  readonly kind = 'postgres' as const;
  readonly schema: string;
  readonly #s: string;
  readonly #now: () => number;
  readonly #instanceId = randomUUID();
  readonly #channel: string;
  readonly #feed: ChangeFeed;
  #closed = false;

  constructor(
    private readonly pool: Pool,
    private readonly owned: boolean,
    options: ResolvedPostgresOptions,
    logger: Logger,
  ) {
    this.schema = options.schema;
    this.#s = q(options.schema);
    this.#now = options.now;
    this.#channel = `kiln_${options.schema}`;
    this.#feed = new ChangeFeed(pool, this.#channel, this.#instanceId, options.pollMs, options.notifyCoalesceMs, logger);
  }

  #check(operation: string): void {
    if (this.#closed) throw new CoreError('closed', `store.${operation}: the postgres store is closed`);
  }

  #ctx(): WriteContext {
    return { schema: this.schema, channel: this.#channel, instanceId: this.#instanceId, now: this.#now() };
  }

  async #query<R extends object>(what: string, text: string, values: unknown[] = []): Promise<R[]> {
    this.#check(what);
    try {
      return (await this.pool.query<R>(text, values)).rows;
    } catch (error) {
      throw storeFailed(what, error);
    }
  }

  async createRuns(runs: readonly { run: RunRecord; steps: StepRecord[]; events?: EventInput[] }[]): Promise<{ created: boolean; run: RunRecord }[]> {
    this.#check('createRuns');
    const unique = splitNew(runs);
    const { created, existing } = await inTransaction(
      this.pool,
      async (client) => {
        const created = await insertRuns(client, this.schema, unique.map((u) => u.run));
        const fresh = unique.filter((u) => created.has(u.run.id));
        const others = unique.filter((u) => !created.has(u.run.id)).map((u) => u.run.id);
        const existing = new Map<string, RunRecord>();
        if (others.length > 0) {
          const { rows } = await client.query<{ record: RunRecord }>(`SELECT record FROM ${this.#s}.kiln_runs WHERE id = ANY($1::text[])`, [others]);
          for (const { record } of rows) existing.set(record.id, record);
        }
        if (fresh.length > 0) {
          await applyCommit(
            client,
            this.#ctx(),
            { events: fresh.flatMap((f) => f.events) },
            fresh.map((f) => ({ run: f.run, steps: f.steps })),
          );
        }
        return { created, existing };
      },
      'createRuns',
    );
    const first = new Set<string>();
    return runs.map(({ run }) => {
      if (created.has(run.id) && !first.has(run.id)) {
        first.add(run.id);
        return { created: true, run };
      }
      return { created: false, run: existing.get(run.id) ?? run };
    });
  }

  async commit(commit: Commit): Promise<CommitResult> {
    this.#check('commit');
    const entry = await inTransaction(this.pool, (client) => applyCommit(client, this.#ctx(), commit), 'commit');
    return { runs: entry.runs ?? [], steps: entry.steps ?? [], events: entry.events ?? [] };
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const rows = await this.#query<{ record: RunRecord }>('getRun', `SELECT record FROM ${this.#s}.kiln_runs WHERE id = $1`, [runId]);
    return rows[0]?.record;
  }

  async getStep(stepId: string): Promise<StepRecord | undefined> {
    const rows = await this.#query<{ record: StepRecord }>('getStep', `SELECT record FROM ${this.#s}.kiln_steps WHERE id = $1`, [stepId]);
    return rows[0]?.record;
  }

  async listRuns(query: RunQuery = {}): Promise<RunRecord[]> {
    const { where, values } = filter(query);
    const limit = query.limit === undefined ? '' : ` LIMIT ${Math.max(0, Math.floor(query.limit))}`;
    const rows = await this.#query<{ record: RunRecord }>('listRuns', `SELECT record FROM ${this.#s}.kiln_runs${where} ORDER BY ord${limit}`, values);
    return rows.map((r) => r.record);
  }

  async listSteps(query: StepQuery = {}): Promise<StepRecord[]> {
    const { where, values } = filter(query);
    const limit = query.limit === undefined ? '' : ` LIMIT ${Math.max(0, Math.floor(query.limit))}`;
    const rows = await this.#query<{ record: StepRecord }>('listSteps', `SELECT record FROM ${this.#s}.kiln_steps${where} ORDER BY ord${limit}`, values);
    return rows.map((r) => r.record);
  }

  async countSteps(query: Omit<StepQuery, 'state' | 'limit'> = {}): Promise<Partial<Record<StepState, number>>> {
    const { where, values } = filter(query);
    const rows = await this.#query<{ state: StepState; n: number }>('countSteps', `SELECT state, count(*)::int AS n FROM ${this.#s}.kiln_steps${where} GROUP BY state`, values);
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }

  async keyOwner(key: string): Promise<StepRecord | undefined> {
    const rows = await this.#query<{ record: StepRecord }>(
      'keyOwner',
      `SELECT s.record FROM ${this.#s}.kiln_keys k JOIN ${this.#s}.kiln_steps s ON s.id = k.step_id WHERE k.key = $1`,
      [key],
    );
    return rows[0]?.record;
  }

  async lease(options: LeaseOptions): Promise<StepRecord[]> {
    this.#check('lease');
    return leaseSteps(this.pool, this.schema, options);
  }

  async renew(stepId: string, workerId: string, leaseMs: number, now: number): Promise<boolean> {
    this.#check('renew');
    try {
      return await renewLease(this.pool, this.schema, stepId, workerId, leaseMs, now);
    } catch (error) {
      throw storeFailed('renew', error);
    }
  }

  async release(stepId: string, workerId: string): Promise<void> {
    this.#check('release');
    try {
      await releaseLease(this.pool, this.schema, stepId, workerId);
    } catch (error) {
      throw storeFailed('release', error);
    }
  }

  async nextDue(now: number): Promise<number | undefined> {
    const rows = await this.#query<{ at: number | null }>(
      'nextDue',
      `SELECT min(not_before) AS at FROM ${this.#s}.kiln_steps WHERE state IN ('ready', 'retry_wait', 'awaiting_review') AND not_before > $1`,
      [now],
    );
    const at = rows[0]?.at;
    return at === null || at === undefined ? undefined : num(at);
  }

  async events(afterSeq: number, limit = 1000): Promise<CoreEvent[]> {
    const rows = await this.#query<{ body: CoreEvent }>('events', `SELECT body FROM ${this.#s}.kiln_events WHERE seq > $1 ORDER BY seq LIMIT $2`, [afterSeq, limit]);
    return rows.map((r) => r.body);
  }

  async lastSeq(): Promise<number> {
    const rows = await this.#query<{ seq: string }>('lastSeq', `SELECT seq FROM ${this.#s}.kiln_outbox_seq WHERE id = 1`);
    return num(rows[0]?.seq ?? 0);
  }

  async getCursor(consumer: string): Promise<number> {
    const rows = await this.#query<{ seq: string }>('getCursor', `SELECT seq FROM ${this.#s}.kiln_cursors WHERE consumer = $1`, [consumer]);
    return num(rows[0]?.seq ?? 0);
  }

  async usage(projectId: string): Promise<ProjectUsage> {
    const rows = await this.#query<{ gpu_ms: number; storage_bytes: number; steps: number }>(
      'usage',
      `SELECT gpu_ms, storage_bytes, steps FROM ${this.#s}.kiln_usage WHERE project_id = $1`,
      [projectId],
    );
    const u = rows[0];
    return u ? { gpuMs: u.gpu_ms, storageBytes: u.storage_bytes, steps: u.steps } : { gpuMs: 0, storageBytes: 0, steps: 0 };
  }

  watch(onChange: () => void): () => void {
    this.#check('watch');
    return this.#feed.watch(onChange);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#feed.close();
    if (this.owned) await this.pool.end();
  }
}

/** WHERE clause of a run or step query. */
function filter(query: { runId?: string; batchId?: string; projectId?: string; state?: string | readonly string[]; dueBy?: number }): { where: string; values: unknown[] } {
  const clauses: string[] = [];
  const values: unknown[] = [];
  if (query.runId !== undefined) {
    values.push(query.runId);
    clauses.push(`run_id = $${values.length}`);
  }
  if (query.batchId !== undefined) {
    values.push(query.batchId);
    clauses.push(`batch_id = $${values.length}`);
  }
  if (query.projectId !== undefined) {
    values.push(query.projectId);
    clauses.push(`project_id = $${values.length}`);
  }
  if (query.state !== undefined) {
    values.push(typeof query.state === 'string' ? [query.state] : [...query.state]);
    clauses.push(`state = ANY($${values.length}::text[])`);
  }
  if (query.dueBy !== undefined) {
    // With timed states, the partial index kiln_steps_timed answers this.
    values.push(query.dueBy);
    clauses.push(`not_before <= $${values.length}`);
  }
  return { where: clauses.length > 0 ? ` WHERE ${clauses.join(' AND ')}` : '', values };
}
