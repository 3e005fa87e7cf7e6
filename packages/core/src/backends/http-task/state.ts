/**
 * Monotonic task state: updates that arrive late or twice (webhooks out of order, a poll racing a
 * stream) never move a task backwards, and a terminal state never changes.
 */
import type { RemoteStatus } from '../../backend.js';

const TERMINAL = new Set<RemoteStatus['state']>(['succeeded', 'failed', 'canceled', 'expired']);

/** `succeeded`, `failed` and `canceled` never change again. */
export function isTerminal(status: RemoteStatus | undefined): boolean {
  return status !== undefined && TERMINAL.has(status.state);
}

function rank(state: RemoteStatus['state']): number {
  if (TERMINAL.has(state)) return 2;
  return state === 'running' ? 1 : 0;
}

/**
 * The status after `next` arrives on top of `prev`:
 * - a terminal `prev` stays; a terminal `next` wins;
 * - `unknown` (the backend forgot the task) replaces any non-terminal state, and anything replaces it;
 * - otherwise the state never goes back (`running` → `queued` is ignored) and progress never drops.
 */
export function mergeStatus(prev: RemoteStatus | undefined, next: RemoteStatus): RemoteStatus {
  if (prev === undefined) return next;
  if (isTerminal(prev)) return prev;
  if (isTerminal(next) || next.state === 'unknown' || prev.state === 'unknown') return next;
  if (rank(next.state) < rank(prev.state)) return prev;
  const out: RemoteStatus = { state: next.state };
  const progress = Math.max(prev.progress ?? 0, next.progress ?? 0);
  if (next.progress !== undefined || prev.progress !== undefined) out.progress = progress;
  if (next.etaMs !== undefined) out.etaMs = next.etaMs;
  if (next.queuePosition !== undefined && next.state === 'queued') out.queuePosition = next.queuePosition;
  return out;
}

/** Same state, same progress (to 0.1 %), same ETA: nothing worth telling a listener. */
export function sameStatus(a: RemoteStatus | undefined, b: RemoteStatus | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    a.state === b.state &&
    Math.round((a.progress ?? -1) * 1000) === Math.round((b.progress ?? -1) * 1000) &&
    a.etaMs === b.etaMs &&
    a.queuePosition === b.queuePosition &&
    a.error?.message === b.error?.message
  );
}

/** Calls every listener, isolating their failures from each other and from the caller. */
export function notify(
  listeners: Iterable<(status: RemoteStatus) => void>,
  status: RemoteStatus,
  onError: (error: unknown) => void,
): void {
  for (const listener of [...listeners]) {
    try {
      listener(status);
    } catch (error) {
      onError(error);
    }
  }
}
