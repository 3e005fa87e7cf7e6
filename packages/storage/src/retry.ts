import { setTimeout as sleep } from 'node:timers/promises';
import { abortError, StorageError } from './errors.js';

/** How failed storage calls are retried. */
export interface RetryOptions {
  /** Attempts in all, the first included. Default 3. */
  attempts?: number;
  /** Base of the exponential backoff. Default 200 ms. */
  baseDelayMs?: number;
  /** Longest wait between attempts. Default 5000 ms. */
  maxDelayMs?: number;
}

/** Defaults of {@link RetryOptions}. */
export const RETRY_DEFAULTS: Required<RetryOptions> = { attempts: 3, baseDelayMs: 200, maxDelayMs: 5000 };

const RETRYABLE_S3_CODES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestTimeout',
  'RequestTimeTooSkewed',
  'InternalError',
  'ServiceUnavailable',
  'TooManyRequests',
]);
const RETRYABLE_NET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'EAI_AGAIN', 'UND_ERR_SOCKET']);

/**
 * True for failures worth another attempt: HTTP 5xx, 429 and S3 throttling, and dropped
 * connections. Never for 4xx answers (bad input, denied access, missing bucket) or aborts.
 */
export function isRetryable(error: unknown): boolean {
  if (!(error instanceof StorageError)) return false;
  if (error.code !== 'io' && error.code !== 'upload_failed') return false;
  const status = error.details['status'];
  if (typeof status === 'number') return status >= 500 || status === 429;
  if (RETRYABLE_S3_CODES.has(String(error.details['s3Code']))) return true;
  let cause: unknown = error.cause;
  for (let depth = 0; cause && depth < 5; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && RETRYABLE_NET_CODES.has(code)) return true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return false;
}

/** Exponential backoff with full jitter: a random wait in `[0, min(max, base × 2^attempt))`. */
export function backoffDelay(attempt: number, options: Required<RetryOptions>, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt));
}

/**
 * Runs `operation` until it succeeds, fails with a non-retryable error, or runs out of attempts.
 * The operation must be safe to repeat: every body Kiln uploads is bytes or a file, opened anew
 * per attempt, never a half-consumed stream.
 */
export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  options: Required<RetryOptions> & { signal?: AbortSignal | undefined; name: string },
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (options.signal?.aborted) throw abortError(options.name, options.signal);
      if (attempt + 1 >= options.attempts || !isRetryable(error)) throw error;
      try {
        await sleep(backoffDelay(attempt, options), undefined, options.signal ? { signal: options.signal } : {});
      } catch {
        throw abortError(options.name, options.signal);
      }
    }
  }
}
