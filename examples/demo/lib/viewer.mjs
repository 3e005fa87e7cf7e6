// Stage 5: the viewer. The Three.js game template (examples/three-game-template) is built once
// with Vite (its production build, cached in its dist/ until its sources or @kiln/three change),
// served from its own origin, and pointed at the manifest with `?manifest=<url>`.
// `--headless` opens it in headless Chromium instead, waits until every asset is in, and saves
// a screenshot.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TEMPLATE_DIR = fileURLToPath(new URL('../../three-game-template/', import.meta.url));
const BUILD_DIR = join(TEMPLATE_DIR, 'dist');
const HASH_FILE = '.kiln-build-hash';

/** Debian's Chromium, as the tests use it; KILN_CHROMIUM overrides the path. */
export const CHROMIUM = process.env.KILN_CHROMIUM ?? '/usr/bin/chromium';
/** Flags that give WebGL (SwiftShader) in headless Chromium here; see the three loader notes. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--enable-unsafe-swiftshader'];

function decodersDir() {
  const require = createRequire(join(TEMPLATE_DIR, 'package.json'));
  return join(dirname(require.resolve('@kiln/three/package.json')), 'decoders');
}

/** Hash of everything the build depends on: the template's sources and the built @kiln/three. */
function sourceHash() {
  const hash = createHash('sha256');
  const require = createRequire(join(TEMPLATE_DIR, 'package.json'));
  const files = [
    join(TEMPLATE_DIR, 'index.html'),
    join(TEMPLATE_DIR, 'package.json'),
    ...readdirSync(join(TEMPLATE_DIR, 'src')).map((f) => join(TEMPLATE_DIR, 'src', f)),
    join(dirname(require.resolve('@kiln/three/package.json')), 'dist', 'index.js'),
    join(decodersDir(), 'VERSIONS.json'),
  ];
  for (const file of files.sort()) hash.update(file).update(readFileSync(file));
  return hash.digest('hex');
}

function run(command, args, cwd) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${output}`))));
  });
}

/**
 * Builds the template (`vite build`) into its dist/ unless the build there is current, and
 * copies @kiln/three's decoders next to it. Returns `{ dir, cached }`.
 */
export async function buildViewer() {
  if (!existsSync(decodersDir())) throw new Error(`@kiln/three has no decoders/ at ${decodersDir()}: run "pnpm run build" at the workspace root first`);
  const hash = sourceHash();
  if (existsSync(join(BUILD_DIR, HASH_FILE)) && readFileSync(join(BUILD_DIR, HASH_FILE), 'utf8') === hash) return { dir: BUILD_DIR, cached: true };
  // Build beside dist/ and swap it in, so a build that fails (or a second demo running at the same time) never leaves half a dist/.
  const staging = join(TEMPLATE_DIR, `.dist-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  try {
    await run(process.execPath, [join(TEMPLATE_DIR, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--outDir', staging, '--emptyOutDir', '--logLevel', 'error'], TEMPLATE_DIR);
    rmSync(join(staging, 'kiln-decoders'), { recursive: true, force: true });
    cpSync(decodersDir(), join(staging, 'kiln-decoders'), { recursive: true });
    writeFileSync(join(staging, HASH_FILE), hash);
    rmSync(BUILD_DIR, { recursive: true, force: true });
    renameSync(staging, BUILD_DIR);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return { dir: BUILD_DIR, cached: false };
}

/** Why headless Chromium cannot run here, or undefined. */
export function browserMissing() {
  return existsSync(CHROMIUM) ? undefined : `Chromium not found at ${CHROMIUM} (apt-get install chromium, or set KILN_CHROMIUM)`;
}

/**
 * Opens `url` in headless Chromium, waits until the page has loaded every asset (or given up),
 * saves a screenshot and returns the page's `window.__kiln` with the page's errors.
 */
export async function renderHeadless({ url, screenshot, timeoutMs = 120_000 }) {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const errors = [];
    page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`console: ${message.text()}`);
    });
    await page.goto(url);
    await page.waitForFunction(() => window.__kiln?.done === true, undefined, { timeout: timeoutMs });
    // A few frames more, so the screenshot shows the camera's first move and the finest LODs.
    await page.waitForTimeout(500);
    await page.screenshot({ path: screenshot });
    const state = await page.evaluate(() => window.__kiln);
    return { state, errors };
  } finally {
    await browser.close();
  }
}
