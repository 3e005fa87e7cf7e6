/**
 * One ComfyUI server: its HTTP routes, its one WebSocket, and the tracking of the prompts Kiln
 * queued there. Several `comfyUIBackend`s (one per workflow) can share a connection.
 *
 * Protocol facts this relies on (from ComfyUI's `server.py`, `execution.py`, `main.py`):
 * - queue and history live in RAM: a restart forgets every prompt (→ `unknown`);
 * - per-prompt events go only to the socket of the submitting `client_id`; nothing is replayed on
 *   reconnect, so prompts are polled after every (re)connect and whenever they go quiet;
 * - `execution_success` is sent *before* the history is written; `executing {node: null}` after.
 *   A prompt is reported `succeeded` only once its history (with outputs) is there;
 * - a fully cached prompt may send no per-node events at all;
 * - `/queue` is read before `/history/{id}`: a prompt leaves the running list and enters the
 *   history atomically, so that order never sees it in neither.
 */
import { BackendError, type BackendOutput, type RemoteStatus } from '../../backend.js';
import {
  assignDefaults,
  checkBaseUrl,
  contentTypeOf,
  defaultFetch,
  delay,
  httpError,
  joinUrl,
  readText,
  Redactor,
  send,
  SILENT_BACKEND_LOGGER,
  tryParseJson,
  type BackendLogger,
  type FetchLike,
  type HttpContext,
} from '../http-task/http.js';
import { isTerminal, mergeStatus, notify, sameStatus } from '../http-task/state.js';
import { executionFailure, promptRefusal } from './errors.js';
import { ComfySocket, type WebSocketConstructor } from './socket.js';
import { invalidOption } from '../../errors.js';

/** Options of {@link createComfyUIConnection}. */
export interface ComfyUIConnectionOptions {
  /** The server, such as `http://127.0.0.1:8188` (a path prefix of a proxy is kept). */
  baseUrl: string;
  /** Default: the global `fetch`. */
  fetch?: FetchLike;
  /** Default: the `ws` package (loaded on first use), else the global `WebSocket`. */
  WebSocket?: WebSocketConstructor;
  /**
   * Headers on every request and on the WebSocket upgrade: ComfyUI has no auth of its own, hosts
   * put a proxy with basic or bearer auth in front. Values of auth-like headers are redacted.
   */
  headers?: Record<string, string>;
  logger?: BackendLogger;
  /** Name in messages. Default `comfyui(<baseUrl>)`. */
  name?: string;
  /** The WebSocket `clientId`, sent as `client_id`. Default: a random UUID per connection. */
  clientId?: string;
  /** Use the WebSocket for progress and completion; without it Kiln only polls. Default true. */
  useWebSocket?: boolean;
  /** Poll tick for watched prompts that need it. Default 1 000 ms. */
  pollIntervalMs?: number;
  /** Poll a watched prompt after this long without an event about it. Default 15 000 ms. */
  staleAfterMs?: number;
  /** First reconnect wait (jittered, doubling). Default 500 ms. */
  reconnectInitialDelayMs?: number;
  /** Longest reconnect wait. Default 30 000 ms. */
  reconnectMaxDelayMs?: number;
  /** WebSocket ping interval (with `ws`); a missed pong reconnects. Default 20 000 ms. */
  pingIntervalMs?: number;
  /** How long `submit` waits for the WebSocket before going on without it. Default 5 000 ms. */
  connectTimeoutMs?: number;
  /** Per HTTP request. Default 30 000 ms. */
  requestTimeoutMs?: number;
  /** How long `outputs()` waits for a history entry after success was announced. Default 30 000 ms. */
  historyTimeoutMs?: number;
  /** Jitter source, for tests. Default `Math.random`. */
  random?: () => number;
}

