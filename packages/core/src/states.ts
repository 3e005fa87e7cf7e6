import { CoreError } from './errors.js';

/** Every state of a step. */
export const STEP_STATES = [
  'pending',
  'ready',
  'running',
  'awaiting_review',
  'approved',
  'rejected',
  'done',
  'failed',
  'retry_wait',
  'canceled',
  'skipped',
  'dead_lettered',
] as const;
/** A step's state; see {@link STEP_TRANSITIONS}. */
export type StepState = (typeof STEP_STATES)[number];

/**
 * The allowed transitions. `pending → ready → running → awaiting_review → approved → done` is
 * the main line (steps without review go `running → done`); `rejected`, `failed`, `canceled`,
 * `skipped` end a branch; `retry_wait` and `dead_lettered` are the failure detours.
 *
 * - `ready → ready`, `running → running`: updates in place (a new route, progress, the remote id).
 * - `ready → done`: the idempotency key was already done elsewhere; its outputs are reused.
 * - `running → ready`: waits without using an attempt (a concurrency 429, an open breaker, a
 *   Poor rating regenerated with a new seed).
 * - `awaiting_review → ready`: changes requested; the step runs again with the patch.
 * - `dead_lettered → ready | failed`: redrive or discard.
 *
 * Besides these, a **rewind** (a reject with `rewindTo`, a redrive of a branch) may move any step
 * that is not `canceled` back to `pending` or `ready`.
 */
export const STEP_TRANSITIONS: Readonly<Record<StepState, readonly StepState[]>> = {
  pending: ['ready', 'skipped', 'canceled'],
  ready: ['ready', 'running', 'done', 'skipped', 'canceled', 'dead_lettered'],
  running: ['running', 'awaiting_review', 'done', 'ready', 'retry_wait', 'dead_lettered', 'failed', 'canceled'],
  retry_wait: ['ready', 'dead_lettered', 'canceled'],
  awaiting_review: ['awaiting_review', 'approved', 'rejected', 'ready', 'canceled'],
  approved: ['done', 'canceled'],
  rejected: [],
  done: [],
  failed: [],
  canceled: [],
  skipped: [],
  dead_lettered: ['ready', 'failed', 'canceled'],
};

/** States a step never leaves on its own (a rewind or redrive may still move it). */
export const TERMINAL_STEP_STATES: ReadonlySet<StepState> = new Set(['done', 'failed', 'canceled', 'skipped', 'rejected']);
/** States that satisfy a dependency. */
export const SATISFIED_STEP_STATES: ReadonlySet<StepState> = new Set(['approved', 'done']);
/** States that end a branch without output: dependents are skipped. */
export const BLOCKING_STEP_STATES: ReadonlySet<StepState> = new Set(['failed', 'canceled', 'skipped', 'rejected']);

/** True when `from → to` is allowed (with `rewind`, any non-canceled state may go back to pending or ready). */
export function canTransition(from: StepState, to: StepState, rewind = false): boolean {
  if (rewind) return from !== 'canceled' && (to === 'pending' || to === 'ready');
  return STEP_TRANSITIONS[from].includes(to);
}

/** Throws `invalid_transition` unless `from → to` is allowed. */
export function assertTransition(stepId: string, from: StepState, to: StepState, rewind = false): void {
  if (!canTransition(from, to, rewind)) {
    throw new CoreError(
      'invalid_transition',
      `step ${stepId}: ${from} → ${to} is not allowed${rewind ? ' (rewind)' : ''}; from ${from} a step may go to ${STEP_TRANSITIONS[from].join(', ') || 'nothing (terminal)'}`,
      { details: { stepId, from, to } },
    );
  }
}

/** The states of a run. */
export type RunState = 'active' | 'completed' | 'failed' | 'canceled';
