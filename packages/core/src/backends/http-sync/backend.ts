/**
 * `httpSyncBackend`: APIs that answer the request with the file itself (Stable Fast 3D: multipart
 * image in, GLB out). Submitting is running: `submit()` returns the outputs, with a timeout.
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
import {
  assignDefaults,
  checkBaseUrl,
  classifyError,
  contentTypeOf,
  defaultFetch,
  extensionForType,
  httpError,
  joinUrl,
  readText,
  Redactor,
  send,
  SILENT_BACKEND_LOGGER,
  type HttpBackendBaseOptions,
  type HttpContext,
} from '../http-task/http.js';
import { renderTemplate } from '../http-task/template.js';
import { parseHttpSyncApi, type HttpSyncApi, type ResolvedHttpSyncApi } from './api.js';
import { invalidOption } from '../../errors.js';

/** Options of {@link httpSyncBackend}. */
export interface HttpSyncBackendOptions extends HttpBackendBaseOptions {
  /** The API, as data: `STABILITY_SF3D` or your own. */
  api: HttpSyncApi;
  /** The whole request, generation included. Default 300 000 ms. */
  timeoutMs?: number;
  /** How many finished results `outputs()` can still return after `submit()`. Default 32. */
  retainResults?: number;
}

/** Defaults of {@link HttpSyncBackendOptions}. */
export const HTTP_SYNC_DEFAULTS: Required<Pick<HttpSyncBackendOptions, 'timeoutMs' | 'retainResults'>> = {
  timeoutMs: 300_000,
  retainResults: 32,
};

/** A synchronous {@link GenerationBackend}. */
export interface HttpSyncBackend extends GenerationBackend {
  readonly api: ResolvedHttpSyncApi;
}

const WHOLE_INPUT = /^\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*(!)?\s*\}\}$/;
const MAX_KNOWN_IDS = 10_000;

/**
 * A backend whose API returns the file directly.
 *
 * @example
 * const sf3d = httpSyncBackend({ api: STABILITY_SF3D, token: stabilityKey, timeoutMs: 120_000 });
 * const { outputs } = await sf3d.submit(request); // [{ filename: 'model.glb', … }]
 */
