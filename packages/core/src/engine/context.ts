import type { GenerationBackend } from '../backend.js';
import type { ArtifactSink } from '../artifacts.js';
import type { Logger } from '../logger.js';
import type { BreakerRegistry } from '../reliability/breaker.js';
import type { EwmaTable } from '../reliability/ewma.js';
import type { RetryOptions } from '../reliability/retry.js';
import type { QualityOptions } from '../quality/rating.js';
import type { AutoTagger } from '../quality/tagger.js';
import type { CommitResult, JobStore } from '../store/types.js';

/** Everything the engine's parts share. @internal */
export interface EngineContext {
  store: JobStore;
  backends: ReadonlyMap<string, GenerationBackend>;
  sink: ArtifactSink;
  logger: Logger;
  now: () => number;
  random: () => number;
  retry: Required<RetryOptions>;
  breakers: BreakerRegistry;
  ewma: EwmaTable;
  quality: QualityOptions | false;
  tagger: AutoTagger | undefined;
  workerId: string;
  leaseMs: number;
  stepTimeoutMs: number;
  poll: { minMs: number; maxMs: number };
  progressIntervalMs: number;
  /** Called after every commit: wakes the scheduler and event subscribers. */
  committed(result: CommitResult): void;
  /** Serializes work on one run inside this process. */
  withRunLock<T>(runId: string, work: () => Promise<T>): Promise<T>;
  /** Applies a decision that arrived before its step reached review. */
  applyEarlyDecision(stepId: string): Promise<void>;
  /** Frees the step's concurrency slot once the backend is done with it (before storing and committing). */
  backendDone(stepId: string): void;
  /** Abort controllers of running attempts, by step id (cancel, rewind). */
  running: Map<string, AbortController>;
}

/** Why a running attempt was aborted. @internal */
export class StepAborted extends Error {
  override name = 'StepAborted';
  constructor(readonly why: 'canceled' | 'rewound' | 'timeout' | 'shutdown') {
    super(`step attempt aborted: ${why}`);
  }
}