/** Defaults of {@link ComfyUIConnectionOptions}. */
export const COMFYUI_CONNECTION_DEFAULTS: Required<
  Pick<
    ComfyUIConnectionOptions,
    | 'useWebSocket'
    | 'pollIntervalMs'
    | 'staleAfterMs'
    | 'reconnectInitialDelayMs'
    | 'reconnectMaxDelayMs'
    | 'pingIntervalMs'
    | 'connectTimeoutMs'
    | 'requestTimeoutMs'
    | 'historyTimeoutMs'
  >
> = {
  useWebSocket: true,
  pollIntervalMs: 1_000,
  staleAfterMs: 15_000,
  reconnectInitialDelayMs: 500,
  reconnectMaxDelayMs: 30_000,
  pingIntervalMs: 20_000,
  connectTimeoutMs: 5_000,
  requestTimeoutMs: 30_000,
  historyTimeoutMs: 30_000,
};

/** A file in a history entry's outputs. */
export interface ComfyFileRef {
  nodeId: string;
  filename: string;
  subfolder: string;
  type: string;
  /** The key it was listed under: `images`, `gifs`, `3d`, … */
  kind: string;
}

/** The answer to `POST /prompt`. */
export interface QueuedPrompt {
  promptId: string;
  /** The server answered 409: a prompt with this id was already queued (or ran). */
  duplicate: boolean;
  /** Outputs that failed validation and were dropped although the prompt was queued. */
  nodeErrors: unknown;
}

interface PromptJob {
  id: string;
  status: RemoteStatus | undefined;
  listeners: Set<(status: RemoteStatus) => void>;
  lastEventAt: number;
  /** `execution_success` arrived; the history may not be written yet. */
  successSeen: boolean;
  nodeCount: number;
  done: Set<string>;
  nodeFraction: number;
  polling: boolean;
}