export function httpSyncBackend(options: HttpSyncBackendOptions): HttpSyncBackend {
  const api = parseHttpSyncApi(options.api, 'httpSyncBackend');
  const o = assignDefaults(HTTP_SYNC_DEFAULTS, options);
  const name = options.name ?? api.name;
  const baseUrl = checkBaseUrl(name, options.baseUrl ?? api.baseUrl);
  if (api.auth && (options.token === undefined || options.token === '')) {
    throw invalidOption(`${name}: api.auth sends ${api.auth.header}, so options.token is required`);
  }
  if (!Number.isFinite(o.timeoutMs) || o.timeoutMs <= 0) throw invalidOption(`${name}: timeoutMs must be a positive number`);
  const ctx: HttpContext = {
    name,
    fetch: options.fetch ?? defaultFetch(name),
    redactor: new Redactor([typeof options.token === 'string' ? options.token : undefined]),
    logger: options.logger ?? SILENT_BACKEND_LOGGER,
    timeoutMs: o.timeoutMs,
  };
  const results = new Map<string, BackendOutput[]>();
  const finished = new Map<string, RemoteStatus>();
  const inFlight = new Map<string, Promise<{ remoteId: string; outputs: BackendOutput[] }>>();
  const capabilities: BackendCapabilities = {
    idempotentSubmit: api.request.idempotent && api.request.idempotencyHeader !== undefined,
    push: false,
    cancel: false,
    synchronous: true,
  };

  function remember(remoteId: string, status: RemoteStatus, outputs?: BackendOutput[]): void {
    finished.set(remoteId, status);
    if (finished.size > MAX_KNOWN_IDS) finished.delete(finished.keys().next().value as string);
    if (outputs) {
      results.set(remoteId, outputs);
      while (results.size > o.retainResults) results.delete(results.keys().next().value as string);
    }
  }

  function scope(request: SubmitRequest): Record<string, unknown> {
    return {
      params: request.params,
      model: request.model,
      inputs: Object.fromEntries(request.inputs.map((input) => [input.name, { url: input.url, contentType: input.contentType, sha256: input.sha256 }])),
      attemptId: request.attemptId,
      idempotencyKey: request.idempotencyKey,
      jobId: request.jobId,
      stepId: request.stepId,
      operation: request.operation,
    };
  }

  async function inputBlob(input: BackendInput): Promise<Blob> {
    let bytes = input.data;
    if (!bytes) {
      if (!input.url) throw new BackendError('input_invalid', `${name}: input "${input.name}" has neither data nor url`);
      const response = await send(ctx, 'GET', input.url);
      if (!response.ok) throw httpError(ctx, 'GET', input.url, response, await readText(response, 2048), { summary: `input "${input.name}"` });
      bytes = new Uint8Array(await response.arrayBuffer());
    }
    return new Blob([bytes as Uint8Array<ArrayBuffer>], { type: input.contentType });
  }

  async function body(request: SubmitRequest): Promise<{ body: BodyInit; contentType?: string }> {
    const values = scope(request);
    if (api.request.encoding === 'json') {
      return { body: JSON.stringify(renderTemplate(api.request.body ?? {}, values, name) ?? {}), contentType: 'application/json' };
    }
    const form = new FormData();
    for (const [field, template] of Object.entries(api.request.fields ?? {})) {
      const whole = WHOLE_INPUT.exec(template);
      if (whole) {
        const input = request.inputs.find((candidate) => candidate.name === whole[1]);
        if (!input) {
          if (whole[2] === '!') {
            throw new BackendError('input_invalid', `${name}: the request has no input "${whole[1]}", which the API requires`, {
              details: { missing: `inputs.${whole[1]}` },
            });
          }
          continue;
        }
        form.append(field, await inputBlob(input), `${input.name}.${extensionForType(input.contentType)}`);
        continue;
      }
      const value = renderTemplate(template, values, name);
      if (value !== undefined) form.append(field, typeof value === 'string' ? value : JSON.stringify(value));
    }
    return { body: form };
  }

  async function run(request: SubmitRequest): Promise<{ remoteId: string; outputs: BackendOutput[] }> {
    const remoteId = request.attemptId;
    const token = typeof options.token === 'function' ? await options.token() : options.token;
    const redactor = ctx.redactor.with(token);
    const { body: payload, contentType } = await body(request);
    const headers: Record<string, string> = { accept: api.request.accept, ...options.headers };
    if (contentType) headers['content-type'] = contentType;
    if (api.auth && token !== undefined) headers[api.auth.header] = api.auth.scheme ? `${api.auth.scheme} ${token}` : token;
    if (api.request.idempotencyHeader) headers[api.request.idempotencyHeader] = request.attemptId;
    const url = joinUrl(baseUrl, api.request.path);
    const started = Date.now();
    const response = await send(ctx, api.request.method, url, { headers, body: payload, signal: request.signal }, redactor);
    if (!response.ok) {
      throw httpError(ctx, api.request.method, url, response, await readText(response), { rateLimits: api.rateLimits, redactor });
    }
    let data: Uint8Array;
    try {
      data = new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      throw new BackendError('transient', `${name}: the answer broke off after ${Date.now() - started} ms`, { cause: error });
    }
    if (data.byteLength === 0) throw new BackendError('transient', `${name}: empty answer`, { details: { status: response.status } });
    const filename = String(renderTemplate(api.output.filename, scope(request), name) ?? api.output.filename);
    const type = api.output.contentType ?? response.headers.get('content-type')?.split(';')[0] ?? contentTypeOf(filename);
    const outputs: BackendOutput[] = [{ filename, contentType: type, data, metadata: { remoteId, durationMs: Date.now() - started } }];
    ctx.logger.debug(`${name}: step ${request.stepId} (job ${request.jobId}): ${data.byteLength} bytes in ${Date.now() - started} ms`, {
      job_id: request.jobId,
      step_id: request.stepId,
    });
    return { remoteId, outputs };
  }

  return {
    name,
    api,
    capabilities,

    async submit(request) {
      // The same attempt submitted twice while running shares one request.
      let pending = inFlight.get(request.attemptId);
      if (!pending) {
        pending = run(request);
        inFlight.set(request.attemptId, pending);
        pending.then(
          ({ remoteId, outputs }) => remember(remoteId, { state: 'succeeded' }, outputs),
          (error: unknown) =>
            remember(request.attemptId, {
              state: 'failed',
              error: error instanceof BackendError ? error : new BackendError('transient', String(error), { cause: error }),
            }),
        ).finally(() => inFlight.delete(request.attemptId));
      }
      const { remoteId, outputs } = await pending;
      return { remoteId, outputs };
    },

    async status(remoteId) {
      if (inFlight.has(remoteId)) return { state: 'running' };
      return finished.get(remoteId) ?? { state: 'unknown' };
    },

    async outputs(remoteId) {
      const outputs = results.get(remoteId);
      if (!outputs) {
        throw new BackendError('fatal', `${name}: no retained result for ${remoteId}; a synchronous backend returns outputs from submit()`, {
          details: { remoteId },
        });
      }
      return outputs;
    },

    async reconcile(list) {
      // Nothing survives a restart: a synchronous request died with the process.
      return new Map(list.map(({ remoteId }) => [remoteId, finished.get(remoteId) ?? { state: 'unknown' as const }]));
    },

    classify: classifyError,
  };
}
