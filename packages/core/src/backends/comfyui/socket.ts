/**
 * The one WebSocket per ComfyUI server: `/ws?clientId=…`, reconnected with exponential backoff
 * and jitter (never a storm: one attempt at a time, a floor under every wait, and no reconnect
 * while nothing is being watched), and checked with pings where the implementation has them.
 */
import type { BackendLogger } from '../http-task/http.js';

/**
 * A WebSocket constructor: the `ws` package's (the default in Node, which sends `headers`), or a
 * browser's (which ignores them).
 */
export type WebSocketConstructor = new (
  url: string,
  protocols?: string[],
  options?: { headers?: Record<string, string> },
) => object;

/** The part of a WebSocket the client uses (the browser API, which `ws` also implements). */
interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code?: number; reason?: string }) => void) | null;
  onerror: ((event: { message?: string; error?: unknown }) => void) | null;
  close(code?: number, reason?: string): void;
  /** `ws` only. */
  ping?(): void;
  terminate?(): void;
  on?(event: 'pong', listener: () => void): unknown;
}

/** Reconnect timing. */
export interface ReconnectOptions {
  initialDelayMs: number;
  maxDelayMs: number;
}

/**
 * The wait before reconnect attempt `attempt` (0-based): "equal jitter", a random point in the
 * upper half of `min(max, initial × 2^attempt)`, so waits grow and never drop to zero.
 */
export function reconnectDelay(attempt: number, options: ReconnectOptions, random: () => number = Math.random): number {
  const cap = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** Math.min(attempt, 30));
  return Math.round(cap / 2 + random() * (cap / 2));
}

/** @internal */
export interface SocketDeps {
  name: string;
  url: string;
  headers: Record<string, string>;
  constructorFor: () => Promise<WebSocketConstructor>;
  logger: BackendLogger;
  reconnect: ReconnectOptions;
  pingIntervalMs: number;
  random: () => number;
  /** A JSON message arrived. */
  onMessage(message: { type: string; data: unknown }): void;
  /** The socket (re)opened: events sent meanwhile are lost, so watched prompts must be polled. */
  onOpen(reconnected: boolean): void;
  /** Whether anything is watched; no reconnect otherwise. */
  wanted(): boolean;
}

const OPEN = 1;

/** @internal The WebSocket of one connection. */
export class ComfySocket {
  readonly #deps: SocketDeps;
  #socket: WebSocketLike | undefined;
  #state: 'idle' | 'connecting' | 'open' = 'idle';
  #attempt = 0;
  #everOpened = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #awaitingPong = false;
  #waiters: ((open: boolean) => void)[] = [];
  #closed = false;
  /** The last attempt failed and none has succeeded since: don't make callers wait for it. */
  failing = false;
  /** Connection attempts so far (for tests and metrics). */
  attempts = 0;
  lastMessageAt = 0;

  constructor(deps: SocketDeps) {
    this.#deps = deps;
  }

  /** A reconnect is scheduled (after a failure): callers should not wait for it. */
  get backingOff(): boolean {
    return this.#timer !== undefined;
  }

  get isOpen(): boolean {
    return this.#state === 'open' && this.#socket?.readyState === OPEN;
  }