/** A ComfyUI server, shared by the backends of its workflows. */
export interface ComfyUIConnection {
  readonly name: string;
  readonly baseUrl: string;
  readonly clientId: string;
  /** False once the server was seen ignoring or refusing client `prompt_id`s (older ComfyUI). */
  readonly acceptsPromptIds: boolean | undefined;
  /** Opens the WebSocket (if used) and waits briefly for it, so events are not missed. */
  ready(): Promise<void>;
  queuePrompt(graph: unknown, promptId: string | undefined, extraData: Record<string, unknown>, nodeCount: number): Promise<QueuedPrompt>;
  /** Where a prompt stands, from the server (and what the WebSocket said). */
  status(promptId: string, signal?: AbortSignal): Promise<RemoteStatus>;
  subscribe(promptId: string, listener: (status: RemoteStatus) => void): () => void;
  /** The files a finished prompt wrote, from its history entry. */
  files(promptId: string, signal?: AbortSignal): Promise<ComfyFileRef[]>;
  /** Downloads a file through `/view`. */
  view(file: Pick<ComfyFileRef, 'filename' | 'subfolder' | 'type'>, signal?: AbortSignal): Promise<Uint8Array>;
  /** Uploads an input image; returns the value for a `LoadImage` input (`subfolder/name`). */
  uploadImage(data: Uint8Array, filename: string, contentType: string, subfolder: string): Promise<string>;
  /** Interrupts a running prompt or removes a pending one. */
  cancel(promptId: string): Promise<'interrupted' | 'dequeued' | 'not_found'>;
  reconcile(promptIds: readonly string[]): Promise<Map<string, RemoteStatus>>;
  health(): Promise<{ ok: boolean; detail?: string }>;
  /** `GET /object_info` (all node classes and their inputs), for validation and code generation. */
  objectInfo(nodeClass?: string): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

const MAX_JOBS = 2_000;
const PER_PROMPT_EVENTS = new Set([
  'execution_start',
  'execution_cached',
  'executing',
  'executed',
  'execution_success',
  'execution_error',
  'execution_interrupted',
]);

/** Connects to a ComfyUI server (lazily: nothing happens until the first call). */
export function createComfyUIConnection(options: ComfyUIConnectionOptions): ComfyUIConnection {
  const baseUrl = checkBaseUrl('comfyui', options.baseUrl);
  const o = assignDefaults(COMFYUI_CONNECTION_DEFAULTS, options);
  const name = options.name ?? `comfyui(${baseUrl})`;
  for (const key of ['pollIntervalMs', 'staleAfterMs', 'reconnectInitialDelayMs', 'reconnectMaxDelayMs', 'requestTimeoutMs'] as const) {
    if (!Number.isFinite(o[key]) || o[key] <= 0) throw invalidOption(`${name}: ${key} must be a positive number, got ${o[key]}`);
  }
  const secretHeaders = Object.entries(options.headers ?? {})
    .filter(([key]) => /authorization|api[-_]?key|token|secret|cookie/i.test(key))
    .map(([, value]) => value);
  const ctx: HttpContext = {
    name,
    fetch: options.fetch ?? defaultFetch(name),
    redactor: new Redactor(secretHeaders),
    logger: options.logger ?? SILENT_BACKEND_LOGGER,
    timeoutMs: o.requestTimeoutMs,
  };
  const clientId = options.clientId ?? crypto.randomUUID();
  const jobs = new Map<string, PromptJob>();
  let acceptsPromptIds: boolean | undefined;
  let jobsApi: boolean | undefined;
  let pollTimer: ReturnType<typeof setInterval> | undefined;
  let closed = false;

  const socket = o.useWebSocket
    ? new ComfySocket({
        name,
        url: `${baseUrl.replace(/^http/, 'ws')}/ws?clientId=${encodeURIComponent(clientId)}`,
        headers: options.headers ?? {},
        constructorFor: async () => options.WebSocket ?? (await loadWebSocket()),
        logger: ctx.logger,
        reconnect: { initialDelayMs: o.reconnectInitialDelayMs, maxDelayMs: o.reconnectMaxDelayMs },
        pingIntervalMs: o.pingIntervalMs,
        random: options.random ?? Math.random,
        onMessage,
        onOpen(reconnected) {
          // Events sent while the socket was down are lost: catch up on every watched prompt.
          if (reconnected) for (const job of watchedJobs()) void refresh(job);
        },
        wanted: () => watchedJobs().length > 0,
      })
    : undefined;

  // ---------------------------------------------------------------- HTTP

  async function request(method: string, path: string, init: { json?: unknown; form?: FormData; signal?: AbortSignal | undefined } = {}) {
    const headers: Record<string, string> = { ...options.headers };
    let body: BodyInit | undefined;
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    } else if (init.form) {
      body = init.form;
    }
    const url = joinUrl(baseUrl, path);
    const response = await send(ctx, method, url, { headers, body, signal: init.signal });
    return { url, response };
  }

  async function getJson(path: string, signal?: AbortSignal): Promise<unknown> {
    const { url, response } = await request('GET', path, { signal });
    const text = await readText(response, 64 * 1024 * 1024);
    if (!response.ok) throw httpError(ctx, 'GET', url, response, text);
    const json = tryParseJson(text);
    if (json === undefined) throw new BackendError('transient', `${name}: GET ${path}: the answer is not JSON`, { details: { path } });
    return json;
  }

  // ---------------------------------------------------------------- tracking

  function job(id: string, nodeCount = 0): PromptJob {
    let entry = jobs.get(id);
    if (!entry) {
      entry = { id, status: undefined, listeners: new Set(), lastEventAt: Date.now(), successSeen: false, nodeCount, done: new Set(), nodeFraction: 0, polling: false };
      jobs.set(id, entry);
      if (jobs.size > MAX_JOBS) evict();
    } else if (nodeCount > 0) {
      entry.nodeCount = nodeCount;
    }
    return entry;
  }

  function evict(): void {
    for (const [id, entry] of jobs) {
      if (jobs.size <= MAX_JOBS / 2) break;
      if (entry.listeners.size === 0 && (isTerminal(entry.status) || entry.status?.state === 'unknown')) jobs.delete(id);
    }
  }

  /** Just queued: whatever an earlier lookup said (`unknown`), the server has it now. */
  function markQueued(entry: PromptJob): void {
    if (!entry.status || entry.status.state === 'unknown') entry.status = { state: 'queued' };
  }

