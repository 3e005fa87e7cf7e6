// A fault-injecting proxy, on its own origin, in front of the CDN server and the app server:
//   /<mode>/<upstream>/<path>?<query>
// modes: pass, slow (8 KiB every 20 ms, with Content-Length), slowgzip (the same, gzipped), nolen (chunked, no Content-Length),
// gzip (Content-Encoding: gzip, Content-Length of the compressed body), flaky-<n>-<token> (503 for
// the first n requests of that token and path), forbid (403 unless the query has sig=fresh).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

export interface ChaosRequest {
  mode: string;
  upstream: string;
  path: string;
  status: number;
}

export interface ChaosProxy {
  url: string;
  /** Every request answered, in order. */
  log: ChaosRequest[];
  close(): Promise<void>;
}

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
  'Access-Control-Allow-Headers': '*',
  'Cross-Origin-Resource-Policy': 'cross-origin',
};

export async function startChaosProxy(upstreams: Record<string, string>): Promise<ChaosProxy> {
  const log: ChaosRequest[] = [];
  const flakyCounts = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://chaos');
    const [, mode = '', upstream = '', ...rest] = url.pathname.split('/');
    const path = `/${rest.join('/')}`;
    const record = (status: number) => log.push({ mode, upstream, path, status });
    if (req.method === 'OPTIONS') {
      res.writeHead(204, CORS).end();
      return;
    }
    const base = upstreams[upstream];
    if (base === undefined) {
      record(404);
      res.writeHead(404, CORS).end('no such upstream');
      return;
    }
    if (mode.startsWith('flaky-')) {
      const [, n, token] = mode.split('-');
      const key = `${token}:${path}`;
      const seen = flakyCounts.get(key) ?? 0;
      flakyCounts.set(key, seen + 1);
      if (seen < Number(n)) {
        record(503);
        res.writeHead(503, { ...CORS, 'Content-Type': 'text/plain' }).end('try again');
        return;
      }
    }
    if (mode === 'forbid' && url.searchParams.get('sig') !== 'fresh') {
      record(403);
      res.writeHead(403, { ...CORS, 'Content-Type': 'application/xml' }).end('<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>');
      return;
    }
    url.searchParams.delete('sig');
    const query = url.searchParams.toString();
    const upstreamResponse = await fetch(`${base}${path}${query ? `?${query}` : ''}`);
    const body = Buffer.from(await upstreamResponse.arrayBuffer());
    const type = upstreamResponse.headers.get('content-type') ?? 'application/octet-stream';
    record(upstreamResponse.status);
    if (upstreamResponse.status !== 200) {
      res.writeHead(upstreamResponse.status, { ...CORS, 'Content-Type': type }).end(body);
      return;
    }
    const headers: Record<string, string> = { ...CORS, 'Content-Type': type, 'Cache-Control': 'no-store' };
    if (mode === 'gzip') {
      const zipped = gzipSync(body);
      res.writeHead(200, { ...headers, 'Content-Encoding': 'gzip', 'Content-Length': String(zipped.length) }).end(zipped);
      return;
    }
    if (mode === 'nolen') {
      res.writeHead(200, headers);
      for (let i = 0; i < body.length; i += 16_384) res.write(body.subarray(i, i + 16_384));
      res.end();
      return;
    }
    if (mode === 'slow' || mode === 'slowgzip') {
      const payload = mode === 'slowgzip' ? gzipSync(body) : body;
      res.writeHead(200, { ...headers, 'Content-Length': String(payload.length), ...(mode === 'slowgzip' ? { 'Content-Encoding': 'gzip' } : {}) });
      let offset = 0;
      const tick = () => {
        if (res.destroyed) return;
        res.write(payload.subarray(offset, offset + 8192));
        offset += 8192;
        if (offset >= payload.length) res.end();
        else {
          const timer = setTimeout(() => {
            timers.delete(timer);
            tick();
          }, 20);
          timers.add(timer);
        }
      };
      tick();
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Length': String(body.length) }).end(body);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, CORS);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
