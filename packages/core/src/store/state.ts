import { CoreError } from '../errors.js';
import { assertTransition, type StepState } from '../states.js';
import type {
  Commit,
  CoreEvent,
  EventInput,
  LeaseOptions,
  ProjectUsage,
  RunQuery,
  RunRecord,
  StepQuery,
  StepRecord,
  UsageDelta,
} from './types.js';

/**
 * One committed change as the journal stores it: whole records after the change (so replay is an
 * upsert), the events with their seq, usage deltas and cursors.
 * @internal
 */
export interface JournalEntry {
  /** Commit number, from 1. */
  c: number;
  runs?: RunRecord[];
  steps?: StepRecord[];
  events?: CoreEvent[];
  usage?: UsageDelta[];
  cursors?: Record<string, number>;
}

/** A full copy of the state, for snapshots. @internal */
export interface StateSnapshot {
  commit: number;
  seq: number;
  runs: RunRecord[];
  steps: StepRecord[];
  events: CoreEvent[];
  usage: Record<string, ProjectUsage>;
  cursors: Record<string, number>;
}

const EMPTY_USAGE: ProjectUsage = { gpuMs: 0, storageBytes: 0, steps: 0 };
/** States whose `notBefore` the scheduler waits for: retries, waits, review timeouts. */
const TIMED_STATES: ReadonlySet<StepState> = new Set(['ready', 'retry_wait', 'awaiting_review']);

/**
 * The in-memory state and rules shared by the memory and JSONL stores: compare-and-set, the
 * transition table, indexes, leases and fair selection. `prepare()` validates a commit without
 * changing anything; `apply()` makes it so. @internal
 */
export class StoreState {
  readonly runs = new Map<string, RunRecord>();
  readonly steps = new Map<string, StepRecord>();
  readonly stepsByRun = new Map<string, Set<string>>();
  readonly byState = new Map<StepState, Set<string>>();
  readonly keys = new Map<string, string>();
  /** Ready steps per project, in the order they became ready (fair leasing without a full scan). */
  readonly readyByProject = new Map<string, Set<string>>();
  /** Ready, retry_wait and awaiting_review steps that have a `notBefore` (the scheduler's timer). */
  readonly timed = new Set<string>();
  events: CoreEvent[] = [];
  readonly usageByProject = new Map<string, ProjectUsage>();
  readonly cursors = new Map<string, number>();
  readonly leases = new Map<string, { workerId: string; until: number }>();
  readonly served = new Map<string, number>();
  commitNo = 0;
  seq = 0;
  #serveCounter = 0;

  /** Validates a commit against the current state and returns the journal entry it makes. */
  prepare(commit: Commit, now: number, newRuns: { run: RunRecord; steps: StepRecord[] }[] = []): JournalEntry {
    const runs = new Map<string, RunRecord>();
    const steps = new Map<string, StepRecord>();
    for (const { run, steps: runSteps } of newRuns) {
      runs.set(run.id, run);
      for (const step of runSteps) steps.set(step.id, step);
    }
    for (const change of commit.steps ?? []) {
      const current = steps.get(change.stepId) ?? this.steps.get(change.stepId);
      if (!current) throw new CoreError('not_found', `store: no step ${change.stepId}`, { details: { stepId: change.stepId } });
      if (current.version !== change.expectVersion) {
        throw new CoreError('conflict', `store: step ${change.stepId} is at version ${current.version}, not ${change.expectVersion}`, {
          details: { stepId: change.stepId, version: current.version, expected: change.expectVersion },
        });
      }
      const to = change.set.state ?? current.state;
      if (change.set.state !== undefined) assertTransition(current.id, current.state, to, change.rewind === true);
      steps.set(change.stepId, merge(current, change.set, now));
    }
    for (const change of commit.runs ?? []) {
      const current = runs.get(change.runId) ?? this.runs.get(change.runId);
      if (!current) throw new CoreError('not_found', `store: no run ${change.runId}`, { details: { runId: change.runId } });
      if (current.version !== change.expectVersion) {
        throw new CoreError('conflict', `store: run ${change.runId} is at version ${current.version}, not ${change.expectVersion}`, {
          details: { runId: change.runId, version: current.version, expected: change.expectVersion },
        });
      }
      runs.set(change.runId, merge(current, change.set, now));
    }
    let seq = this.seq;
    const events = (commit.events ?? []).map((e) => toEvent(e, ++seq, now));
    const entry: JournalEntry = { c: this.commitNo + 1 };
    if (runs.size > 0) entry.runs = [...runs.values()];
    if (steps.size > 0) entry.steps = [...steps.values()];
    if (events.length > 0) entry.events = events;
    if (commit.usage && commit.usage.length > 0) entry.usage = commit.usage;
    if (commit.cursors && Object.keys(commit.cursors).length > 0) entry.cursors = commit.cursors;
    return entry;
  }

