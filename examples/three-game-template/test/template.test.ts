// The template end to end: its assets made and stored, served by the CDN server on one origin,
// the Vite production build served on another, opened in headless Chromium; the page must load
// every model, the LOD levels and the sky, and draw them; a manifest that cannot be read is shown.
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

  interface PageState {
    expected: string[];
    loaded: string[];
    failed: { id: string; code: string; message: string }[];
    levels: Record<string, number[]>;
    environment: string | undefined;
    error: string | undefined;
    done: boolean;
  }

  async function open(query: string): Promise<{ state: PageState; status: string | null; screenshot: Buffer; errors: string[] }> {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage({ viewport: { width: 480, height: 320 } });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(`${siteUrl}/${query}`);
      await page.waitForFunction(() => (window as unknown as { __kiln?: { done: boolean } }).__kiln?.done === true, undefined, { timeout: 60_000 });
      const state = await page.evaluate(() => (window as unknown as { __kiln: PageState }).__kiln);
      return { state, status: await page.textContent('#status'), screenshot: await page.screenshot(), errors };
    } finally {
      await browser.close();
    }
  }

  it('lays out every model of the manifest on the grid, with the LOD levels, the sky and a card per asset', async () => {
    const { state, status, screenshot, errors } = await open('');
    expect(state.failed).toEqual([]);
    expect(state.error).toBeUndefined();
    expect([...state.loaded].sort()).toEqual(['crystal', 'rock-0', 'rock-1', 'rock-2', 'rock-3', 'rock-4', 'sky']);
    expect(state.expected.sort()).toEqual([...state.loaded].sort());
    expect(state.levels['crystal']).toEqual([0, 1, 2]);
    expect(state.environment).toBe('manifest');
    expect(status).toMatch(/^6 models \(8 LOD levels\) \+ environment map, cache \d+ KiB$/);
    expect(screenshot.byteLength).toBeGreaterThan(5_000);
    expect(errors).toEqual([]);
    expect(new URL(siteUrl).origin).not.toBe(new URL(cdn.url).origin);
  });

  it('takes the manifest from ?manifest= and shows why a manifest cannot be read', async () => {
    const { state, status, errors } = await open(`?manifest=${encodeURIComponent(`${cdn.url}/demo/no-such-run/bundle/manifest.json`)}`);
    expect(state.error).toMatch(/^manifest: /);
    expect(state.loaded).toEqual([]);
    expect(status).toMatch(/^load failed \(manifest\): .*404/);
    expect(errors).toEqual([]);
  });
});
