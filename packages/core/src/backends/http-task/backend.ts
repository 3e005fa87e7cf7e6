/**
 * `httpTaskBackend`: a declarative adapter for task APIs (create → poll, stream or webhook →
 * download), such as Meshy, Tripo or Rodin. The API itself is data ({@link HttpTaskApi}); this
 * file is the machinery: auth injection with redaction, input staging, the two kinds of 429,
 * `Retry-After`, monotonic state, and outputs downloaded as soon as the task succeeds, because
 * vendors' output URLs expire.
 */
import {
  BackendError,
  type BackendCapabilities,
  type BackendInput,
  type BackendOutput,
  type GenerationBackend,
  type RemoteStatus,
  type SubmitRequest,
} from '../../backend.js';
import { parseHttpTaskApi, type HttpTaskApi, type ResolvedHttpTaskApi, type TaskStateMapping } from './api.js';
import {
  assignDefaults,
  checkBaseUrl,
  classifyError,
  contentTypeOf,
  defaultFetch,
  delay,
  extensionForType,
  extensionOf,
  getPath,
  httpError,
  joinUrl,
  readText,
  Redactor,
  send,
  SILENT_BACKEND_LOGGER,
  toBase64,
  tryParseJson,
  type HttpBackendBaseOptions,
  type HttpContext,
} from './http.js';
import { readServerSentEvents } from './sse.js';
import { isTerminal, mergeStatus, notify, sameStatus } from './state.js';
import { fillPath, renderTemplate, templatePaths } from './template.js';
import { invalidOption } from '../../errors.js';

/** Options of {@link httpTaskBackend}. */
export interface HttpTaskBackendOptions extends HttpBackendBaseOptions {
  /** The API, as data: a preset such as `MESHY_IMAGE_TO_3D`, or your own. */
  api: HttpTaskApi;
  /** Per API request. Default 30 000 ms. */
  requestTimeoutMs?: number;
  /** Per output download. Default 300 000 ms. */
  downloadTimeoutMs?: number;
  /** First interval of the poller behind `subscribe()`; it grows while nothing changes. Default 2 000 ms. */
  pollIntervalMs?: number;
  /** Longest poll interval. Default 30 000 ms. */
  maxPollIntervalMs?: number;
  /**
   * The host feeds webhook deliveries to `ingestWebhook` (see `createWebhookReceiver`): the
   * backend then reports `capabilities.push` and polls only when nothing was heard for `quietMs`.
   * Default false.
   */
  webhooks?: boolean;
  /** With a stream or webhooks: poll after this long without news. Default 30 000 ms. */
  quietMs?: number;
}

/** Defaults of {@link HttpTaskBackendOptions}. */
export const HTTP_TASK_DEFAULTS: Required<
  Pick<
    HttpTaskBackendOptions,
    'requestTimeoutMs' | 'downloadTimeoutMs' | 'pollIntervalMs' | 'maxPollIntervalMs' | 'webhooks' | 'quietMs'
  >
> = {
  requestTimeoutMs: 30_000,
  downloadTimeoutMs: 300_000,
  pollIntervalMs: 2_000,
  maxPollIntervalMs: 30_000,
  webhooks: false,
  quietMs: 30_000,
};

/** What {@link HttpTaskBackend.ingestWebhook} did with a delivery. */
export interface WebhookIngestResult {
  /** The task the delivery was about; absent when the payload names none. */
  taskId?: string;
  /** The task's status after the delivery (unchanged for a stale or duplicate one). */
  status?: RemoteStatus;
  /** False when the delivery changed nothing (a duplicate, or older than what is known). */
  changed: boolean;
}

/** A {@link GenerationBackend} for a task API, plus the webhook entry point. */
export interface HttpTaskBackend extends GenerationBackend {
  readonly api: ResolvedHttpTaskApi;
  /**
   * Applies a webhook payload that was already authenticated (use `createWebhookReceiver` to
   * verify signatures). Out-of-order and repeated deliveries never move a task backwards.
   */
  ingestWebhook(payload: unknown): Promise<WebhookIngestResult>;
}

