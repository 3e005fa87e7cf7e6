/**
 * HTTP plumbing shared by the network backends (ComfyUI, HTTP task APIs, synchronous HTTP): the
 * injected `fetch`, the logger, secret redaction, `Retry-After`, and the mapping from HTTP answers
 * and network failures to {@link BackendError} kinds.
 */
import { BackendError, type BackendErrorKind } from '../../backend.js';
import { invalidOption } from '../../errors.js';

/** The `fetch` the backends call; inject one to add a proxy, retries or a mock. */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/**
 * Where the backends send diagnostics (a subset of @kiln/core's `Logger`, so that one fits).
 * Nothing is logged unless a logger is given. Messages are prefixed with the backend's name and
 * never contain a configured secret; lines about a step carry `job_id` and `step_id` fields.
 */
export interface BackendLogger {
  debug(message: string, fields?: Readonly<Record<string, unknown>>): void;
  info(message: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

/** A logger that drops everything (the default). */
export const SILENT_BACKEND_LOGGER: BackendLogger = Object.freeze({
  debug() {},
  info() {},
  warn() {},
});

/**
 * Merges `options` over `defaults`, ignoring `undefined` values (a spread would let an explicit
 * `undefined` erase a default).
 */
export function assignDefaults<D extends object, O extends object>(defaults: D, options: O): D & O {
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [key, value] of Object.entries(options)) if (value !== undefined) out[key] = value;
  return out as D & O;
}

/** The global `fetch`, bound, or a clear error where there is none. */
export function defaultFetch(name: string): FetchLike {
  if (typeof globalThis.fetch !== 'function') {
    throw invalidOption(`${name}: no global fetch in this runtime; pass options.fetch`, { path: 'fetch' });
  }
  return globalThis.fetch.bind(globalThis) as FetchLike;
}

/**
 * Parses `Retry-After` (delta seconds or an HTTP date) into milliseconds from `now`; `undefined`
 * when absent or unreadable. Negative waits become 0.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

const SECRET_QUERY_PARAMS =
  /([?&](?:x-amz-signature|x-amz-credential|x-amz-security-token|signature|sig|token|access_token|api_key|apikey|key|auth)=)[^&#\s"']*/gi;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}/g;

/**
 * Removes secrets from text that may reach a log line, an error message or a dead-letter record:
 * every configured secret verbatim, bearer/basic credentials, and signature-like query parameters
 * of signed URLs.
 */
export class Redactor {
  readonly #secrets: string[];

  constructor(secrets: readonly (string | undefined)[] = []) {
    // Longest first, so a secret that contains another is removed whole.
    this.#secrets = secrets
      .filter((s): s is string => typeof s === 'string' && s.length >= 4)
      .sort((a, b) => b.length - a.length);
  }

  /** A redactor that also hides `secret` (a token fetched at call time). */
  with(secret: string | undefined): Redactor {
    return secret === undefined || this.#secrets.includes(secret) ? this : new Redactor([...this.#secrets, secret]);
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.#secrets) out = out.split(secret).join('[REDACTED]');
    return out.replace(BEARER, '$1 [REDACTED]').replace(SECRET_QUERY_PARAMS, '$1[REDACTED]');
  }
}

/** The context every HTTP call of a backend runs in. */
export interface HttpContext {
  /** Prefix of messages, such as `comfyui(http://gpu-1:8188)`. */
  name: string;
  fetch: FetchLike;
  redactor: Redactor;
  logger: BackendLogger;
  /** Abort a request that takes longer than this. */
  timeoutMs: number;
}

/** How 429 answers are told apart. */
export interface RateLimitRules {
  /** Dotted path of the error code in a JSON body, such as `code` or `error.code`. */
  codePath?: string | undefined;
  /** Codes (or, without `codePath`, substrings of the body) meaning "too many tasks in flight". */
  concurrency?: readonly string[] | undefined;
  /** Codes (or substrings) meaning "too many requests"; the default for any other 429. */
  requests?: readonly string[] | undefined;
  /** Wait used for a request-rate 429 without `Retry-After`. */
  defaultRetryAfterMs?: number | undefined;
}

function combineSignals(signal: AbortSignal | undefined, timeoutMs: number): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

