import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fsDriver } from '../drivers/fs.js';
import { StorageError } from '../errors.js';
import { corsHeaders, preflightHeaders } from './cors.js';
import { serveObject } from './get.js';
import { type CdnConfig, type CdnServerOptions, resolveCdnOptions } from './options.js';
import { checkPresignedRequest } from './presign-check.js';
import { receiveUpload } from './put.js';
import { keyFromRequestPath } from './request-key.js';
import { addVary, sendError } from './responses.js';

/** A Node `request` listener, to mount in any `node:http` server. */
export type CdnRequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** A running CDN server. */
export interface CdnServer {
  /** Base URL, such as `http://127.0.0.1:54321` (a wildcard host is given as the loopback address). */
  readonly url: string;
  readonly port: number;
  /** Stops listening and drops open connections. Safe to call twice. */
  close(): Promise<void>;
}

const ALLOW = 'GET, HEAD, PUT, OPTIONS';

/**
 * The CDN server's request listener, for hosts that mount it in their own server. Serves the
 * directory of an `fsDriver` the way a browser loading WebGL assets needs it: content types and
 * cache headers from the sidecars, refs resolved to their blobs, byte ranges, ETags and 304s,
 * CORS and CORP, br/gzip for text formats only, presigned GET and PUT URLs. Validates `options`
 * eagerly; see {@link startCdnServer} for the behaviour.
 *
 * @example
 * ```ts
 * const server = http.createServer(createCdnRequestHandler({ root: './assets' }));
 * ```
 */
export function createCdnRequestHandler(options: CdnServerOptions): CdnRequestHandler {
  return createHandler(resolveCdnOptions(options, 'createCdnRequestHandler'));
}

/**
 * Serves the directory of an `fsDriver` over HTTP (the `kiln serve` command):
 *
 * - GET/HEAD `/<key>` (segments percent-decoded; `..`, encoded slashes, backslashes and control
 *   characters give 400; `.kiln/` internals and anything resolving outside `root` give 404).
 *   A ref is served with its blob's bytes and its own content type and Cache-Control.
 * - Cache-Control from the sidecar, else `public, max-age=31536000, immutable` under `_blobs/`
 *   and `public, max-age=60` elsewhere.
 * - One byte range per request (206, 416); several ranges get the whole object (200).
 * - `If-None-Match`/`If-Modified-Since` → 304, `If-Range`.
 * - br or gzip only for text types (glTF JSON, JSON, `text/*`, SVG), never for ranges.
 * - CORS for `allowedOrigins` (preflight 403 for others) and `Cross-Origin-Resource-Policy: cross-origin`.
 * - Presigned URLs of `fsDriver({ baseUrl: server.url, signingSecret })`; PUT only with one.
 *
 * @example
 * ```ts
 * const server = await startCdnServer({ root: './assets', signingSecret });
 * const store = fsDriver({ root: './assets', baseUrl: server.url, signingSecret });
 * // …
 * await server.close();
 * ```
 */
export async function startCdnServer(options: CdnServerOptions): Promise<CdnServer> {
  const config = resolveCdnOptions(options, 'startCdnServer');
  const server = createServer(createHandler(config));
  await new Promise<void>((resolvePromise, reject) => {
    const onError = (error: Error) =>
      reject(
        new StorageError('io', `startCdnServer: cannot listen on ${config.host}:${config.port}: ${error.message}`, {
          cause: error,
          details: { host: config.host, port: config.port },
        }),
      );
    server.once('error', onError);
    server.listen({ host: config.host, port: config.port }, () => {
      server.off('error', onError);
      resolvePromise();
    });
  });
  server.on('error', (error) => config.logger.warn(`startCdnServer: server error: ${error.message}`));
  const port = (server.address() as AddressInfo).port;
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host === '::' ? '::1' : config.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close() {
      closing ??= new Promise<void>((resolvePromise) => {
        server.close(() => resolvePromise());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function createHandler(config: CdnConfig): CdnRequestHandler {
  const driver = fsDriver({ root: config.root });
  return (req, res) => {
    handle(config, driver, req, res).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      config.logger.warn(`cdnServer: ${req.method ?? '?'} ${pathOf(req)}: ${message}`);
      if (!res.headersSent) sendError(req, res, 500, 'InternalError', 'The server could not handle the request.');
      else res.destroy();
    });
  };
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

async function handle(
  config: CdnConfig,
  driver: ReturnType<typeof fsDriver>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const method = req.method ?? '';
  res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  const cors = corsHeaders(req.headers.origin, config.allowedOrigins);
  for (const [name, value] of Object.entries(cors.headers)) res.setHeader(name, value);
  if (config.allowedOrigins !== '*') addVary(res, 'Origin');

  if (method === 'OPTIONS') {
    const requested = req.headers['access-control-request-method'];
    if (req.headers.origin === undefined || requested === undefined) {
      res.writeHead(204, { Allow: ALLOW });
      res.end();
    } else if (!cors.allowed || !['GET', 'HEAD', 'PUT'].includes(requested)) {
      sendError(req, res, 403, 'AccessDenied', 'CORS preflight refused: origin or method not allowed.');
    } else {
      res.writeHead(204, preflightHeaders());
      res.end();
    }
    return;
  }
  if (method !== 'GET' && method !== 'HEAD' && method !== 'PUT') {
    sendError(req, res, 405, 'MethodNotAllowed', `The method ${method} is not allowed.`, { Allow: ALLOW });
    return;
  }

  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const checked = keyFromRequestPath(q === -1 ? url : url.slice(0, q));
  if (!checked.ok) {
    if (checked.status === 404) sendError(req, res, 404, 'NoSuchKey', 'The specified key does not exist.');
    else sendError(req, res, 400, 'InvalidRequest', `Invalid path: ${checked.reason}.`);
    return;
  }
  const presign = checkPresignedRequest({
    query: new URLSearchParams(q === -1 ? '' : url.slice(q + 1)),
    method,
    key: checked.key,
    contentType: req.headers['content-type'] ?? '',
    secret: config.signingSecret,
    now: Math.floor(Date.now() / 1000),
  });
  if (presign.kind === 'invalid') {
    sendError(req, res, 403, 'AccessDenied', `Presigned URL refused: ${presign.reason}.`);
    return;
  }
  if (presign.kind === 'unsigned' && (method === 'PUT' || config.requireSignature)) {
    sendError(req, res, 403, 'AccessDenied', `${method === 'PUT' ? 'Uploads need' : 'This server requires'} a presigned URL.`);
    return;
  }
  if (method === 'PUT') {
    await receiveUpload(config, driver, req, res, checked.key);
    return;
  }
  const overrides =
    presign.kind === 'valid'
      ? {
          ...(presign.responseContentType !== undefined ? { contentType: presign.responseContentType } : {}),
          ...(presign.responseContentDisposition !== undefined ? { contentDisposition: presign.responseContentDisposition } : {}),
        }
      : {};
  await serveObject(config, req, res, checked.key, overrides);
}