  /** Applies a prepared (or replayed) entry. */
  apply(entry: JournalEntry): void {
    this.commitNo = entry.c;
    for (const run of entry.runs ?? []) this.runs.set(run.id, freeze(run));
    for (const step of entry.steps ?? []) this.putStep(freeze(step));
    for (const event of entry.events ?? []) {
      this.events.push(freeze(event));
      this.seq = Math.max(this.seq, event.seq);
    }
    for (const delta of entry.usage ?? []) {
      const u = { ...(this.usageByProject.get(delta.projectId) ?? EMPTY_USAGE) };
      u.gpuMs += delta.gpuMs ?? 0;
      u.storageBytes += delta.storageBytes ?? 0;
      u.steps += delta.steps ?? 0;
      this.usageByProject.set(delta.projectId, u);
    }
    for (const [name, seq] of Object.entries(entry.cursors ?? {})) this.cursors.set(name, Math.max(this.cursors.get(name) ?? 0, seq));
  }

  private putStep(step: StepRecord): void {
    const previous = this.steps.get(step.id);
    if (previous) {
      this.byState.get(previous.state)?.delete(step.id);
      if (previous.state === 'ready') this.readyByProject.get(previous.projectId)?.delete(step.id);
    }
    if (step.state === 'ready') {
      let ready = this.readyByProject.get(step.projectId);
      if (!ready) this.readyByProject.set(step.projectId, (ready = new Set()));
      ready.add(step.id);
    }
    if (TIMED_STATES.has(step.state) && step.notBefore !== undefined) this.timed.add(step.id);
    else this.timed.delete(step.id);
    this.steps.set(step.id, step);
    let set = this.byState.get(step.state);
    if (!set) this.byState.set(step.state, (set = new Set()));
    set.add(step.id);
    let runSet = this.stepsByRun.get(step.runId);
    if (!runSet) this.stepsByRun.set(step.runId, (runSet = new Set()));
    runSet.add(step.id);
    if (step.state === 'done' && step.key !== undefined && !this.keys.has(step.key)) this.keys.set(step.key, step.id);
    if (previous && previous.state !== step.state && step.state !== 'running') this.leases.delete(step.id);
  }

  snapshot(): StateSnapshot {
    return {
      commit: this.commitNo,
      seq: this.seq,
      runs: [...this.runs.values()],
      steps: [...this.steps.values()],
      events: this.events,
      usage: Object.fromEntries(this.usageByProject),
      cursors: Object.fromEntries(this.cursors),
    };
  }

  restore(snapshot: StateSnapshot): void {
    this.commitNo = snapshot.commit;
    this.seq = snapshot.seq;
    for (const run of snapshot.runs) this.runs.set(run.id, freeze(run));
    for (const step of snapshot.steps) this.putStep(freeze(step));
    this.events = snapshot.events.map(freeze);
    for (const [id, u] of Object.entries(snapshot.usage)) this.usageByProject.set(id, u);
    for (const [id, seq] of Object.entries(snapshot.cursors)) this.cursors.set(id, seq);
  }

  /** Drops events up to `seq` (all consumers are past them). */
  trimEvents(keepAfter: number): void {
    const index = this.events.findIndex((e) => e.seq > keepAfter);
    this.events = index < 0 ? [] : this.events.slice(index);
  }

  listSteps(query: StepQuery = {}): StepRecord[] {
    const states = query.state === undefined ? undefined : typeof query.state === 'string' ? [query.state] : query.state;
    let ids: Iterable<string>;
    if (query.runId !== undefined) ids = this.stepsByRun.get(query.runId) ?? [];
    else if (query.dueBy !== undefined && states !== undefined && states.length > 0 && states.every((s) => TIMED_STATES.has(s))) ids = this.timed;
    else if (states) ids = states.flatMap((s) => [...(this.byState.get(s) ?? [])]);
    else ids = this.steps.keys();
    const out: StepRecord[] = [];
    for (const id of ids) {
      const step = this.steps.get(id);
      if (!step) continue;
      if (states && !states.includes(step.state)) continue;
      if (query.batchId !== undefined && step.batchId !== query.batchId) continue;
      if (query.projectId !== undefined && step.projectId !== query.projectId) continue;
      if (query.dueBy !== undefined && (step.notBefore === undefined || step.notBefore > query.dueBy)) continue;
      out.push(step);
      if (query.limit !== undefined && out.length >= query.limit) break;
    }
    return out;
  }

  listRuns(query: RunQuery = {}): RunRecord[] {
    const states = query.state === undefined ? undefined : typeof query.state === 'string' ? [query.state] : query.state;
    const out: RunRecord[] = [];
    for (const run of this.runs.values()) {
      if (states && !states.includes(run.state)) continue;
      if (query.batchId !== undefined && run.batchId !== query.batchId) continue;
      if (query.projectId !== undefined && run.projectId !== query.projectId) continue;
      out.push(run);
      if (query.limit !== undefined && out.length >= query.limit) break;
    }
    return out;
  }

