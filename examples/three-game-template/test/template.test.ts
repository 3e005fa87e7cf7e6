// The template end to end: its assets made and stored, served by the CDN server on one origin,
// the Vite production build served on another, opened in headless Chromium; the page must load
// every model, the LOD levels and the sky, and draw them.
import { startCdnServer, type CdnServer } from '@kiln/storage/serve';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, launchBrowser } from '../../../packages/three/test/helpers/browser.js';
import { makeAssets } from '../scripts/make-assets.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const missing = browserMissing();

describe.skipIf(missing !== undefined)(`three-game-template${missing ? ` (skipped: ${missing})` : ''}`, () => {
  const work = mkdtempSync(join(tmpdir(), 'kiln-template-'));
  let cdn: CdnServer;
  let site: Server;
  let siteUrl = '';

  beforeAll(async () => {
    const assets = join(work, 'assets');
    cdn = await startCdnServer({ root: assets });
    const manifestUrl = await makeAssets({ dir: assets, cdnUrl: cdn.url });
    const { copyDecoders } = await import('../../../packages/three/scripts/copy-decoders.mjs');
    const outDir = join(work, 'dist');
    process.env['VITE_KILN_MANIFEST_URL'] = manifestUrl;
    await build({
      root,
      logLevel: 'silent',
      // Build against @kiln/three's sources: no package build needed.
      resolve: { conditions: ['source', 'module', 'browser', 'development|production'] },
      build: { outDir, emptyOutDir: true },
    });
    delete process.env['VITE_KILN_MANIFEST_URL'];
    copyDecoders(join(outDir, 'kiln-decoders'));
    site = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://site').pathname;
      const file = normalize(join(outDir, path === '/' ? 'index.html' : path));
      if (!file.startsWith(outDir) || !statSync(file, { throwIfNoEntry: false })?.isFile()) {
        res.writeHead(404).end();
        return;
      }
      const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };
      res.writeHead(200, { 'Content-Type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  }, 180_000);

  afterAll(async () => {
    await cdn?.close();
    await new Promise<void>((resolve) => (site ? site.close(() => resolve()) : resolve()));
    rmSync(work, { recursive: true, force: true });
  });

  it('loads the models, the LOD levels and the sky from the CDN and draws them', async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage({ viewport: { width: 320, height: 240 } });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(siteUrl);
      await page.waitForFunction(() => /models/.test(document.querySelector('#status')?.textContent ?? '') || /failed/.test(document.querySelector('#status')?.textContent ?? ''), undefined, {
        timeout: 60_000,
      });
      const status = await page.textContent('#status');
      expect(status).toMatch(/^6 models, LOD levels 0\/1\/2, cache \d+ KiB$/);
      const screenshot = await page.screenshot();
      expect(screenshot.byteLength).toBeGreaterThan(5_000);
      expect(errors).toEqual([]);
      expect(new URL(siteUrl).origin).not.toBe(new URL(cdn.url).origin);
    } finally {
      await browser.close();
    }
  });
});