  function watchedJobs(): PromptJob[] {
    return [...jobs.values()].filter(
      (entry) => (entry.listeners.size > 0 || entry.successSeen) && !isTerminal(entry.status) && entry.status?.state !== 'unknown',
    );
  }

  function update(entry: PromptJob, next: RemoteStatus, source: string): RemoteStatus {
    const merged = mergeStatus(entry.status, next);
    if (!sameStatus(entry.status, merged)) {
      entry.status = merged;
      const progress = merged.progress === undefined ? '' : ` ${Math.round(merged.progress * 100)}%`;
      ctx.logger.debug(`${name}: prompt ${entry.id}: ${merged.state}${progress} (${source})`);
      notify(entry.listeners, merged, (error) => ctx.logger.warn(`${name}: a status listener threw: ${String(error)}`));
    }
    syncPolling();
    return entry.status ?? merged;
  }

  function runningProgress(entry: PromptJob): RemoteStatus {
    if (entry.nodeCount <= 0) return { state: 'running' };
    const fraction = (entry.done.size + Math.min(1, entry.nodeFraction)) / entry.nodeCount;
    return { state: 'running', progress: Math.min(0.99, Math.max(0, fraction)) };
  }

  function onMessage(message: { type: string; data: unknown }): void {
    const data = (message.data ?? {}) as Record<string, unknown>;
    const promptId = data['prompt_id'];
    if (typeof promptId !== 'string') return;
    // Per-prompt events reach only the submitting client: an unknown id is still ours (queued by
    // this client before a restart of Kiln, or answered before `queuePrompt` returned).
    let entry = jobs.get(promptId);
    if (!entry) {
      if (!PER_PROMPT_EVENTS.has(message.type)) return;
      entry = job(promptId);
    }
    entry.lastEventAt = Date.now();
    switch (message.type) {
      case 'execution_start':
        update(entry, runningProgress(entry), 'ws');
        break;
      case 'execution_cached':
        for (const node of Array.isArray(data['nodes']) ? data['nodes'] : []) entry.done.add(String(node));
        update(entry, runningProgress(entry), 'ws');
        break;
      case 'executing':
        if (data['node'] === null || data['node'] === undefined) {
          // Sent after the history is written, for success, error and interruption alike.
          void refresh(entry);
        } else {
          entry.nodeFraction = 0;
          update(entry, runningProgress(entry), 'ws');
        }
        break;
      case 'progress': {
        const value = Number(data['value']);
        const max = Number(data['max']);
        if (Number.isFinite(value) && Number.isFinite(max) && max > 0) entry.nodeFraction = value / max;
        update(entry, runningProgress(entry), 'ws');
        break;
      }
      case 'progress_state': {
        const nodes = data['nodes'];
        if (typeof nodes === 'object' && nodes !== null) {
          let running = 0;
          for (const [nodeId, state] of Object.entries(nodes as Record<string, { state?: unknown; value?: unknown; max?: unknown }>)) {
            if (state?.state === 'finished') entry.done.add(nodeId);
            else if (state?.state === 'running' && Number(state.max) > 0) running = Number(state.value) / Number(state.max);
          }
          entry.nodeFraction = running;
          update(entry, runningProgress(entry), 'ws');
        }
        break;
      }
      case 'executed':
        if (data['node'] !== undefined) entry.done.add(String(data['node']));
        update(entry, runningProgress(entry), 'ws');
        break;
      case 'execution_success':
        // Not yet: the history (and so the outputs) is written after this message.
        entry.successSeen = true;
        syncPolling();
        break;
      case 'execution_error':
        update(entry, { state: 'failed', error: executionFailure(name, promptId, data) }, 'ws');
        break;
      case 'execution_interrupted':
        update(entry, { state: 'canceled' }, 'ws');
        break;
      default:
        break;
    }
  }

  // ---------------------------------------------------------------- polling

