/** Options of the circuit breakers (one per backend and model). */
export interface BreakerOptions {
  /** It trips when more than this many failures fall within `windowMs`. Default 5 (the seeds' "more than 5 in 1 minute"). */
  failureThreshold?: number;
  /** Default 60000 ms. */
  windowMs?: number;
  /** How long it stays open before a half-open probe. Default 30000 ms. */
  openMs?: number;
}

/** Defaults of {@link BreakerOptions}. */
export const BREAKER_DEFAULTS: Required<BreakerOptions> = { failureThreshold: 5, windowMs: 60_000, openMs: 30_000 };

/** The state of one breaker. */
export interface BreakerState {
  key: string;
  state: 'closed' | 'open' | 'half_open';
  /** Failures within the window. */
  failures: number;
  /** When an open breaker may be probed. */
  retryAt?: number;
}

/**
 * Circuit breakers keyed by `backend|model`. Closed: requests pass, failures are counted in a
 * sliding window. Open: requests are refused until `openMs` has passed. Half-open: one probe
 * (the backend's `health()`, or one real request) decides: success closes, failure re-opens.
 */
export class BreakerRegistry {
  readonly #options: Required<BreakerOptions>;
  readonly #breakers = new Map<string, { failures: number[]; openedAt?: number; probing: boolean }>();

  constructor(options: BreakerOptions = {}) {
    this.#options = {
      failureThreshold: options.failureThreshold ?? BREAKER_DEFAULTS.failureThreshold,
      windowMs: options.windowMs ?? BREAKER_DEFAULTS.windowMs,
      openMs: options.openMs ?? BREAKER_DEFAULTS.openMs,
    };
  }

  static key(backend: string, model: string | undefined): string {
    return `${backend}|${model ?? ''}`;
  }

  #get(key: string) {
    let b = this.#breakers.get(key);
    if (!b) this.#breakers.set(key, (b = { failures: [], probing: false }));
    return b;
  }

  state(key: string, now: number): BreakerState {
    const b = this.#get(key);
    b.failures = b.failures.filter((t) => t > now - this.#options.windowMs);
    if (b.openedAt === undefined) return { key, state: 'closed', failures: b.failures.length };
    const retryAt = b.openedAt + this.#options.openMs;
    return { key, state: now >= retryAt ? 'half_open' : 'open', failures: b.failures.length, retryAt };
  }

  /**
   * Asks to send a request. `allow`: go ahead; `probe`: half-open, the caller is the one probe
   * (call {@link success} or {@link failure} after it); `refuse`: open, try a fallback or wait
   * until `retryAt`.
   */
  acquire(key: string, now: number): { verdict: 'allow' } | { verdict: 'probe' } | { verdict: 'refuse'; retryAt: number } {
    const s = this.state(key, now);
    if (s.state === 'closed') return { verdict: 'allow' };
    const b = this.#get(key);
    if (s.state === 'half_open' && !b.probing) {
      b.probing = true;
      return { verdict: 'probe' };
    }
    return { verdict: 'refuse', retryAt: Math.max(s.retryAt ?? now, now + 1_000) };
  }

  success(key: string): void {
    const b = this.#get(key);
    b.failures = [];
    delete b.openedAt;
    b.probing = false;
  }

  /** Counts a failure; returns true if this failure tripped (or re-opened) the breaker. */
  failure(key: string, now: number): boolean {
    const b = this.#get(key);
    if (b.openedAt !== undefined) {
      if (b.probing) {
        b.probing = false;
        b.openedAt = now;
        return true;
      }
      return false;
    }
    b.failures = b.failures.filter((t) => t > now - this.#options.windowMs);
    b.failures.push(now);
    if (b.failures.length > this.#options.failureThreshold) {
      b.openedAt = now;
      return true;
    }
    return false;
  }

  /**
   * Opens the breaker at once, whatever the failure count: for failures that every next request
   * would repeat (an account out of credits). Returns true if it was closed.
   */
  trip(key: string, now: number): boolean {
    const b = this.#get(key);
    const wasOpen = b.openedAt !== undefined && !b.probing;
    b.openedAt = now;
    b.probing = false;
    return !wasOpen;
  }

  /** Ends a probe that neither succeeded nor failed (aborted). */
  releaseProbe(key: string): void {
    this.#get(key).probing = false;
  }

  list(now: number): BreakerState[] {
    return [...this.#breakers.keys()].map((key) => this.state(key, now));
  }
}
