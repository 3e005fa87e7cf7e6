// The app origin: an HTML page, the test page bundle (built with esbuild from test/browser/page.ts,
// which imports @kiln/three's sources) and the decoder files (copied the way `pnpm build` does).
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { packageDir } from './fixtures.js';

export interface AppServer {
  url: string;
  /** Files served, for tests that count decoder downloads. */
  log: string[];
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

/** Bundles `entry` (relative to the package) with esbuild into `outDir/bundle.js`. */
export async function bundlePage(entry: string, outDir: string): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [join(packageDir, entry)],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outfile: join(outDir, 'bundle.js'),
    conditions: ['source'],
    logLevel: 'silent',
    sourcemap: 'inline',
  });
}

/**
 * Builds a temp app folder: index.html, bundle.js, decoders/ (as `pnpm build` writes it, with a
 * `.gz` beside each fetched file), decoders-plain/ (the same without the `.gz` copies, as a host
 * that copied only the plain files would serve) and decoders-spa/ (HTML in place of each `.gz`).
 */
export async function prepareApp(entry: string, name: string): Promise<string> {
  const dir = join(packageDir, '.kiln-tmp', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await bundlePage(entry, dir);
  const { copyDecoders, GZIPPED } = (await import(join(packageDir, 'scripts', 'copy-decoders.mjs'))) as typeof import('../../scripts/copy-decoders.mjs');
  copyDecoders(join(dir, 'decoders'));
  copyDecoders(join(dir, 'decoders-plain'));
  copyDecoders(join(dir, 'decoders-spa'));
  for (const file of GZIPPED) {
    rmSync(join(dir, 'decoders-plain', `${file}.gz`));
    // What a single-page app's host serves, with 200, for a path it does not have.
    writeFileSync(join(dir, 'decoders-spa', `${file}.gz`), '<!doctype html><html><body><div id="app"></div></body></html>');
  }
  return dir;
}

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>kiln three test</title></head>
<body style="margin:0;background:#000"><script type="module" src="/bundle.js"></script></body></html>`;

/** Options of {@link startAppServer}. */
export interface AppServerOptions {
  /** Send `.js` and `.wasm` with `Content-Encoding: gzip` to clients that accept it, as a CDN that compresses them would. Default: `false`. */
  gzip?: boolean;
}

/** Serves `dir` (and `/` as the test page) on its own origin. */
export async function startAppServer(dir: string, options: AppServerOptions = {}): Promise<AppServer> {
  const log: string[] = [];
  const gzipped = new Map<string, Buffer>();
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://app').pathname);
    log.push(path);
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'Content-Type': TYPES['.html'] as string, 'Cache-Control': 'no-store' }).end(PAGE);
      return;
    }
    const file = normalize(join(dir, path));
    if (!file.startsWith(dir) || !statSync(file, { throwIfNoEntry: false })?.isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    const headers: Record<string, string> = {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Cache-Control': 'no-store',
      'Access-Control-Allow-Origin': '*',
    };
    let body: Buffer = readFileSync(file);
    if (options.gzip && (extname(file) === '.js' || extname(file) === '.wasm') && /\bgzip\b/.test(String(req.headers['accept-encoding']))) {
      let compressed = gzipped.get(file);
      if (compressed === undefined) gzipped.set(file, (compressed = gzipSync(body, { level: 9 })));
      body = compressed;
      headers['Content-Encoding'] = 'gzip';
      headers['Vary'] = 'Accept-Encoding';
    }
    res.writeHead(200, headers).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
