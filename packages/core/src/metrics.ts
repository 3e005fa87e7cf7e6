import type { JobStore, StepRecord } from './store/types.js';

/** Price of a backend: per call, per second of backend time, or both. */
export interface BackendCost {
  perCall?: number;
  perSecond?: number;
}

/** Costs by backend name; the currency is the host's. */
export type CostModel = Record<string, BackendCost>;

/** Options of `metrics()`. */
export interface MetricsOptions {
  projectId?: string;
  /** Only steps finished at or after this time (ms since epoch). */
  since?: number;
  costs?: CostModel;
}

/** Latency and outcomes of one operation on one backend. */
export interface StepMetrics {
  operation: string;
  backend: string;
  /** Attempts that finished (done, awaiting review or later) or failed for good. */
  count: number;
  succeeded: number;
  failed: number;
  successRate: number;
  latencyMs: { mean: number; p50: number; p95: number; max: number };
  /** Attempts used in all, retries included. */
  retries: number;
}

/** What `metrics()` returns. */
export interface MetricsSnapshot {
  steps: StepMetrics[];
  /** Finished runs (assets) per UTC day and request asset type. */
  assetsPerDay: Record<string, Record<string, number>>;
  cost: { total: number; assets: number; perAsset: number; byBackend: Record<string, number> };
  /** Steps per state now. */
  queue: Record<string, number>;
}

const SUCCEEDED = new Set(['done', 'awaiting_review', 'approved', 'rejected']);
const FAILED = new Set(['dead_lettered', 'failed']);

/**
 * Computes metrics from the store: per-step latency and success rate by operation and backend,
 * assets per day by type, and the cost estimate per asset. @internal
 */
export async function computeMetrics(store: JobStore, options: MetricsOptions = {}): Promise<MetricsSnapshot> {
  const filter = options.projectId ? { projectId: options.projectId } : {};
  const steps = (await store.listSteps(filter)).filter((s) => options.since === undefined || (s.finishedAt ?? s.updatedAt) >= options.since);
  const groups = new Map<string, StepRecord[]>();
  for (const step of steps) {
    if (!SUCCEEDED.has(step.state) && !FAILED.has(step.state)) continue;
    const key = `${step.operation}\u0000${step.route.backend}`;
    const list = groups.get(key) ?? [];
    list.push(step);
    groups.set(key, list);
  }
  const stepMetrics: StepMetrics[] = [...groups.entries()].map(([key, list]) => {
    const [operation, backend] = key.split('\u0000') as [string, string];
    const latencies = list
      .filter((s) => SUCCEEDED.has(s.state) && s.startedAt !== undefined && s.finishedAt !== undefined)
      .map((s) => (s.finishedAt as number) - (s.startedAt as number))
      .sort((a, b) => a - b);
    const succeeded = list.filter((s) => SUCCEEDED.has(s.state)).length;
    const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
    return {
      operation,
      backend,
      count: list.length,
      succeeded,
      failed: list.length - succeeded,
      successRate: list.length === 0 ? 0 : succeeded / list.length,
      latencyMs: {
        mean: latencies.length === 0 ? 0 : latencies.reduce((a, b) => a + b, 0) / latencies.length,
        p50: pick(0.5),
        p95: pick(0.95),
        max: latencies.at(-1) ?? 0,
      },
      retries: list.reduce((n, s) => n + s.attempts, 0),
    };
  });
  const runs = (await store.listRuns({ ...filter, state: 'completed' })).filter((r) => options.since === undefined || (r.finishedAt ?? r.updatedAt) >= options.since);
  const assetsPerDay: Record<string, Record<string, number>> = {};
  for (const run of runs) {
    const day = new Date(run.finishedAt ?? run.updatedAt).toISOString().slice(0, 10);
    const byType = (assetsPerDay[day] ??= {});
    byType[run.request.asset_type] = (byType[run.request.asset_type] ?? 0) + 1;
  }
  const byBackend: Record<string, number> = {};
  let total = 0;
  for (const step of steps) {
    const price = options.costs?.[step.route.backend];
    if (!price || step.startedAt === undefined || (!SUCCEEDED.has(step.state) && !FAILED.has(step.state)) || step.lineage?.reusedFrom) continue;
    const seconds = ((step.finishedAt ?? step.updatedAt) - step.startedAt) / 1000;
    const cost = (price.perCall ?? 0) * (1 + step.attempts) + (price.perSecond ?? 0) * seconds;
    byBackend[step.route.backend] = (byBackend[step.route.backend] ?? 0) + cost;
    total += cost;
  }
  return {
    steps: stepMetrics,
    assetsPerDay,
    cost: { total, assets: runs.length, perAsset: runs.length === 0 ? 0 : total / runs.length, byBackend },
    queue: (await store.countSteps(filter)) as Record<string, number>,
  };
}
