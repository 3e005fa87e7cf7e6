/** A project's quotas. */
export interface ProjectQuota {
  /** Steps of the project running at once. */
  maxConcurrent?: number;
  /** Backend time the project may use in all, in seconds. */
  gpuSeconds?: number;
  /** Bytes of outputs the project may store in all. */
  storageBytes?: number;
}

/** Concurrency limits and quotas. */
export interface LimitOptions {
  /** Steps the backends work on at once for this client: a slot frees when the backend returns, while the step stores its outputs and commits. Default 10. */
  concurrency?: number;
  /** Steps of one project running at once. Default: no limit beyond `concurrency`. */
  perProject?: number;
  /** Steps running at once per backend name (ComfyUI runs one prompt per server: `{ comfyui: 1 }`). */
  perBackend?: Record<string, number>;
  /** Steps of one batch running at once. */
  perBatch?: number;
  /** Queued steps (pending, ready, retry_wait) beyond which `submit()` refuses with `backpressure` and an ETA. Default: no limit. */
  maxQueued?: number;
  /** Quotas per project id, or a function that returns them. */
  quotas?: Record<string, ProjectQuota> | ((projectId: string) => ProjectQuota | undefined);
}

/** Defaults of {@link LimitOptions}. */
export const LIMIT_DEFAULTS = { concurrency: 10, maxQueued: Number.POSITIVE_INFINITY } as const;

/** What is in flight, for limit checks. @internal */
export class InFlight {
  readonly steps = new Map<string, { projectId: string; backend: string; batchId: string | undefined }>();
  readonly #count = { project: new Map<string, number>(), backend: new Map<string, number>(), batch: new Map<string, number>() };

  get size(): number {
    return this.steps.size;
  }

  add(id: string, entry: { projectId: string; backend: string; batchId: string | undefined }): void {
    this.steps.set(id, entry);
    bump(this.#count.project, entry.projectId, 1);
    bump(this.#count.backend, entry.backend, 1);
    if (entry.batchId !== undefined) bump(this.#count.batch, entry.batchId, 1);
  }

  delete(id: string): void {
    const entry = this.steps.get(id);
    if (!entry) return;
    this.steps.delete(id);
    bump(this.#count.project, entry.projectId, -1);
    bump(this.#count.backend, entry.backend, -1);
    if (entry.batchId !== undefined) bump(this.#count.batch, entry.batchId, -1);
  }

  project(id: string): number {
    return this.#count.project.get(id) ?? 0;
  }

  backend(name: string): number {
    return this.#count.backend.get(name) ?? 0;
  }

  batch(id: string): number {
    return this.#count.batch.get(id) ?? 0;
  }

  projects(): string[] {
    return [...this.#count.project.keys()];
  }

  backends(): string[] {
    return [...this.#count.backend.keys()];
  }

  batches(): string[] {
    return [...this.#count.batch.keys()];
  }
}

function bump(map: Map<string, number>, key: string, by: number): void {
  const next = (map.get(key) ?? 0) + by;
  if (next <= 0) map.delete(key);
  else map.set(key, next);
}
