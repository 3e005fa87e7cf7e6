#!/usr/bin/env node
// npm run demo: the whole Kiln flow on embedded defaults (no GPU, no cloud account):
//   1. read a batch (batch.csv + a prompt template + a locked style);
//   2. generate it with @kiln/core on the procedural backend: progress bars, a review
//      checkpoint, one transient failure retried;
//   3. optimize every model with @kiln/optimize (web preset, WebP, two LODs);
//   4. store everything with @kiln/storage under tenant "demo", write the manifest, and run the
//      same batch again to show the dedup hits;
//   5. serve the store and the Three.js game template, which loads the manifest with @kiln/three
//      (--headless: render it in headless Chromium and save a screenshot);
//   6. summarise.
// Run it from the workspace root with `npm run demo` (installs and builds first), or
// `node examples/demo/run.mjs` once the packages are built. `--help` lists the flags.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseManifest } from '@kiln/manifest';
import { readBatch, PROMPT_TEMPLATE } from './lib/batch.mjs';
import { generate } from './lib/generate.mjs';
import { isBlank, screenshotStats } from './lib/image-check.mjs';
import { optimizeModels } from './lib/optimize.mjs';
import { serveDirectory } from './lib/static-server.mjs';
import { deliver, openFsBackend, TENANT, uploadStats } from './lib/storage.mjs';
import { heading, kib, percent, say, seconds, table } from './lib/terminal.mjs';
import { browserMissing, buildViewer, renderHeadless } from './lib/viewer.mjs';

const USAGE = `usage: node examples/demo/run.mjs [options]   (or: npm run demo -- [options])

  --out DIR        where the store, manifest, screenshot and result.json go (default: demo-output)
  --batch FILE     the batch CSV (default: examples/demo/batch.csv)
  --textures T     webp (default) or ktx2
  --interactive    approve or reject each review checkpoint in the terminal
  --headless       render the viewer in headless Chromium, save screenshot.png, exit non-zero on failure
  --s3             run against a private Ceph RGW (started here) with presigned URLs
  --port N         port of the viewer page (default: a free one)
  --help           this text`;

/** A wrong flag or value: print the usage and exit 2. */
class UsageError extends Error {}

function options() {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: 'demo-output' },
      batch: { type: 'string', default: fileURLToPath(new URL('batch.csv', import.meta.url)) },
      textures: { type: 'string', default: 'webp' },
      interactive: { type: 'boolean', default: false },
      headless: { type: 'boolean', default: false },
      s3: { type: 'boolean', default: false },
      port: { type: 'string', default: '0' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (!['webp', 'ktx2'].includes(values.textures)) throw new UsageError(`--textures must be webp or ktx2, got ${JSON.stringify(values.textures)}`);
  if (!/^\d{1,5}$/.test(values.port)) throw new UsageError(`--port must be a port number, got ${JSON.stringify(values.port)}`);
  if (values.interactive && !process.stdin.isTTY) throw new UsageError('--interactive needs a terminal to ask in');
  return { ...values, out: resolve(values.out), batch: resolve(values.batch), port: Number(values.port) };
}

