import { CoreError } from '../errors.js';
import { clone, StoreState } from './state.js';
import type { Commit, CommitOptions, CommitResult, EventInput, JobStore, RunRecord, StepRecord } from './types.js';

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /** Clock. Default `Date.now`. */
  now?: () => number;
}

/**
 * A {@link JobStore} in memory: for tests and throw-away runs. Everything is lost with the
 * process; use {@link openJsonlStore} to survive restarts.
 */
export function memoryStore(options: MemoryStoreOptions = {}): JobStore {
  return new StateStore('memory', new StoreState(), options.now ?? Date.now, async () => {});
}

/**
 * A store on a {@link StoreState}: checks, then persists through `persist` (the journal, or
 * nothing), then applies. Writes are serialized. @internal
 */
export class StateStore implements JobStore {
  #closed = false;
  /** Events up to this seq are durable. */
  durableSeq: number;

  constructor(
    readonly kind: string,
    readonly state: StoreState,
    readonly now: () => number,
    private readonly persist: (entry: ReturnType<StoreState['prepare']>) => Promise<void>,
    private readonly onClose: () => Promise<void> = async () => {},
  ) {
    this.durableSeq = state.seq;
  }

  protected check(operation: string): void {
    if (this.#closed) throw new CoreError('closed', `store.${operation}: the ${this.kind} store is closed`);
  }

  async createRuns(runs: readonly { run: RunRecord; steps: StepRecord[]; events?: EventInput[] }[]): Promise<{ created: boolean; run: RunRecord }[]> {
    this.check('createRuns');
    const fresh: { run: RunRecord; steps: StepRecord[] }[] = [];
    const events: EventInput[] = [];
    const seen = new Set<string>();
    const results = runs.map(({ run, steps, events: runEvents }) => {
      const existing = this.state.runs.get(run.id);
      if (existing || seen.has(run.id)) return { created: false, run: clone(existing ?? run) };
      for (const step of steps) {
        if (step.runId !== run.id) throw new CoreError('conflict', `store.createRuns: step ${step.id} belongs to run ${step.runId}, not ${run.id}`);
        if (this.state.steps.has(step.id)) throw new CoreError('conflict', `store.createRuns: step ${step.id} already exists`);
      }
      seen.add(run.id);
      fresh.push({ run: structuredClone(run), steps: structuredClone(steps) });
      events.push(...(runEvents ?? []));
      return { created: true, run };
    });
    if (fresh.length > 0) await this.write({ events }, fresh);
    return results;
  }

  async commit(commit: Commit, options: CommitOptions = {}): Promise<CommitResult> {
    this.check('commit');
    const entry = await this.write(commit, [], options.durable !== false);
    return { runs: clone(entry.runs ?? []), steps: clone(entry.steps ?? []), events: clone(entry.events ?? []) };
  }

  /** Prepares, persists and applies; the state changes only if `persist` succeeds. */
  private async write(commit: Commit, newRuns: { run: RunRecord; steps: StepRecord[] }[], durable = true) {
    const entry = this.state.prepare(commit, this.now(), newRuns);
    // Applied before the journal write resolves, so the next commit checks against it (group
    // commit); `durableSeq` holds readers of events back until the write is durable.
    this.state.apply(entry);
    const persisted = this.persist(entry).then(() => {
      const last = entry.events?.at(-1)?.seq;
      if (last !== undefined && last > this.durableSeq) this.durableSeq = last;
    });
    if (durable) await persisted;
    // A failed write fails the journal for good: the next durable commit reports it.
    else persisted.catch(() => {});
    return entry;
  }

  async getRun(runId: string) {
    this.check('getRun');
    const run = this.state.runs.get(runId);
    return run ? clone(run) : undefined;
  }

  async getStep(stepId: string) {
    this.check('getStep');
    const step = this.state.steps.get(stepId);
    return step ? clone(step) : undefined;
  }

  async listRuns(query = {}) {
    this.check('listRuns');
    return clone(this.state.listRuns(query));
  }

  async listSteps(query = {}) {
    this.check('listSteps');
    return clone(this.state.listSteps(query));
  }

  async countSteps(query = {}) {
    this.check('countSteps');
    return this.state.countSteps(query);
  }

  async keyOwner(key: string) {
    this.check('keyOwner');
    const id = this.state.keys.get(key);
    const step = id === undefined ? undefined : this.state.steps.get(id);
    return step ? clone(step) : undefined;
  }

  async lease(options: Parameters<JobStore['lease']>[0]) {
    this.check('lease');
    return clone(this.state.lease(options));
  }

  async renew(stepId: string, workerId: string, leaseMs: number, now: number) {
    this.check('renew');
    return this.state.renew(stepId, workerId, leaseMs, now);
  }

  async release(stepId: string, workerId: string) {
    this.check('release');
    this.state.release(stepId, workerId);
  }

  async nextDue(now: number) {
    this.check('nextDue');
    return this.state.nextDue(now);
  }

  async events(afterSeq: number, limit = 1000) {
    this.check('events');
    return clone(this.state.eventsAfter(afterSeq, limit, this.durableSeq));
  }

  async lastSeq() {
    this.check('lastSeq');
    return this.durableSeq;
  }

  async getCursor(consumer: string) {
    this.check('getCursor');
    return this.state.cursors.get(consumer) ?? 0;
  }

  async usage(projectId: string) {
    this.check('usage');
    return this.state.usage(projectId);
  }

  async close() {
    if (this.#closed) return;
    this.#closed = true;
    await this.onClose();
  }
}