/** Path and query of a URL, redacted, for messages. */
export function describeUrl(url: string, redactor: Redactor): string {
  try {
    const parsed = new URL(url);
    return redactor.redact(`${parsed.origin}${parsed.pathname}${parsed.search}`);
  } catch {
    return redactor.redact(url);
  }
}

/**
 * Sends one request. Network failures, timeouts and aborts become `transient` {@link BackendError}s
 * with a redacted message; HTTP answers of any status are returned for the caller to judge.
 */
export async function send(
  ctx: HttpContext,
  method: string,
  url: string,
  init: {
    headers?: Record<string, string> | undefined;
    body?: BodyInit | undefined;
    signal?: AbortSignal | undefined;
    timeoutMs?: number | undefined;
  } = {},
  redactor: Redactor = ctx.redactor,
): Promise<Response> {
  const signal = combineSignals(init.signal, init.timeoutMs ?? ctx.timeoutMs);
  const request: RequestInit = { method, signal };
  if (init.headers) request.headers = init.headers;
  if (init.body !== undefined) request.body = init.body;
  try {
    return await ctx.fetch(url, request);
  } catch (error) {
    const where = `${method} ${describeUrl(url, redactor)}`;
    if (init.signal?.aborted) {
      throw new BackendError('transient', `${ctx.name}: ${where}: aborted`, { cause: init.signal.reason });
    }
    const timedOut = signal.aborted;
    const reason = timedOut
      ? `no answer within ${init.timeoutMs ?? ctx.timeoutMs} ms`
      : redactor.redact(describeCause(error));
    throw new BackendError('transient', `${ctx.name}: ${where}: ${reason}`, {
      cause: error,
      details: { method, url: describeUrl(url, redactor), network: true, timedOut },
    });
  }
}

function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? `${error.message} (${code})` : error.message;
}

/** Reads a body as text, capped, never throwing. */
export async function readText(response: Response, limit = 64 * 1024): Promise<string> {
  try {
    const text = await response.text();
    return text.length > limit ? `${text.slice(0, limit)}…` : text;
  } catch {
    return '';
  }
}

/** Parses JSON, or `undefined`. */
export function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Reads the value at a dotted path (`data.output.model`, `items.0.url`); `''` is the value itself. */
export function getPath(value: unknown, path: string): unknown {
  if (path === '') return value;
  let current: unknown = value;
  for (const part of path.split('.')) {
    if (current === null || current === undefined) return undefined;
    if (Array.isArray(current)) {
      const index = Number(part);
      current = Number.isInteger(index) ? current[index] : undefined;
    } else if (typeof current === 'object') {
      current = (current as Record<string, unknown>)[part];
    } else {
      return undefined;
    }
  }
  return current;
}

/** Which kind a 429 is, by the configured rules (request rate unless the body says concurrency). */
export function rateLimitKind(body: string, rules: RateLimitRules | undefined): 'rate_requests' | 'rate_concurrency' {
  const json = rules?.codePath === undefined ? undefined : tryParseJson(body);
  const code = rules?.codePath === undefined ? undefined : getPath(json, rules.codePath);
  const matches = (needles: readonly string[] | undefined) =>
    (needles ?? []).some((needle) => (code === undefined ? body.includes(needle) : String(code) === needle));
  if (matches(rules?.concurrency)) return 'rate_concurrency';
  return 'rate_requests';
}

/** The kind of an HTTP status that is not a success. */
export function kindForStatus(status: number): BackendErrorKind {
  if (status === 402) return 'insufficient_credits';
  if (status === 401 || status === 403) return 'auth';
  if (status === 408 || status === 425 || status >= 500) return 'transient';
  if (status === 429) return 'rate_requests';
  return 'input_invalid';
}

/**
 * The {@link BackendError} for a non-success answer: message with method, redacted URL, status and
 * the start of the (redacted) body; `details` with `status`, `body` and `retryAfterMs`.
 */