async function main(o) {
  const timings = [];
  const time = async (stage, work) => {
    const started = performance.now();
    try {
      return await work();
    } finally {
      timings.push([stage, performance.now() - started]);
    }
  };
  const closers = [];
  try {
    // 1. The batch is validated before anything is written: a bad CSV leaves --out untouched.
    heading('1. Read the batch');
    const batch = await time('read batch', () => readBatch(o.batch));
    say(`  ${relative(process.cwd(), o.batch) || o.batch}: ${batch.items.length} rows, batch ${batch.id}`);
    say(`  template: ${PROMPT_TEMPLATE}`);
    say(`  style lock (appended to every prompt): ${batch.items[0]?.modifiers.join(', ') ?? ''}`);
    table([['row', 'category', 'name', 'type', 'prompt'], ...batch.items.map((i) => [String(i.row), i.request.category ?? '', i.request.name ?? '', i.request.asset_type, i.basePrompt])]);

    await rm(o.out, { recursive: true, force: true });
    await mkdir(o.out, { recursive: true });
    const backend = o.s3 ? await (await import('./lib/s3.mjs')).openS3Backend({ say }) : await openFsBackend(join(o.out, 'store'));
    closers.push(backend.close);
    say(`\n  store: ${backend.where}${backend.cdnUrl ? `, served by the local CDN server on ${backend.cdnUrl}` : ''}`);

    heading('2. Generate (@kiln/core, procedural backend: CPU only, no GPU)');
    const store1 = backend.open();
    closers.push(() => store1.close());
    const generated = await time('generate', () => generate({ batch, assets: store1, interactive: o.interactive, failOnce: true }));
    const retried = generated.retries.filter((r) => r.data.attemptUsed);
    say(`  ${generated.results.length}/${batch.items.length} models; review: ${generated.reviews.approved} approved${o.interactive ? '' : ' automatically (--interactive to decide)'}, ${generated.reviews.rejected} rejected; ${retried.length} transient failure retried`);
    for (const r of generated.rejected) say(`  ✗ row ${r.row} (${r.name}): ${r.state}`);
    if (generated.results.length === 0) throw new Error('every asset was rejected: nothing to optimize');

    heading(`3. Optimize (@kiln/optimize: preset web, ${o.textures} textures, LODs)`);
    const tenant1 = store1.tenant(TENANT);
    const models = await Promise.all(generated.results.map(async (r) => ({ id: r.id, bytes: await tenant1.getBytes(r.model.key) })));
    const optimized = await time('optimize', () => optimizeModels({ models, textures: o.textures }));

    heading(`4. Store (@kiln/storage: tenant "${TENANT}", ${backend.kind === 'fs' ? 'embedded fs store' : 'Ceph RGW'})`);
    const written = await time('store + manifest', () => deliver({ store: store1, runId: 'demo-run-1', optimized, generated: generated.results, textures: o.textures }));
    // Read back through its delivery URL (a presigned one with --s3), as the viewer will.
    const manifestText = await (await fetch(written.url)).text();
    const manifest = parseManifest(manifestText);
    const manifestPath = backend.manifestLocation(written.key);
    await writeFile(join(o.out, 'manifest.json'), manifestText);
    say(`  manifest: ${manifestPath}${backend.kind === 's3' ? ` (a copy in ${join(o.out, 'manifest.json')})` : ''}`);
    say(`  ${manifest.assets.length} assets, manifest version ${manifest.manifestVersion}, validated by @kiln/manifest`);

    say('\n  The same batch once more (run 2): a fresh job store, so every step runs again; the outputs are the same bytes (seeded), so storage keeps none of them twice.');
    const store2 = backend.open();
    closers.push(() => store2.close());
    const second = await time('run 2 (generate + optimize + store)', async () => {
      const again = await generate({ batch, assets: store2, interactive: false, failOnce: false, quiet: true });
      const models2 = await Promise.all(again.results.map(async (r) => ({ id: r.id, bytes: await store2.tenant(TENANT).getBytes(r.model.key) })));
      const optimized2 = await optimizeModels({ models: models2, textures: o.textures, quiet: true });
      const written2 = await deliver({ store: store2, runId: 'demo-run-2', optimized: optimized2, generated: again.results, textures: o.textures });
      return { manifest: written2.manifest };
    });
    const runs = [
      ['run 1', uploadStats(store1)],
      ['run 2', uploadStats(store2)],
    ];
    table([['', 'uploads', 'new', 'dedup hits', 'bytes', 'bytes sent'], ...runs.map(([name, s]) => [name, String(s.uploads), String(s.uploads - s.hits), String(s.hits), kib(s.bytes), kib(s.sent)])]);
    const sameKeys = second.manifest.assets.every((a) => manifest.assets.find((b) => b.id === a.id)?.key === a.key);
    say(`  run 2's manifest points at ${sameKeys ? 'the same' : 'different'} content-addressed blobs as run 1's.`);

    heading('5. View (the Three.js game template, loading the manifest with @kiln/three)');
    const viewer = await time('viewer build', () => buildViewer());
    say(`  template build: ${viewer.cached ? 'cached' : 'vite build'} in ${viewer.dir}`);
    const site = await serveDirectory(viewer.dir, { port: o.port });
    closers.push(site.close);
    const viewerUrl = `${site.url}/?manifest=${encodeURIComponent(written.url)}`;
    const result = {
      ok: true,
      manifest: { path: manifestPath, copy: join(o.out, 'manifest.json'), url: written.url, assets: manifest.assets.map((a) => a.id) },
      viewerUrl,
      runs: Object.fromEntries(runs.map(([name, s]) => [name.replace(' ', ''), s])),
      retries: retried.length,
      reviews: generated.reviews,
    };
    let failure;
    if (o.headless) {
      const missing = browserMissing();
      if (missing) throw new Error(`--headless: ${missing}`);
      const screenshot = join(o.out, 'screenshot.png');
      const page = await time('headless render', () => renderHeadless({ url: viewerUrl, screenshot }));
      const stats = await screenshotStats(screenshot);
      const missingIds = manifest.assets.map((a) => a.id).filter((id) => !page.state.loaded.includes(id));
      Object.assign(result, { page: page.state, pageErrors: page.errors, screenshot: { path: screenshot, ...stats } });
      say(`  headless Chromium: ${page.state.loaded.length}/${manifest.assets.length} assets loaded, ${page.state.failed.length} failed, environment ${page.state.environment ?? 'none'}`);
      const t = page.state.timings;
      say(`  page clock: manifest read at ${seconds(t.preload ?? 0)}, first model in the scene at ${seconds(t.firstModel ?? 0)}, every LOD level at ${seconds(t.done ?? 0)}`);
      say(`  screenshot: ${screenshot} (${stats.width}x${stats.height}, ${stats.colours} colours)`);
      if (page.state.error) failure = `the page could not start: ${page.state.error}`;
      else if (missingIds.length > 0) failure = `not loaded in the page: ${missingIds.join(', ')}${page.state.failed.map((f) => `\n    ${f.id} (${f.code}): ${f.message}`).join('')}`;
      else if (page.errors.length > 0) failure = `errors in the page:\n    ${page.errors.join('\n    ')}`;
      else if (isBlank(stats)) failure = `the screenshot looks blank (${stats.colours} colours, luminance deviation ${stats.deviation})`;
    } else {
      say(`  open ${viewerUrl}`);
    }

    heading('6. Summary');
    summarise({ generated, optimized, manifest, manifestPath, timings, backend, runs });
    result.ok = failure === undefined;
    result.timings = Object.fromEntries(timings.map(([stage, ms]) => [stage, Math.round(ms)]));
    await writeFile(join(o.out, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
    say(`  result: ${join(o.out, 'result.json')}`);
    if (failure) {
      process.stderr.write(`\n✖ ${failure}\n`);
      return 1;
    }
    if (!o.headless) {
      say(`\nViewer: ${viewerUrl}\nServing until Ctrl-C.`);
      await new Promise((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
    }
    return 0;
  } finally {
    for (const close of closers.reverse()) await close().catch(() => {});
  }
}

function summarise({ generated, optimized, manifest, manifestPath, timings, backend, runs }) {
  const byCategory = {};
  for (const r of generated.results) byCategory[r.category] = (byCategory[r.category] ?? 0) + 1;
  say(`  assets by type: ${Object.entries(byCategory).map(([c, n]) => `${n} ${c}${n > 1 ? 's' : ''}`).join(', ')} (${manifest.assets.length} models in the manifest, ${manifest.assets.reduce((n, a) => n + (a.lods?.length ?? 0), 0)} LOD variants)`);
  const before = optimized.reduce((sum, o) => sum + o.before, 0);
  const after = optimized.reduce((sum, o) => sum + o.glb.byteLength, 0);
  const run2 = runs[1][1];
  say(`  bytes saved: optimization ${kib(before)} → ${kib(after)} (−${percent(before - after, before)}); dedup in run 2: ${run2.hits}/${run2.uploads} uploads skipped, ${kib(run2.bytes - run2.sent)} not sent`);
  const ratings = {};
  for (const r of generated.results) ratings[r.rating] = [...(ratings[r.rating] ?? []), r.id];
  say(`  quality ratings: ${Object.entries(ratings).map(([rating, ids]) => `${rating} ×${ids.length}`).join(', ')}`);
  table([['stage', 'time'], ...timings.map(([stage, ms]) => [stage, seconds(ms)])]);
  say(`  store: ${backend.where}`);
  say(`  manifest: ${manifestPath}`);
}

let code;
try {
  code = await main(options());
} catch (error) {
  if (error instanceof UsageError || error?.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || error?.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    process.stderr.write(`${error.message}\n\n${USAGE}\n`);
    code = 2;
  } else {
    const reason = error?.code ? ` [${error.code}]` : '';
    process.stderr.write(`\n✖ demo failed: ${error?.message ?? error}${reason}\n`);
    if (process.env.KILN_DEBUG) process.stderr.write(`${error?.stack}\n`);
    code = 1;
  }
}
process.exit(code);