  countSteps(query: Omit<StepQuery, 'state' | 'limit'> = {}): Partial<Record<StepState, number>> {
    const counts: Partial<Record<StepState, number>> = {};
    if (query.runId === undefined && query.batchId === undefined && query.projectId === undefined) {
      for (const [state, set] of this.byState) if (set.size > 0) counts[state] = set.size;
      return counts;
    }
    for (const step of this.listSteps(query)) counts[step.state] = (counts[step.state] ?? 0) + 1;
    return counts;
  }

  lease(options: LeaseOptions): StepRecord[] {
    const state = options.state ?? 'ready';
    const { exclude } = options;
    const eligible = (id: string): StepRecord | undefined => {
      const step = this.steps.get(id);
      if (!step || step.state !== state) return undefined;
      const lease = this.leases.get(id);
      if (lease && lease.until > options.now) return undefined;
      if (state === 'ready' && step.notBefore !== undefined && step.notBefore > options.now) return undefined;
      if (exclude?.projects?.has(step.projectId) || exclude?.backends?.has(step.route.backend)) return undefined;
      if (step.batchId !== undefined && exclude?.batches?.has(step.batchId)) return undefined;
      return step;
    };
    // Candidates per project, at most `limit` each (no project can take more).
    const byProject = new Map<string, StepRecord[]>();
    if (state === 'ready') {
      for (const [project, ids] of this.readyByProject) {
        if (exclude?.projects?.has(project)) continue;
        const list: StepRecord[] = [];
        for (const id of ids) {
          const step = eligible(id);
          if (step) list.push(step);
          if (list.length >= options.limit) break;
        }
        if (list.length > 0) byProject.set(project, list);
      }
    } else {
      for (const id of this.byState.get(state) ?? []) {
        const step = eligible(id);
        if (!step) continue;
        let list = byProject.get(step.projectId);
        if (!list) byProject.set(step.projectId, (list = []));
        if (list.length < options.limit) list.push(step);
      }
    }
    // Round-robin over projects, least recently served first: no project starves.
    const projects = [...byProject.keys()].sort((a, b) => (this.served.get(a) ?? 0) - (this.served.get(b) ?? 0));
    const out: StepRecord[] = [];
    const cursor = new Map<string, number>();
    while (out.length < options.limit) {
      let took = false;
      for (const project of projects) {
        if (out.length >= options.limit) break;
        const list = byProject.get(project) ?? [];
        const i = cursor.get(project) ?? 0;
        const step = list[i];
        if (!step) continue;
        cursor.set(project, i + 1);
        out.push(step);
        this.served.set(project, ++this.#serveCounter);
        took = true;
      }
      if (!took) break;
    }
    for (const step of out) this.leases.set(step.id, { workerId: options.workerId, until: options.now + options.leaseMs });
    return out;
  }

  renew(stepId: string, workerId: string, leaseMs: number, now: number): boolean {
    const lease = this.leases.get(stepId);
    if (!lease || lease.workerId !== workerId) return false;
    lease.until = now + leaseMs;
    return true;
  }

  release(stepId: string, workerId: string): void {
    if (this.leases.get(stepId)?.workerId === workerId) this.leases.delete(stepId);
  }

  nextDue(now: number): number | undefined {
    let next: number | undefined;
    for (const id of this.timed) {
      const at = this.steps.get(id)?.notBefore;
      if (at !== undefined && at > now && (next === undefined || at < next)) next = at;
    }
    return next;
  }

  eventsAfter(afterSeq: number, limit: number, maxSeq: number): CoreEvent[] {
    let lo = 0;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.events[mid]?.seq ?? 0) <= afterSeq) lo = mid + 1;
      else hi = mid;
    }
    const out: CoreEvent[] = [];
    for (let i = lo; i < this.events.length && out.length < limit; i++) {
      const event = this.events[i];
      if (!event || event.seq > maxSeq) break;
      out.push(event);
    }
    return out;
  }

  usage(projectId: string): ProjectUsage {
    return { ...(this.usageByProject.get(projectId) ?? EMPTY_USAGE) };
  }
}

function merge<T extends { version: number; updatedAt: number }>(current: T, set: object, now: number): T {
  const next = { ...current } as Record<string, unknown>;
  for (const [key, value] of Object.entries(set)) {
    if (value === undefined) delete next[key];
    else next[key] = value;
  }
  next['version'] = current.version + 1;
  next['updatedAt'] = now;
  return next as T;
}

function toEvent(input: EventInput, seq: number, at: number): CoreEvent {
  const correlation: CoreEvent['correlation'] = { job_id: input.runId };
  if (input.stepId !== undefined) correlation.step_id = input.stepId;
  if (input.batchId !== undefined) correlation.batch_id = input.batchId;
  return { ...input, seq, at, correlation, data: input.data ?? {} };
}

/**
 * Deep-freezes a record as it enters the state: records are immutable snapshots (every change
 * makes a new one), so reads hand them out without copying. @internal
 */
export function freeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value as object)) freeze(item);
  }
  return value;
}

/** Records leave the store as they are: frozen, so a caller cannot change the store's copy. @internal */
export function clone<T>(value: T): T {
  return value;
}