  /** Opens the socket if needed and waits up to `timeoutMs` for it; false if it is not open by then. */
  ensure(timeoutMs: number): Promise<boolean> {
    if (this.isOpen) return Promise.resolve(true);
    if (this.#closed) return Promise.resolve(false);
    if (this.#state === 'idle' && this.#timer === undefined) void this.#connect();
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(false), timeoutMs);
      const finish = (open: boolean) => {
        clearTimeout(timer);
        this.#waiters = this.#waiters.filter((waiter) => waiter !== finish);
        resolve(open);
      };
      this.#waiters.push(finish);
    });
  }

  /** Reconnects now-ish if something is watched and the socket is down (no-op otherwise). */
  wake(): void {
    if (this.#closed || this.#state !== 'idle' || this.#timer !== undefined || !this.#deps.wanted()) return;
    this.#schedule();
  }

  /** Drops a socket that seems stalled; the close handler reconnects. */
  kick(reason: string): void {
    if (!this.#socket || this.#state !== 'open') return;
    this.#deps.logger.debug(`${this.#deps.name}: WebSocket seems stalled (${reason}); reconnecting`);
    this.#drop();
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#stopPing();
    this.#drop();
    this.#resolveWaiters(false);
  }

  #drop(): void {
    const socket = this.#socket;
    if (!socket) return;
    try {
      if (socket.terminate) socket.terminate();
      else socket.close(4000, 'kiln: stalled');
    } catch {
      // already closing
    }
  }

  #resolveWaiters(open: boolean): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter(open);
  }

  #schedule(): void {
    const wait = reconnectDelay(this.#attempt, this.#deps.reconnect, this.#deps.random);
    this.#attempt += 1;
    this.#deps.logger.debug(`${this.#deps.name}: WebSocket reconnect in ${wait} ms`);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (!this.#closed && this.#state === 'idle' && (this.#deps.wanted() || this.#waiters.length > 0)) void this.#connect();
    }, wait);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  async #connect(): Promise<void> {
    this.#state = 'connecting';
    this.attempts += 1;
    let socket: WebSocketLike;
    try {
      const Ctor = await this.#deps.constructorFor();
      socket = new Ctor(this.#deps.url, [], { headers: this.#deps.headers }) as WebSocketLike;
    } catch (error) {
      this.#deps.logger.warn(`${this.#deps.name}: cannot open a WebSocket: ${error instanceof Error ? error.message : String(error)}`);
      this.#state = 'idle';
      this.failing = true;
      this.#resolveWaiters(false);
      if (!this.#closed && this.#deps.wanted()) this.#schedule();
      return;
    }
    if (this.#closed) {
      socket.close();
      this.#state = 'idle';
      return;
    }
    this.#socket = socket;
    socket.onopen = () => {
      if (this.#socket !== socket) return;
      this.#state = 'open';
      this.failing = false;
      const reconnected = this.#everOpened;
      this.#everOpened = true;
      this.#deps.logger.debug(`${this.#deps.name}: WebSocket open`);
      this.#startPing(socket);
      this.#resolveWaiters(true);
      this.#deps.onOpen(reconnected);
    };
    socket.onmessage = (event) => {
      if (this.#socket !== socket) return;
      this.lastMessageAt = Date.now();
      this.#awaitingPong = false;
      // A server that accepts and then drops us at once (a proxy, a 403 after upgrade) must not
      // reset the backoff: only a message proves the socket works.
      this.#attempt = 0;
      if (typeof event.data !== 'string') return; // binary previews
      let message: unknown;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (typeof message === 'object' && message !== null && typeof (message as { type?: unknown }).type === 'string') {
        this.#deps.onMessage(message as { type: string; data: unknown });
      }
    };
    socket.onerror = (event) => {
      const detail = event?.message ?? (event?.error instanceof Error ? event.error.message : '');
      this.#deps.logger.debug(`${this.#deps.name}: WebSocket error${detail ? `: ${detail}` : ''}`);
    };
    socket.onclose = (event) => {
      if (this.#socket !== socket) return;
      if (this.#state === 'connecting') this.failing = true;
      this.#socket = undefined;
      this.#state = 'idle';
      this.#stopPing();
      this.#resolveWaiters(false);
      this.#deps.logger.debug(`${this.#deps.name}: WebSocket closed (${event?.code ?? '?'})`);
      if (!this.#closed && this.#deps.wanted()) this.#schedule();
    };
  }

  #startPing(socket: WebSocketLike): void {
    this.#stopPing();
    if (typeof socket.ping !== 'function' || typeof socket.on !== 'function') return;
    this.#awaitingPong = false;
    socket.on('pong', () => {
      this.#awaitingPong = false;
    });
    this.#pingTimer = setInterval(() => {
      if (this.#socket !== socket) return;
      if (this.#awaitingPong) {
        this.kick('no pong');
        return;
      }
      this.#awaitingPong = true;
      try {
        socket.ping?.();
      } catch {
        this.kick('ping failed');
      }
    }, this.#deps.pingIntervalMs);
    (this.#pingTimer as { unref?: () => void }).unref?.();
  }

  #stopPing(): void {
    if (this.#pingTimer) clearInterval(this.#pingTimer);
    this.#pingTimer = undefined;
  }
}