interface TrackedTask {
  status: RemoteStatus | undefined;
  listeners: Set<(status: RemoteStatus) => void>;
  watcher: AbortController | undefined;
  /** Downloads started when the task succeeded; consumed by `outputs()`. */
  prefetch: Promise<BackendOutput[]> | undefined;
  lastHeardAt: number;
  streaming: boolean;
}

const NOT_FOUND = Symbol('not found');
const MAX_IDLE_TASKS = 1_000;

/**
 * A backend for a task API described as data.
 *
 * @example
 * const meshy = httpTaskBackend({ api: MESHY_IMAGE_TO_3D, token: meshyKey });
 * const { remoteId } = await meshy.submit(request); // inputs: [{ name: 'image', url, … }]
 */
export function httpTaskBackend(options: HttpTaskBackendOptions): HttpTaskBackend {
  const api = parseHttpTaskApi(options.api, 'httpTaskBackend');
  const o = assignDefaults(HTTP_TASK_DEFAULTS, options);
  const name = options.name ?? api.name;
  const baseUrl = checkBaseUrl(name, options.baseUrl ?? api.baseUrl);
  if (api.auth && (options.token === undefined || options.token === '')) {
    throw invalidOption(`${name}: api.auth sends ${api.auth.header}, so options.token is required`);
  }
  const secretHeaderValues = Object.entries(options.headers ?? {})
    .filter(([key]) => /authorization|api[-_]?key|token|secret/i.test(key))
    .map(([, value]) => value);
  const ctx: HttpContext = {
    name,
    fetch: options.fetch ?? defaultFetch(name),
    redactor: new Redactor([typeof options.token === 'string' ? options.token : undefined, ...secretHeaderValues]),
    logger: options.logger ?? SILENT_BACKEND_LOGGER,
    timeoutMs: o.requestTimeoutMs,
  };
  const tasks = new Map<string, TrackedTask>();
  const uploadTokens = new Map<string, Promise<string>>();
  const pushing = api.stream !== undefined || o.webhooks;
  const capabilities: BackendCapabilities = {
    idempotentSubmit: api.create.idempotent && api.create.idempotencyHeader !== undefined,
    push: pushing,
    cancel: api.cancel !== undefined,
    synchronous: false,
  };

  // ---------------------------------------------------------------- auth and requests

  async function credentials(): Promise<{ headers: Record<string, string>; redactor: Redactor }> {
    if (!api.auth || options.token === undefined) return { headers: {}, redactor: ctx.redactor };
    const token = typeof options.token === 'function' ? await options.token() : options.token;
    const value = api.auth.scheme ? `${api.auth.scheme} ${token}` : token;
    return { headers: { [api.auth.header]: value }, redactor: ctx.redactor.with(token) };
  }

  async function apiRequest(
    method: string,
    path: string,
    init: { json?: unknown; form?: FormData; headers?: Record<string, string>; signal?: AbortSignal | undefined } = {},
  ): Promise<{ json: unknown } | typeof NOT_FOUND> {
    const auth = await credentials();
    const url = joinUrl(baseUrl, path);
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers, ...init.headers, ...auth.headers };
    let body: BodyInit | undefined;
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    } else if (init.form) {
      body = init.form;
    }
    const response = await send(ctx, method, url, { headers, body, signal: init.signal }, auth.redactor);
    const text = await readText(response);
    if (response.status === 404 && method !== 'POST' && api.status.notFoundIsUnknown) return NOT_FOUND;
    if (!response.ok) throw httpError(ctx, method, url, response, text, { rateLimits: api.rateLimits, redactor: auth.redactor });
    const json = tryParseJson(text);
    if (json === undefined && text.trim() !== '') {
      throw new BackendError('transient', `${ctx.name}: ${method} ${path}: the answer is not JSON`, {
        details: { status: response.status, body: auth.redactor.redact(text.slice(0, 300)) },
      });
    }
    return { json };
  }

  // ---------------------------------------------------------------- inputs

  async function inputBytes(input: BackendInput): Promise<Uint8Array> {
    if (input.data) return input.data;
    if (!input.url) throw new BackendError('input_invalid', `${name}: input "${input.name}" has neither data nor url`);
    const response = await send(ctx, 'GET', input.url, { timeoutMs: o.downloadTimeoutMs });
    if (!response.ok) {
      throw httpError(ctx, 'GET', input.url, response, await readText(response, 2048), { summary: `input "${input.name}"` });
    }
    return new Uint8Array(await response.arrayBuffer());
  }

  function uploadToken(input: BackendInput): Promise<string> {
    const upload = api.upload;
    if (!upload) throw invalidOption(`${name}: the template uses inputs.${input.name}.token but api.upload is not set`, { path: 'api.upload' });
    let token = uploadTokens.get(input.sha256);
    if (!token) {
      token = (async () => {
        const bytes = await inputBytes(input);
        const form = new FormData();
        const ext = extensionForType(input.contentType);
        form.append(upload.field, new Blob([bytes as Uint8Array<ArrayBuffer>], { type: input.contentType }), `${input.name}.${ext}`);
        const answer = await apiRequest('POST', upload.path, { form });
        const value = answer === NOT_FOUND ? undefined : getPath(answer.json, upload.tokenPath);
        if (typeof value !== 'string' || value === '') {
          throw new BackendError('transient', `${name}: upload answer has no token at ${upload.tokenPath}`);
        }
        return value;
      })();
      uploadTokens.set(input.sha256, token);
      token.catch(() => uploadTokens.delete(input.sha256));
    }
    return token;
  }

  async function scopeFor(request: SubmitRequest): Promise<Record<string, unknown>> {
    const referenced = templatePaths(api.create.body);
    const inputs: Record<string, unknown> = {};
    for (const input of request.inputs) {
      const entry: Record<string, unknown> = {
        name: input.name,
        contentType: input.contentType,
        sha256: input.sha256,
        ext: input.url && extensionOf(input.url) ? extensionOf(input.url) : extensionForType(input.contentType),
        url: input.url,
      };
      const data = input.data;
      Object.defineProperty(entry, 'dataUri', {
        enumerable: true,
        get: () => (data ? `data:${input.contentType};base64,${toBase64(data)}` : undefined),
      });
      Object.defineProperty(entry, 'urlOrDataUri', {
        enumerable: true,
        get: () => input.url ?? (data ? `data:${input.contentType};base64,${toBase64(data)}` : undefined),
      });
      if (referenced.includes(`inputs.${input.name}.token`)) entry['token'] = await uploadToken(input);
      inputs[input.name] = entry;
    }
    return {
      params: request.params,
      model: request.model,
      inputs,
      attemptId: request.attemptId,
      idempotencyKey: request.idempotencyKey,
      jobId: request.jobId,
      stepId: request.stepId,
      operation: request.operation,
    };
  }

  // ---------------------------------------------------------------- state

  function tracked(remoteId: string): TrackedTask {
    let task = tasks.get(remoteId);
    if (!task) {
      task = { status: undefined, listeners: new Set(), watcher: undefined, prefetch: undefined, lastHeardAt: 0, streaming: false };
      tasks.set(remoteId, task);
      if (tasks.size > MAX_IDLE_TASKS) evictIdle();
    }
    return task;
  }

  function evictIdle(): void {
    for (const [id, task] of tasks) {
      if (tasks.size <= MAX_IDLE_TASKS / 2) break;
      if (task.listeners.size === 0 && task.prefetch === undefined && (isTerminal(task.status) || task.status?.state === 'unknown')) {
        tasks.delete(id);
      }
    }
  }

  function mapping(state: unknown): TaskStateMapping | undefined {
    if (typeof state !== 'string' && typeof state !== 'number') return undefined;
    const text = String(state);
    const exact = api.status.states[text];
    if (exact) return exact;
    const lower = text.toLowerCase();
    for (const [key, value] of Object.entries(api.status.states)) if (key.toLowerCase() === lower) return value;
    return undefined;
  }

  /** The status a task object reports; `undefined` for an indeterminate state. */
  function statusOf(remoteId: string, task: unknown): RemoteStatus | undefined {
    const raw = getPath(task, api.status.statePath);
    const mapped = mapping(raw);
    if (mapped === undefined) {
      ctx.logger.warn(`${name}: task ${remoteId}: unmapped state ${JSON.stringify(raw)}; treated as indeterminate`);
      return undefined;
    }
    if (mapped === 'indeterminate') return undefined;
    const vendorError = api.status.errorPath === undefined ? undefined : getPath(task, api.status.errorPath);
    const reason = typeof vendorError === 'string' && vendorError !== '' ? `: ${ctx.redactor.redact(vendorError)}` : '';
    const details = { remoteId, remoteState: raw };
    switch (mapped) {
      case 'banned':
        return {
          state: 'failed',
          error: new BackendError('input_invalid', `${name}: task ${remoteId} was refused (${String(raw)})${reason}`, { details }),
        };
      case 'expired':
        return {
          state: 'expired',
          error: new BackendError('transient', `${name}: task ${remoteId} expired (${String(raw)})${reason}`, { details }),
        };
      case 'failed':
        return { state: 'failed', error: new BackendError('fatal', `${name}: task ${remoteId} failed${reason}`, { details }) };
      case 'succeeded':
      case 'canceled':
        return { state: mapped };
      default: {
        const status: RemoteStatus = { state: mapped };
        const progress = api.status.progressPath === undefined ? undefined : Number(getPath(task, api.status.progressPath));
        if (progress !== undefined && Number.isFinite(progress)) {
          status.progress = Math.min(1, Math.max(0, progress / api.status.progressScale));
        }
        const eta = api.status.etaPath === undefined ? undefined : Number(getPath(task, api.status.etaPath));
        if (eta !== undefined && Number.isFinite(eta) && eta >= 0) status.etaMs = Math.round(eta * api.status.etaScale);
        const position = api.status.queuePositionPath === undefined ? undefined : Number(getPath(task, api.status.queuePositionPath));
        if (mapped === 'queued' && position !== undefined && Number.isInteger(position) && position >= 0) status.queuePosition = position;
        return status;
      }
    }
  }

  /** Applies a task object from any source; returns the merged status. */
  async function apply(remoteId: string, task: unknown, source: string): Promise<RemoteStatus> {
    const entry = tracked(remoteId);
    entry.lastHeardAt = Date.now();
    const candidate = statusOf(remoteId, task);
    if (candidate?.state === 'succeeded' && !isTerminal(entry.status)) {
      // Output URLs expire: download now, and report success once the bytes are in hand.
      entry.prefetch ??= downloadOutputs(remoteId, task);
      await entry.prefetch.then(
        () => undefined,
        (error: unknown) => ctx.logger.warn(`${name}: task ${remoteId}: early download failed, outputs() retries: ${describe(error)}`),
      );
    }
    const merged = candidate ? mergeStatus(entry.status, candidate) : (entry.status ?? { state: 'queued' });
    if (!sameStatus(entry.status, merged)) {
      entry.status = merged;
      ctx.logger.debug(`${name}: task ${remoteId}: ${merged.state}${progressText(merged)} (${source})`);
      notify(entry.listeners, merged, (error) => ctx.logger.warn(`${name}: a status listener threw: ${describe(error)}`));
    }
    return entry.status ?? merged;
  }

  function setUnknown(remoteId: string): RemoteStatus {
    const entry = tracked(remoteId);
    const merged = mergeStatus(entry.status, { state: 'unknown' });
    if (!sameStatus(entry.status, merged)) {
      entry.status = merged;
      notify(entry.listeners, merged, (error) => ctx.logger.warn(`${name}: a status listener threw: ${describe(error)}`));
    }
    return merged;
  }

  async function fetchTask(remoteId: string, signal?: AbortSignal): Promise<unknown> {
    const path = fillPath(api.status.path, remoteId);
    const body = api.status.body === undefined ? undefined : renderTemplate(api.status.body, { id: remoteId }, name);
    const answer = await apiRequest(api.status.method, path, { json: body, signal });
    if (answer === NOT_FOUND) return NOT_FOUND;
    return getPath(answer.json, api.status.taskPath);
  }

  // ---------------------------------------------------------------- outputs

  function expiresAtOf(task: unknown): number | undefined {
    if (api.outputs.expiresAtPath === undefined) return undefined;
    const value = getPath(task, api.outputs.expiresAtPath);
    if (typeof value === 'number') return value < 1e12 ? value * 1000 : value;
    if (typeof value === 'string') {
      const parsed = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
      if (!Number.isNaN(parsed)) return parsed < 1e12 ? parsed * 1000 : parsed;
    }
    return undefined;
  }

  function outputUrls(remoteId: string, task: unknown): { url: string; filename: string; contentType: string | undefined; path: string }[] {
    const files: { url: string; filename: string; contentType: string | undefined; path: string }[] = [];
    const names = new Set<string>();
    for (const file of api.outputs.files) {
      const url = getPath(task, file.path);
      if (typeof url !== 'string' || url === '') {
        if (!file.optional) {
          throw new BackendError('fatal', `${name}: task ${remoteId} succeeded without an output at ${file.path}`, {
            details: { remoteId, path: file.path },
          });
        }
        continue;
      }
      // Alternatives share a file name (Tripo's pbr_model, then model): the first present wins.
      if (names.has(file.filename)) continue;
      names.add(file.filename);
      files.push({ url, filename: file.filename, contentType: file.contentType, path: file.path });
    }
    if (files.length === 0) {
      throw new BackendError('fatal', `${name}: task ${remoteId} succeeded without any output URL`, { details: { remoteId } });
    }
    return files;
  }

  async function downloadOutputs(remoteId: string, task: unknown, refreshed = false): Promise<BackendOutput[]> {
    let current = task;
    const expiresAt = expiresAtOf(current);
    if (expiresAt !== undefined && expiresAt <= Date.now() && !refreshed) {
      ctx.logger.debug(`${name}: task ${remoteId}: output URLs expired; asking for fresh ones`);
      return downloadOutputs(remoteId, await refreshTask(remoteId), true);
    }
    const files = outputUrls(remoteId, current);
    const auth = api.outputs.sendAuth ? await credentials() : { headers: {}, redactor: ctx.redactor };
    const outputs: BackendOutput[] = [];
    for (const file of files) {
      const response = await send(ctx, 'GET', file.url, { headers: auth.headers, timeoutMs: o.downloadTimeoutMs }, auth.redactor);
      if (!response.ok) {
        const body = await readText(response, 2048);
        const gone = [401, 403, 404, 410].includes(response.status);
        if (gone && !refreshed) {
          ctx.logger.debug(`${name}: task ${remoteId}: ${file.filename} answered ${response.status}; asking for fresh URLs`);
          current = await refreshTask(remoteId);
          return downloadOutputs(remoteId, current, true);
        }
        const error = httpError(ctx, 'GET', file.url, response, body, { redactor: auth.redactor, summary: `output ${file.filename}` });
        throw gone
          ? new BackendError('fatal', `${error.message} (the output URL expired or the vendor deleted the result)`, {
              cause: error,
              details: { ...error.details, remoteId, expired: true },
            })
          : error;
      }
      const data = new Uint8Array(await response.arrayBuffer());
      const contentType = file.contentType ?? response.headers.get('content-type')?.split(';')[0] ?? contentTypeOf(file.filename);
      const metadata: Record<string, unknown> = { remoteId, source: file.path };
      if (expiresAt !== undefined) metadata['urlExpiresAt'] = expiresAt;
      outputs.push({ filename: file.filename, contentType, data, metadata });
    }
    return outputs;
  }

  async function refreshTask(remoteId: string): Promise<unknown> {
    const task = await fetchTask(remoteId);
    if (task === NOT_FOUND) {
      throw new BackendError('fatal', `${name}: task ${remoteId} is gone; its outputs can no longer be downloaded`, {
        details: { remoteId, expired: true },
      });
    }
    return task;
  }

  // ---------------------------------------------------------------- watching

  function watch(remoteId: string, entry: TrackedTask): void {
    if (entry.watcher) return;
    const controller = new AbortController();
    entry.watcher = controller;
    const { signal } = controller;
    if (api.stream) void stream(remoteId, entry, signal);
    void poll(remoteId, entry, signal);
  }

  async function stream(remoteId: string, entry: TrackedTask, signal: AbortSignal): Promise<void> {
    const streamApi = api.stream;
    if (!streamApi) return;
    entry.streaming = true;
    try {
      const auth = await credentials();
      const url = joinUrl(baseUrl, fillPath(streamApi.path, remoteId));
      const headers = { accept: 'text/event-stream', ...options.headers, ...auth.headers };
      // No request timeout: a stream stays open; the poller covers a silent one.
      const response = await send(ctx, 'GET', url, { headers, signal, timeoutMs: 2 ** 31 - 1 }, auth.redactor);
      if (!response.ok || !response.body) {
        throw httpError(ctx, 'GET', url, response, await readText(response, 2048), { redactor: auth.redactor });
      }
      for await (const event of readServerSentEvents(response.body, signal)) {
        const json = tryParseJson(event.data);
        if (json === undefined) continue;
        const status = await apply(remoteId, getPath(json, streamApi.taskPath), 'stream');
        if (isTerminal(status)) break;
      }
    } catch (error) {
      if (!signal.aborted) ctx.logger.debug(`${name}: task ${remoteId}: stream ended (${describe(error)}); polling`);
    } finally {
      entry.streaming = false;
    }
  }

  async function poll(remoteId: string, entry: TrackedTask, signal: AbortSignal): Promise<void> {
    let interval = o.pollIntervalMs;
    while (!signal.aborted && !isTerminal(entry.status) && entry.status?.state !== 'unknown') {
      const quiet = entry.streaming || o.webhooks;
      const wait = quiet ? Math.max(0, entry.lastHeardAt + o.quietMs - Date.now()) || o.quietMs : interval;
      await delay(wait, signal);
      if (signal.aborted) break;
      if (quiet && Date.now() - entry.lastHeardAt < o.quietMs) continue;
      const before = entry.status;
      try {
        const status = await statusOf_(remoteId, signal);
        if (sameStatus(before, status)) {
          interval = Math.min(o.maxPollIntervalMs, Math.round(interval * 1.5));
        } else {
          interval = o.pollIntervalMs;
        }
        if (status.etaMs !== undefined) {
          interval = Math.min(o.maxPollIntervalMs, Math.max(o.pollIntervalMs, Math.round(status.etaMs / 2), interval));
        }
      } catch (error) {
        if (signal.aborted) break;
        const retryAfter = error instanceof BackendError ? error.retryAfterMs : undefined;
        interval = retryAfter ?? Math.min(o.maxPollIntervalMs, interval * 2);
        ctx.logger.debug(`${name}: task ${remoteId}: poll failed (${describe(error)}); next in ${interval} ms`);
      }
    }
    if (entry.watcher?.signal === signal) entry.watcher = undefined;
  }

  async function statusOf_(remoteId: string, signal?: AbortSignal): Promise<RemoteStatus> {
    const entry = tasks.get(remoteId);
    if (entry?.status && isTerminal(entry.status)) return entry.status;
    const task = await fetchTask(remoteId, signal);
    if (task === NOT_FOUND) return setUnknown(remoteId);
    return apply(remoteId, task, 'poll');
  }

  // ---------------------------------------------------------------- the backend

  const backend: HttpTaskBackend = {
    name,
    api,
    capabilities,

    async submit(request) {
      const scope = await scopeFor(request);
      const body = api.create.body === undefined ? undefined : renderTemplate(api.create.body, scope, name);
      const headers: Record<string, string> = {};
      if (api.create.idempotencyHeader) headers[api.create.idempotencyHeader] = request.attemptId;
      const answer = await apiRequest(api.create.method, api.create.path, { json: body ?? {}, headers, signal: request.signal });
      const id = answer === NOT_FOUND ? undefined : getPath(answer.json, api.create.taskIdPath);
      if ((typeof id !== 'string' && typeof id !== 'number') || String(id) === '') {
        throw new BackendError('fatal', `${name}: the create answer has no task id at ${api.create.taskIdPath}`, {
          details: { attemptId: request.attemptId },
        });
      }
      const remoteId = String(id);
      const entry = tracked(remoteId);
      entry.status ??= { state: 'queued' };
      entry.lastHeardAt = Date.now();
      ctx.logger.debug(`${name}: step ${request.stepId} (job ${request.jobId}): created task ${remoteId}`, {
        job_id: request.jobId,
        step_id: request.stepId,
      });
      return { remoteId };
    },

    status(remoteId, statusOptions) {
      return statusOf_(remoteId, statusOptions?.signal);
    },

    subscribe(remoteId, listener) {
      const entry = tracked(remoteId);
      entry.listeners.add(listener);
      const current = entry.status;
      if (current) queueMicrotask(() => entry.listeners.has(listener) && listener(current));
      watch(remoteId, entry);
      return () => {
        entry.listeners.delete(listener);
        if (entry.listeners.size === 0) {
          entry.watcher?.abort();
          entry.watcher = undefined;
        }
      };
    },

    async outputs(remoteId, outputOptions) {
      const entry = tasks.get(remoteId);
      if (entry?.prefetch) {
        const prefetch = entry.prefetch;
        entry.prefetch = undefined;
        try {
          return await prefetch;
        } catch (error) {
          ctx.logger.debug(`${name}: task ${remoteId}: retrying the download (${describe(error)})`);
        }
      }
      const task = await fetchTask(remoteId, outputOptions?.signal);
      if (task === NOT_FOUND) {
        throw new BackendError('fatal', `${name}: task ${remoteId} is unknown to the API; no outputs`, { details: { remoteId } });
      }
      const status = statusOf(remoteId, task);
      if (status?.state !== 'succeeded') {
        throw new BackendError('fatal', `${name}: task ${remoteId} is ${status?.state ?? 'indeterminate'}, not succeeded; no outputs`, {
          details: { remoteId, state: status?.state },
        });
      }
      return downloadOutputs(remoteId, task);
    },

    async reconcile(list) {
      const out = new Map<string, RemoteStatus>();
      for (const { remoteId } of list) {
        try {
          out.set(remoteId, await statusOf_(remoteId));
        } catch (error) {
          ctx.logger.warn(`${name}: reconcile ${remoteId}: ${describe(error)}`);
          out.set(remoteId, { state: 'unknown' });
        }
      }
      return out;
    },

    async health() {
      // Task APIs have no common health route: a credential check would cost a call per probe,
      // so health reports whether the API answers at all.
      try {
        const response = await send(ctx, 'GET', baseUrl, { timeoutMs: Math.min(o.requestTimeoutMs, 10_000) });
        await readText(response, 0);
        return response.status >= 500
          ? { ok: false, detail: `${name}: ${response.status} ${response.statusText}` }
          : { ok: true, detail: `${name}: reachable` };
      } catch (error) {
        return { ok: false, detail: describe(error) };
      }
    },

    classify: classifyError,

    async ingestWebhook(payload) {
      const webhook = api.webhook;
      if (!webhook) throw invalidOption(`${name}: api.webhook is not set, so webhooks cannot be read`);
      const task = getPath(payload, webhook.taskPath);
      const id = getPath(task, webhook.taskIdPath);
      if ((typeof id !== 'string' && typeof id !== 'number') || String(id) === '') return { changed: false };
      const remoteId = String(id);
      if (!tasks.has(remoteId)) {
        // Account-level webhooks report every task of the account: only follow ours (submitted,
        // queried or watched here). An early delivery for ours is caught up by polling.
        ctx.logger.debug(`${name}: webhook for task ${remoteId}, which this backend does not follow`);
        return { taskId: remoteId, changed: false };
      }
      const before = tasks.get(remoteId)?.status;
      const status = await apply(remoteId, task, 'webhook');
      return { taskId: remoteId, status, changed: !sameStatus(before, status) };
    },

    async close() {
      for (const entry of tasks.values()) {
        entry.watcher?.abort();
        entry.watcher = undefined;
        entry.listeners.clear();
      }
    },
  };

  if (api.cancel) {
    const cancelApi = api.cancel;
    backend.cancel = async (remoteId) => {
      const answer = await apiRequest(cancelApi.method, fillPath(cancelApi.path, remoteId)).catch((error: unknown) => {
        // A POST to a task the vendor does not know answers 404: nothing left to cancel.
        if (error instanceof BackendError && error.details['status'] === 404) return NOT_FOUND;
        throw error;
      });
      if (answer !== NOT_FOUND) return 'canceled';
      ctx.logger.debug(`${name}: cancel ${remoteId}: unknown task`);
      return 'not_running';
    };
  }
  return backend;
}

function progressText(status: RemoteStatus): string {
  return status.progress === undefined ? '' : ` ${Math.round(status.progress * 100)}%`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