export function httpError(
  ctx: HttpContext,
  method: string,
  url: string,
  response: Response,
  body: string,
  options: { rateLimits?: RateLimitRules | undefined; redactor?: Redactor; summary?: string } = {},
): BackendError {
  const redactor = options.redactor ?? ctx.redactor;
  const status = response.status;
  let kind = kindForStatus(status);
  let retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  if (status === 429) {
    kind = rateLimitKind(body, options.rateLimits);
    if (kind === 'rate_requests') retryAfterMs ??= options.rateLimits?.defaultRetryAfterMs;
  }
  const safeBody = redactor.redact(body);
  const summary = options.summary ?? (safeBody.length > 300 ? `${safeBody.slice(0, 300)}…` : safeBody);
  const where = `${method} ${describeUrl(url, redactor)}`;
  const hint = status === 402 ? ' (insufficient credits or quota)' : '';
  const message = `${ctx.name}: ${where}: ${status} ${response.statusText}${hint}${summary ? `: ${summary}` : ''}`;
  const details: Record<string, unknown> = { method, url: describeUrl(url, redactor), status, body: safeBody };
  if (status === 402) details['reason'] = 'insufficient_credits';
  return new BackendError(
    kind,
    message,
    retryAfterMs === undefined ? { details } : { details: { ...details, retryAfterMs }, retryAfterMs },
  );
}

/** The kind of any error a backend may throw: its own kind, or `transient` for the unknown. */
export function classifyError(error: unknown): BackendErrorKind {
  if (error instanceof BackendError) return error.kind;
  if (typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'BackendError') {
    const kind = (error as { kind?: unknown }).kind;
    if (typeof kind === 'string') return kind as BackendErrorKind;
  }
  return 'transient';
}

/** Encodes bytes as base64 without Node's `Buffer`. */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(binary);
}

/** Lower-case hex of SHA-256 (Web Crypto). */
export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

const CONTENT_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  glb: 'model/gltf-binary',
  gltf: 'model/gltf+json',
  obj: 'model/obj',
  fbx: 'application/octet-stream',
  usdz: 'model/vnd.usdz+zip',
  mp4: 'video/mp4',
  webm: 'video/webm',
  wav: 'audio/wav',
  mp3: 'audio/mpeg',
  json: 'application/json',
  txt: 'text/plain',
};

/** A content type from a file name's extension; `application/octet-stream` when unknown. */
export function contentTypeOf(filename: string): string {
  const ext = extensionOf(filename);
  return CONTENT_TYPES[ext] ?? 'application/octet-stream';
}

/** The lower-case extension of a file name or URL path, without the dot. */
export function extensionOf(name: string): string {
  const path = name.split(/[?#]/)[0] ?? '';
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot < 0 ? '' : base.slice(dot + 1).toLowerCase();
}

/** The extension for a content type (`image/png` → `png`), or `bin`. */
export function extensionForType(contentType: string): string {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  for (const [ext, value] of Object.entries(CONTENT_TYPES)) if (value === type) return ext;
  return 'bin';
}

/** Joins a base URL and a path (`/prompt`), keeping any path prefix of the base (a proxy mount). */
export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

/** Validates a base URL eagerly, with an actionable message. */
export function checkBaseUrl(name: string, baseUrl: unknown): string {
  if (typeof baseUrl !== 'string' || baseUrl === '') throw invalidOption(`${name}: baseUrl is required`);
  let parsed: URL;
  try {
    parsed = new URL(baseUrl);
  } catch {
    throw invalidOption(`${name}: baseUrl "${baseUrl}" is not an absolute URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw invalidOption(`${name}: baseUrl must be http(s), got ${parsed.protocol}`);
  }
  return baseUrl.replace(/\/+$/, '');
}

/** Sleeps, resolving early (never rejecting) when `signal` aborts. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Runs `fn` over `items` with at most `limit` at once, keeping order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Connection options shared by the HTTP task and synchronous HTTP backends. */
export interface HttpBackendBaseOptions {
  /** Overrides `api.baseUrl` (a proxy, a test server). */
  baseUrl?: string;
  /**
   * The credential sent in `api.auth.header`, or a function returning it (rotation). It is
   * redacted from every error message, error detail and log line.
   */
  token?: string | (() => string | Promise<string>);
  /** Extra headers on every API request (not on output downloads). */
  headers?: Record<string, string>;
  /** Default: the global `fetch`. */
  fetch?: FetchLike;
  logger?: BackendLogger;
  /** Name in messages and logs. Default: `api.name`. */
  name?: string;
}
