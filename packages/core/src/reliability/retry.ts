import type { BackendErrorKind } from '../backend.js';

/** How failed steps are retried. */
export interface RetryOptions {
  /** Attempts in all (the first included) that transient failures and request-rate 429s may use. Default 5. */
  maxAttempts?: number;
  /** Base of the exponential backoff. Default 1000 ms. */
  baseDelayMs?: number;
  /** Cap of one wait. Default 60000 ms. */
  maxDelayMs?: number;
  /** Wait of a step refused with a concurrency 429 (no attempt used), before jitter. Default 2000 ms. */
  concurrencyWaitMs?: number;
}

/** Defaults of {@link RetryOptions}. */
export const RETRY_DEFAULTS: Required<RetryOptions> = { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 60_000, concurrencyWaitMs: 2000 };

/**
 * Exponential backoff with full jitter (AWS Architecture Blog): a uniformly random wait in
 * `[0, min(maxDelayMs, baseDelayMs × 2^(attempt-1)))`, where `attempt` counts from 1.
 */
export function fullJitterDelay(attempt: number, options: Pick<Required<RetryOptions>, 'baseDelayMs' | 'maxDelayMs'>, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/** What to do with a failed attempt. */
export type FailureDecision =
  | { action: 'retry'; delayMs: number; attempts: number }
  | { action: 'wait'; delayMs: number }
  | { action: 'dead_letter'; reason: string; attempts: number };

/**
 * Decides the fate of a failed attempt. Only `transient` and `rate_requests` use attempts (with
 * backoff, at least the backend's `Retry-After`); `rate_concurrency` waits in the queue without
 * using one; `input_invalid`, `auth`, `fatal` and `insufficient_credits` are dead-lettered at once.
 */
export function decideFailure(
  kind: BackendErrorKind,
  attemptsUsed: number,
  options: Required<RetryOptions>,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): FailureDecision {
  if (kind === 'rate_concurrency') {
    return { action: 'wait', delayMs: Math.max(retryAfterMs ?? 0, Math.floor(options.concurrencyWaitMs * (0.5 + random()))) };
  }
  if (kind === 'transient' || kind === 'rate_requests') {
    const attempts = attemptsUsed + 1;
    if (attempts >= options.maxAttempts) return { action: 'dead_letter', reason: `${kind}: ${attempts} of ${options.maxAttempts} attempts used`, attempts };
    return { action: 'retry', delayMs: Math.max(retryAfterMs ?? 0, fullJitterDelay(attempts, options, random)), attempts };
  }
  if (kind === 'insufficient_credits') {
    return { action: 'dead_letter', reason: 'insufficient_credits: the backend account is out of credits; top it up, then redrive()', attempts: attemptsUsed + 1 };
  }
  return { action: 'dead_letter', reason: `${kind}: not retryable`, attempts: attemptsUsed + 1 };
}
