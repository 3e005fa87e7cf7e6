#!/usr/bin/env node
// npm run demo: the storage walk-through on embedded defaults (no cloud account, no GPU).
//   1. upload sample assets to the embedded fs store under tenant "demo";
//   2. upload them again under another run: every one is a dedup hit, zero bytes sent;
//   3. write the run's manifest and serve the store with the local CDN server;
//   4. fetch an asset through the CDN and print the URLs, a presigned URL and the usage.
// Flags: --serve keeps the CDN server running until Ctrl-C; --out DIR picks the output folder.
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseManifest, resolveAsset } from '@kiln/manifest';
import { createAssetStore, fsDriver } from '@kiln/storage';
import { startCdnServer } from '@kiln/storage/serve';
import { checkerPng, triangleGlb, waterShader } from './sample-assets.mjs';

const args = process.argv.slice(2);
const outDir = resolve(args.includes('--out') ? args[args.indexOf('--out') + 1] : 'demo-output');
const root = join(outDir, 'store');
const say = (text = '') => process.stdout.write(`${text}\n`);
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  for (const [n, row] of rows.entries()) {
    say(`  ${row.map((c, i) => String(c).padEnd(widths[i])).join('  ')}`);
    if (n === 0) say(`  ${widths.map((w) => '─'.repeat(w)).join('  ')}`);
  }
}

const assets = [
  { name: { artifactType: 'model_3d', filename: 'unit_archer_blue.glb' }, body: triangleGlb(1), metadata: { prompt: 'a blue archer unit, low poly', qualityRating: 4, tags: ['unit'] } },
  { name: { artifactType: 'model_3d', filename: 'building_tower_stone.glb' }, body: triangleGlb(3), metadata: { prompt: 'a stone watch tower', qualityRating: 5, tags: ['building'] } },
  { name: { artifactType: 'texture', filename: 'tile_grass_64x64.png' }, body: checkerPng(64, [76, 153, 60], [96, 178, 72]), metadata: { prompt: 'grass tile', tags: ['tile'] } },
  { name: { artifactType: 'texture', filename: 'tile_sand_64x64.png' }, body: checkerPng(64, [222, 200, 140], [240, 220, 160]), metadata: { prompt: 'sand tile', tags: ['tile'] } },
  { name: { artifactType: 'shader', filename: 'effect_water.frag' }, body: waterShader, metadata: { tags: ['effect'] } },
];

await rm(outDir, { recursive: true, force: true });
const signingSecret = 'demo-only-secret-change-me-0123456789';
const server = await startCdnServer({ root, signingSecret });
const store = createAssetStore({ driver: fsDriver({ root, baseUrl: server.url, signingSecret }), cdnBaseUrl: server.url });
const tenant = store.tenant('demo');

say(`Kiln storage demo: embedded fs store in ${root}`);
say(`local CDN server on ${server.url}\n`);

for (const runId of ['run-1', 'run-2']) {
  say(runId === 'run-1' ? '1. upload the sample assets (run-1)' : '2. upload the same assets again (run-2): content already stored, so no bytes are sent');
  const rows = [['key', 'content type', 'size', 'sha256', 'dedup', 'sent']];
  for (const asset of assets) {
    const record = await tenant.put({ runId, ...asset.name }, asset.body);
    rows.push([record.key, record.contentType, kb(record.bytes), `${record.sha256.slice(0, 12)}…`, record.deduplicated ? 'hit' : 'new', kb(record.uploadedBytes)]);
  }
  table(rows);
  say();
}

say('3. write the manifest of run-1');
const written = await tenant.writeManifest({
  runId: 'run-1',
  assets: assets.map((asset) => ({ name: { runId: 'run-1', ...asset.name }, metadata: asset.metadata })),
});
say(`  ${written.url}`);
const manifest = parseManifest(await (await fetch(written.url)).text());
say(`  ${manifest.assets.length} assets, version ${manifest.manifestVersion}\n`);

say('4. load through the CDN, as a game would');
const archer = resolveAsset(manifest, 'unit_archer_blue', {});
const response = await fetch(archer.url, { headers: { origin: 'http://localhost:5173' } });
say(`  GET ${archer.url}`);
for (const header of ['content-type', 'cache-control', 'etag', 'access-control-allow-origin', 'cross-origin-resource-policy']) {
  say(`    ${header}: ${response.headers.get(header)}`);
}
await response.arrayBuffer();
const presigned = await tenant.presign({ runId: 'run-1', artifactType: 'model_3d', filename: 'unit_archer_blue.glb' }, { expiresIn: 300 });
say(`  presigned (5 min): ${presigned}\n`);

const usage = await tenant.usage({ getRequests: 100_000, transferOutBytes: 1024 ** 3 });
say('5. usage of tenant "demo"');
table([
  ['artifacts', 'logical', 'stored', 'saved by dedup', 'est. monthly cost'],
  [String(usage.logical.objects), kb(usage.logical.bytes), kb(usage.stored.bytes), kb(usage.dedupSavedBytes), `$${usage.monthlyCost.total.toFixed(4)}`],
]);
say(`\nmanifest: ${join(root, written.key)}`);

if (args.includes('--serve')) {
  say(`\nserving ${root} on ${server.url} (Ctrl-C to stop)`);
  process.on('SIGINT', () => server.close().then(() => process.exit(0)));
} else {
  await server.close();
}