  function syncPolling(): void {
    const needed = !closed && watchedJobs().length > 0;
    if (needed && !pollTimer) {
      pollTimer = setInterval(tick, o.pollIntervalMs);
      (pollTimer as { unref?: () => void }).unref?.();
    } else if (!needed && pollTimer) {
      clearInterval(pollTimer);
      pollTimer = undefined;
    }
    if (needed) socket?.wake();
  }

  function tick(): void {
    const now = Date.now();
    const socketOpen = socket?.isOpen ?? false;
    // One /queue read serves every prompt polled in this tick (it lists whole graphs).
    let snapshot: Promise<QueueSnapshot> | undefined;
    const queue = () => (snapshot ??= readQueue());
    for (const entry of watchedJobs()) {
      const quiet = now - entry.lastEventAt >= o.staleAfterMs;
      if (!socketOpen || quiet || entry.successSeen) void refresh(entry, socketOpen && quiet, queue);
    }
  }

  /** Asks the server about a watched prompt and applies the answer. */
  async function refresh(entry: PromptJob, stallCheck = false, queue?: () => Promise<QueueSnapshot>): Promise<void> {
    if (entry.polling) return;
    entry.polling = true;
    try {
      const before = entry.status?.state;
      const status = await serverStatus(entry.id, undefined, queue);
      entry.lastEventAt = Date.now();
      const after = update(entry, status, 'poll');
      if (stallCheck && isTerminal(after) && before !== after.state) {
        // The socket looked open but never told us: it is stalled (ComfyUI #3128, #9393).
        socket?.kick('a prompt finished without a word on the socket');
      }
    } catch (error) {
      ctx.logger.debug(`${name}: poll of ${entry.id} failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      entry.polling = false;
    }
  }

  /** Server truth, by `/api/jobs/{id}` where it exists, else `/queue` then `/history/{id}`. */
  async function serverStatus(promptId: string, signal?: AbortSignal, queue?: () => Promise<QueueSnapshot>): Promise<RemoteStatus> {
    if (jobsApi !== false) {
      const { url, response } = await request('GET', `/api/jobs/${encodeURIComponent(promptId)}`, { signal });
      const text = await readText(response, 64 * 1024 * 1024);
      const json = tryParseJson(text);
      if (response.ok && typeof json === 'object' && json !== null) {
        jobsApi = true;
        return fromJob(promptId, json as Record<string, unknown>);
      }
      if (response.status === 404 && typeof json === 'object' && json !== null) {
        jobsApi = true;
        return { state: 'unknown' };
      }
      if (response.status === 404 || response.status === 405) {
        // No such route: an older ComfyUI.
        if (jobsApi === undefined) ctx.logger.debug(`${name}: no /api/jobs; using /queue and /history`);
        jobsApi = false;
      } else {
        throw httpError(ctx, 'GET', url, response, text);
      }
    }
    const snapshot = await (queue ?? (() => readQueue(signal)))();
    if (snapshot.running.has(promptId)) return { state: 'running' };
    const position = snapshot.pending.indexOf(promptId);
    if (position >= 0) return { state: 'queued', queuePosition: position };
    const history = (await getJson(`/history/${encodeURIComponent(promptId)}`, signal)) as Record<string, unknown>;
    const entry = history[promptId];
    if (entry !== undefined) return fromHistory(promptId, entry);
    return { state: 'unknown' };
  }

  interface QueueSnapshot {
    running: Set<string>;
    pending: string[];
  }

  async function readQueue(signal?: AbortSignal): Promise<QueueSnapshot> {
    const queue = (await getJson('/queue', signal)) as { queue_running?: unknown; queue_pending?: unknown };
    const ids = (list: unknown) =>
      (Array.isArray(list) ? list : [])
        .filter((item): item is unknown[] => Array.isArray(item))
        .sort((a, b) => Number(a[0]) - Number(b[0]))
        .map((item) => String(item[1]));
    return { running: new Set(ids(queue.queue_running)), pending: ids(queue.queue_pending) };
  }

  function fromJob(promptId: string, job: Record<string, unknown>): RemoteStatus {
    switch (job['status']) {
      case 'pending':
        return { state: 'queued' };
      case 'in_progress':
        return { state: 'running' };
      case 'failed':
        return { state: 'failed', error: executionFailure(name, promptId, job['execution_error']) };
      case 'cancelled':
        return { state: 'canceled' };
      default:
        return { state: 'succeeded' };
    }
  }

  function fromHistory(promptId: string, entry: unknown): RemoteStatus {
    const status = (entry as { status?: { status_str?: unknown; messages?: unknown } }).status;
    if (status?.status_str !== 'error') return { state: 'succeeded' };
    const messages = Array.isArray(status.messages) ? (status.messages as unknown[]) : [];
    const find = (type: string) => messages.find((m): m is [string, unknown] => Array.isArray(m) && m[0] === type);
    if (find('execution_interrupted')) return { state: 'canceled' };
    return { state: 'failed', error: executionFailure(name, promptId, find('execution_error')?.[1]) };
  }

  async function historyEntry(promptId: string, signal?: AbortSignal): Promise<Record<string, unknown> | undefined> {
    const history = (await getJson(`/history/${encodeURIComponent(promptId)}`, signal)) as Record<string, unknown>;
    const entry = history[promptId];
    return typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>) : undefined;
  }

  // ---------------------------------------------------------------- the connection

  const connection: ComfyUIConnection = {
    name,
    baseUrl,
    clientId,
    get acceptsPromptIds() {
      return acceptsPromptIds;
    },

    async ready() {
      // Wait for a connection attempt that can start now; while the socket keeps failing and a
      // reconnect is scheduled (a proxy without WebSockets), submits go on and polling covers them.
      if (socket) await socket.ensure(socket.failing && socket.backingOff ? 0 : o.connectTimeoutMs);
    },

    async queuePrompt(graph, promptId, extraData, nodeCount) {
      const body: Record<string, unknown> = { prompt: graph, client_id: clientId, extra_data: extraData };
      if (promptId !== undefined) {
        body['prompt_id'] = promptId;
        // Registered first: a cached prompt can finish before the answer arrives.
        job(promptId, nodeCount);
      }
      const { url, response } = await request('POST', '/prompt', { json: body });
      const text = await readText(response);
      if (response.status === 409 && promptId !== undefined) {
        ctx.logger.debug(`${name}: prompt ${promptId} was already queued (409); tracking it`);
        acceptsPromptIds = true;
        markQueued(job(promptId, nodeCount));
        return { promptId, duplicate: true, nodeErrors: {} };
      }
      if (response.status === 400) {
        const json = tryParseJson(text) as { error?: { type?: unknown } } | undefined;
        if (promptId !== undefined && json?.error?.type === 'invalid_prompt_id') {
          ctx.logger.warn(`${name}: the server refuses client prompt ids; submitting without (a resubmit after a crash may run twice)`);
          acceptsPromptIds = false;
          jobs.delete(promptId);
          return connection.queuePrompt(graph, undefined, extraData, nodeCount);
        }
        jobs.delete(promptId ?? '');
        throw promptRefusal(name, response.status, text);
      }
      if (!response.ok) {
        if (promptId !== undefined) jobs.delete(promptId);
        throw httpError(ctx, 'POST', url, response, text);
      }
      const json = tryParseJson(text) as { prompt_id?: unknown; node_errors?: unknown } | undefined;
      const id = typeof json?.prompt_id === 'string' ? json.prompt_id : undefined;
      if (id === undefined) throw new BackendError('transient', `${name}: POST /prompt answered without a prompt_id`);
      if (promptId !== undefined) {
        if (id !== promptId) {
          if (acceptsPromptIds !== false) {
            ctx.logger.warn(`${name}: the server ignores client prompt ids (an older ComfyUI); a resubmit after a crash may run twice`);
          }
          acceptsPromptIds = false;
          jobs.delete(promptId);
        } else {
          acceptsPromptIds = true;
        }
      }
      markQueued(job(id, nodeCount));
      const nodeErrors = json?.node_errors;
      if (typeof nodeErrors === 'object' && nodeErrors !== null && Object.keys(nodeErrors).length > 0) {
        ctx.logger.warn(`${name}: prompt ${id} queued, but some outputs failed validation and will not run`);
      }
      return { promptId: id, duplicate: false, nodeErrors };
    },

    async status(promptId, signal) {
      const entry = jobs.get(promptId);
      if (entry?.status && isTerminal(entry.status)) return entry.status;
      const status = await serverStatus(promptId, signal);
      return update(job(promptId), status, 'status');
    },

    subscribe(promptId, listener) {
      const entry = job(promptId);
      entry.listeners.add(listener);
      const current = entry.status;
      if (current) queueMicrotask(() => entry.listeners.has(listener) && listener(current));
      if (socket) void socket.ensure(o.connectTimeoutMs);
      syncPolling();
      // Check once now: the prompt may have finished before anyone listened.
      void refresh(entry);
      return () => {
        entry.listeners.delete(listener);
        syncPolling();
      };
    },

    async files(promptId, signal) {
      const deadline = Date.now() + o.historyTimeoutMs;
      let entry = await historyEntry(promptId, signal);
      while (!entry) {
        const tracked = jobs.get(promptId);
        const expected = tracked?.successSeen || tracked?.status?.state === 'succeeded';
        if (!expected || Date.now() >= deadline || signal?.aborted) {
          throw new BackendError('transient', `${name}: prompt ${promptId} has no history entry (the server may have restarted)`, {
            details: { promptId, reason: 'history_missing' },
          });
        }
        await delay(Math.min(o.pollIntervalMs, 250), signal);
        entry = await historyEntry(promptId, signal);
      }
      const files: ComfyFileRef[] = [];
      const outputs = (entry['outputs'] ?? {}) as Record<string, unknown>;
      for (const [nodeId, nodeOutput] of Object.entries(outputs)) {
        if (typeof nodeOutput !== 'object' || nodeOutput === null) continue;
        for (const [kind, items] of Object.entries(nodeOutput as Record<string, unknown>)) {
          if (!Array.isArray(items)) continue;
          for (const item of items) {
            if (typeof item === 'string' && /\.(glb|gltf|obj|fbx|usdz)$/i.test(item)) {
              // Some 3D nodes list bare file names (ComfyUI's jobs.py normalizes them the same way).
              files.push({ nodeId, filename: item, subfolder: '', type: 'output', kind });
            } else if (typeof item === 'object' && item !== null && typeof (item as { filename?: unknown }).filename === 'string') {
              const file = item as { filename: string; subfolder?: unknown; type?: unknown };
              files.push({
                nodeId,
                filename: file.filename,
                subfolder: typeof file.subfolder === 'string' ? file.subfolder : '',
                type: typeof file.type === 'string' ? file.type : 'output',
                kind,
              });
            }
          }
        }
      }
      return files;
    },

    async view(file, signal) {
      const query = new URLSearchParams({ filename: file.filename, subfolder: file.subfolder, type: file.type });
      const { url, response } = await request('GET', `/view?${query.toString()}`, { signal });
      if (!response.ok) {
        const error = httpError(ctx, 'GET', url, response, await readText(response, 2048));
        // A file listed in the history but missing on disk will not come back by retrying.
        throw response.status === 404 ? new BackendError('fatal', error.message, { cause: error, details: error.details }) : error;
      }
      return new Uint8Array(await response.arrayBuffer());
    },

    async uploadImage(data, filename, contentType, subfolder) {
      const form = new FormData();
      form.append('image', new Blob([data as Uint8Array<ArrayBuffer>], { type: contentType }), filename);
      form.append('type', 'input');
      form.append('subfolder', subfolder);
      form.append('overwrite', 'false');
      const { url, response } = await request('POST', '/upload/image', { form });
      const text = await readText(response);
      if (!response.ok) throw httpError(ctx, 'POST', url, response, text);
      const json = tryParseJson(text) as { name?: unknown; subfolder?: unknown } | undefined;
      if (typeof json?.name !== 'string') throw new BackendError('transient', `${name}: POST /upload/image answered without a name`);
      // Same name, other bytes → "name (1).png": the server's answer is the name to use.
      const folder = typeof json.subfolder === 'string' ? json.subfolder : '';
      return folder ? `${folder}/${json.name}` : json.name;
    },

    async cancel(promptId) {
      const queue = await readQueue();
      const entry = job(promptId);
      if (queue.running.has(promptId)) {
        // Newer servers interrupt only this prompt; older ones interrupt whatever runs, which
        // the queue check above makes this one, short of a race at the prompt boundary.
        const { url, response } = await request('POST', '/interrupt', { json: { prompt_id: promptId } });
        if (!response.ok) throw httpError(ctx, 'POST', url, response, await readText(response));
        await readText(response, 0);
        syncPolling();
        return 'interrupted';
      }
      if (queue.pending.includes(promptId)) {
        const { url, response } = await request('POST', '/queue', { json: { delete: [promptId] } });
        if (!response.ok) throw httpError(ctx, 'POST', url, response, await readText(response));
        await readText(response, 0);
        // A dequeued prompt vanishes without an event: record the outcome here.
        update(entry, { state: 'canceled' }, 'cancel');
        return 'dequeued';
      }
      return 'not_found';
    },

    async reconcile(promptIds) {
      let snapshot: Promise<QueueSnapshot> | undefined;
      const queue = () => (snapshot ??= readQueue());
      const out = new Map<string, RemoteStatus>();
      for (const promptId of promptIds) {
        const entry = jobs.get(promptId);
        if (entry?.status && isTerminal(entry.status)) {
          out.set(promptId, entry.status);
          continue;
        }
        out.set(promptId, update(job(promptId), await serverStatus(promptId, undefined, queue), 'reconcile'));
      }
      return out;
    },

    async health() {
      try {
        const stats = (await getJson('/system_stats')) as {
          system?: { comfyui_version?: unknown };
          devices?: { name?: unknown; vram_free?: unknown; vram_total?: unknown }[];
        };
        const version = typeof stats.system?.comfyui_version === 'string' ? stats.system.comfyui_version : 'unknown version';
        const device = Array.isArray(stats.devices) ? stats.devices[0] : undefined;
        const gib = (bytes: unknown) => (Number(bytes) / 2 ** 30).toFixed(1);
        const vram = device ? `, ${String(device.name ?? 'device')} ${gib(device.vram_free)}/${gib(device.vram_total)} GiB free` : '';
        return { ok: true, detail: `ComfyUI ${version}${vram}` };
      } catch (error) {
        return { ok: false, detail: error instanceof Error ? error.message : String(error) };
      }
    },

    async objectInfo(nodeClass) {
      const path = nodeClass === undefined ? '/object_info' : `/object_info/${encodeURIComponent(nodeClass)}`;
      return (await getJson(path)) as Record<string, unknown>;
    },

    async close() {
      closed = true;
      if (pollTimer) clearInterval(pollTimer);
      pollTimer = undefined;
      socket?.close();
      for (const entry of jobs.values()) entry.listeners.clear();
    },
  };
  return connection;
}

/** Reads a file's bytes through a connection, lazily, as a {@link BackendOutput}. */
export function outputFor(connection: ComfyUIConnection, file: ComfyFileRef, promptId: string): BackendOutput {
  return {
    filename: file.filename,
    contentType: contentTypeOf(file.filename),
    data: () => connection.view(file),
    metadata: { promptId, nodeId: file.nodeId, subfolder: file.subfolder, type: file.type, kind: file.kind },
  };
}

async function loadWebSocket(): Promise<WebSocketConstructor> {
  try {
    const module = await import('ws');
    return module.WebSocket as unknown as WebSocketConstructor;
  } catch (error) {
    const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (global) return global;
    throw invalidOption(`comfyui: no WebSocket implementation (install "ws" or pass options.WebSocket)`, { cause: error, path: "WebSocket" });
  }
}
