import { stripQuery } from '@kiln/manifest';
import { KilnLoadError } from './errors.js';
import { abortedError, delay } from './signal.js';

/** Retry policy for downloads (assets, manifests, decoders). */
export interface RetryOptions {
  /** Retries after the first attempt, on network errors, 408, 429 and 5xx. Default: `3`. */
  retries?: number;
  /** Delay before the first retry, doubled each time, with jitter. Default: `250` ms. */
  minDelayMs?: number;
  /** Longest delay between two attempts. Default: `4000` ms. */
  maxDelayMs?: number;
  /**
   * How many times one load may ask `resolveUrl` for a fresh URL after a 401/403 (an expired
   * presigned URL). Default: `2`.
   */
  refreshes?: number;
}

/** Defaults of {@link RetryOptions}. */
export const RETRY_DEFAULTS: Readonly<Required<RetryOptions>> = {
  retries: 3,
  minDelayMs: 250,
  maxDelayMs: 4000,
  refreshes: 2,
};

/** Network settings shared by every download of a loader. @internal */
export interface NetContext {
  fetch: typeof globalThis.fetch;
  retry: Required<RetryOptions>;
  credentials: RequestCredentials;
  headers: Readonly<Record<string, string>> | undefined;
}

/** Why a fresh URL is needed. */
export type RefreshReason = 'http-403' | 'http-401' | 'network';

/** One download. @internal */
export interface DownloadRequest {
  /** Names the download in messages, such as `load("chair")`. */
  label: string;
  url: string;
  /** Internal signal: fires only when nobody wants the bytes any more. */
  signal: AbortSignal;
  /** Size from the manifest, preferred over Content-Length for progress. */
  expectedBytes?: number | undefined;
  onProgress?: ((loaded: number, total: number | undefined) => void) | undefined;
  /** Returns a fresh URL (an expired presigned URL); absent for plain URL loads. */
  refresh?: ((reason: RefreshReason) => Promise<string>) | undefined;
  details?: Record<string, unknown> | undefined;
  /** Fetch priority hint (decoders and the manifest gate every asset: `'high'`). */
  priority?: RequestPriority | undefined;
}

/** Query parameters of presigned URLs (S3 SigV4/V2, CloudFront, GCS, Azure SAS, Kiln's fs driver). */
const SIGNATURE_PARAMS = /[?&](x-amz-signature|signature|x-goog-signature|sig|x-kiln-signature)=/i;

/** True when `url` carries a signature in its query string. @internal */
export function looksPresigned(url: string): boolean {
  return SIGNATURE_PARAMS.test(url);
}

function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

function backoff(retry: Required<RetryOptions>, attempt: number): number {
  const base = Math.min(retry.maxDelayMs, retry.minDelayMs * 2 ** (attempt - 1));
  return base / 2 + Math.random() * (base / 2);
}

/**
 * Downloads `request.url` whole, with retries and backoff on network errors and retryable
 * statuses, a fresh URL from `request.refresh` on 401/403 (and on network errors of presigned
 * URLs: an S3 error answer without CORS headers looks like one), real-byte progress and abort.
 * @internal
 */
export async function download(net: NetContext, request: DownloadRequest): Promise<ArrayBuffer> {
  const { signal, label } = request;
  let url = request.url;
  let attempt = 0;
  let refreshes = 0;
  const details = () => ({ ...request.details, url: stripQuery(url), attempts: attempt });

  const refresh = async (reason: RefreshReason): Promise<boolean> => {
    if (request.refresh === undefined || refreshes >= net.retry.refreshes) return false;
    refreshes += 1;
    try {
      url = await request.refresh(reason);
    } catch (error) {
      if (signal.aborted) throw abortedError(signal, label);
      throw new KilnLoadError('http', `${label}: resolveUrl failed while refreshing ${stripQuery(url)}: ${messageOf(error)}`, {
        cause: error,
        details: details(),
      });
    }
    return true;
  };

  for (;;) {
    if (signal.aborted) throw abortedError(signal, label);
    attempt += 1;
    let response: Response;
    try {
      const init: RequestInit = { signal, credentials: net.credentials, mode: 'cors' };
      if (net.headers !== undefined) init.headers = net.headers;
      if (request.priority !== undefined) init.priority = request.priority;
      response = await net.fetch(url, init);
    } catch (error) {
      if (signal.aborted) throw abortedError(signal, label);
      if (looksPresigned(url) && (await refresh('network'))) continue;
      if (attempt <= net.retry.retries) {
        await delay(backoff(net.retry, attempt), signal, label);
        continue;
      }
      throw new KilnLoadError(
        'network',
        `${label}: GET ${stripQuery(url)} failed after ${attempt} attempts: ${messageOf(error)} (a CORS refusal looks the same: the server must send Access-Control-Allow-Origin)`,
        { cause: error, details: details() },
      );
    }

    if (response.status !== 200) {
      await response.body?.cancel().catch(() => {});
      const status = response.status;
      if ((status === 401 || status === 403) && (await refresh(status === 401 ? 'http-401' : 'http-403'))) continue;
      if (isRetryableStatus(status) && attempt <= net.retry.retries) {
        await delay(retryAfterMs(response) ?? backoff(net.retry, attempt), signal, label);
        continue;
      }
      const hint =
        status === 403 && request.refresh === undefined && looksPresigned(url)
          ? ' (an expired presigned URL? pass resolveUrl to createKilnLoader to get fresh ones)'
          : status === 206
            ? ' (a partial response to a request without Range)'
            : '';
      throw new KilnLoadError('http', `${label}: GET ${stripQuery(url)} answered ${status} ${response.statusText}${hint}`.trimEnd(), {
        details: { ...details(), status },
      });
    }

    try {
      return await readBody(response, request);
    } catch (error) {
      if (signal.aborted) throw abortedError(signal, label);
      if (attempt <= net.retry.retries) {
        await delay(backoff(net.retry, attempt), signal, label);
        continue;
      }
      throw new KilnLoadError('network', `${label}: reading ${stripQuery(url)} failed after ${attempt} attempts: ${messageOf(error)}`, {
        cause: error,
        details: details(),
      });
    }
  }
}

function retryAfterMs(response: Response): number | undefined {
  // Readable cross-origin only with Access-Control-Expose-Headers: Retry-After.
  const value = response.headers.get('retry-after');
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, 30_000);
  return undefined;
}

async function readBody(response: Response, request: DownloadRequest): Promise<ArrayBuffer> {
  const header = response.headers.get('content-length');
  // Content-Encoding is only visible same-origin (or when exposed); when it is, Content-Length is
  // the compressed size and says nothing about the bytes we will count.
  const encoded = (response.headers.get('content-encoding') ?? 'identity') !== 'identity';
  const length = header !== null && !encoded && /^\d+$/.test(header) ? Number(header) : undefined;
  const total = request.expectedBytes ?? length;
  const onProgress = request.onProgress;
  if (response.body === null) {
    const buffer = await response.arrayBuffer();
    onProgress?.(buffer.byteLength, total);
    return buffer;
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  onProgress?.(0, total);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onProgress?.(loaded, total);
  }
  const out = new Uint8Array(loaded);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out.buffer;
}

/** The message of an unknown error. @internal */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  // three's DRACOLoader rejects with its worker's message ({ type: 'error', id, error }).
  if (typeof error === 'object' && error !== null) {
    const { message, error: inner } = error as { message?: unknown; error?: unknown };
    if (typeof message === 'string') return message;
    if (typeof inner === 'string') return inner;
    if (inner instanceof Error) return inner.message;
  }
  return String(error);
}
