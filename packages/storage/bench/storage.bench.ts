// pnpm bench:storage [--server rgw|s3rver] [--small]
//
// One run, one server (RGW by default, started here), Kiln beside the peer it builds on:
//   sha256 throughput of Kiln's streaming hash  vs  Node's raw crypto over a Buffer
//   200 × 1 MB uploads, concurrency 8           vs  plain @aws-sdk/lib-storage Upload
//   one 300 MB multipart upload from a file     vs  plain lib-storage Upload (8 MiB parts × 4)
//   peak RSS growth of each, and of a 500 MB upload through Kiln.
// Kiln also hashes, sniffs, deduplicates (HEAD + conditional PUT) and writes a name (ref) per
// artifact; the ratio column shows what that costs. Loopback on 2 vCPUs: client and server share
// the cores, so read the ratios, not the absolute figures.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Upload } from '@aws-sdk/lib-storage';
import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { createAssetStore } from '../src/index.js';
import { createS3Client, s3Driver } from '../src/s3.js';
import { prepareBody } from '../src/source.js';
import { createTestBucket } from '../../../test/servers/bucket.js';
import { startRgw } from '../../../test/servers/rgw.js';
import { startS3rver } from '../../../test/servers/s3rver.js';

const MB = 1024 * 1024;
const args = process.argv.slice(2);
const serverName = args.includes('--server') ? args[args.indexOf('--server') + 1] : 'rgw';
const small = args.includes('--small');
const BIG = (small ? 60 : 300) * MB;
const HUGE = (small ? 100 : 500) * MB;
const SMALL_COUNT = small ? 50 : 200;
const ROUNDS = small ? 1 : 3;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** Samples RSS every 20 ms while `fn` runs; returns its result, seconds and peak RSS growth. */
async function measure<T>(fn: () => Promise<T>): Promise<{ result: T; seconds: number; rssGrowthMb: number }> {
  globalThis.gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const start = performance.now();
  try {
    const result = await fn();
    return { result, seconds: (performance.now() - start) / 1000, rssGrowthMb: (Math.max(peak, process.memoryUsage().rss) - base) / MB };
  } finally {
    clearInterval(timer);
  }
}

async function writeRandomFile(path: string, bytes: number): Promise<void> {
  const out = createWriteStream(path);
  for (let written = 0; written < bytes; written += 8 * MB) {
    const chunk = randomBytes(Math.min(8 * MB, bytes - written));
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

async function emptyPrefix(client: S3Client, bucket: string, prefix: string): Promise<void> {
  for (;;) {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
    if (keys.length === 0) return;
    await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
  }
}

async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

async function main(): Promise<void> {
  process.stdout.write(`starting ${serverName}…\n`);
  const server = serverName === 's3rver' ? await startS3rver() : await startRgw();
  const dir = await mkdtemp(join(tmpdir(), 'kiln-bench-'));
  const rows: string[][] = [];
  const notes: string[] = [];
  try {
    const { target } = server;
    const client = createS3Client({
      endpoint: target.endpoint,
      region: target.region,
      credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
    });
    const bucket = await createTestBucket(client, 'bench');
    const store = createAssetStore({ driver: s3Driver({ client, bucket: bucket.name, conditionalWrites: target.strict }), tmpDir: dir });

    // 1. Hashing.
    const bigPath = join(dir, 'big.bin');
    await writeRandomFile(bigPath, BIG);
    const raw = randomBytes(256 * MB);
    const rawHash = await measure(async () => createHash('sha256').update(raw).digest('hex'));
    const kilnHash = await measure(() => prepareBody({ path: bigPath }, { operation: 'bench', maxBytes: Number.MAX_SAFE_INTEGER, tmpDir: dir }));
    const rawMbps = 256 / rawHash.seconds;
    const kilnMbps = BIG / MB / kilnHash.seconds;
    rows.push(['sha256 (MB/s)', `${kilnMbps.toFixed(0)} (streamed from file)`, `${rawMbps.toFixed(0)} (Buffer in memory)`, (kilnMbps / rawMbps).toFixed(2)]);

    // 2 and 3. Many small uploads, then one big multipart upload. Kiln and the baseline take
    // turns for ROUNDS rounds and each figure is the median, so load that comes and goes on a
    // shared machine hits both alike.
    const tenant = store.tenant('bench');
    const smallBodies = Array.from({ length: SMALL_COUNT }, () => randomBytes(MB));
    const items = smallBodies.map((body, i) => ({ body, i }));
    const runs = { baseSmall: [] as number[], kilnSmall: [] as number[], dedupSmall: [] as number[], baseBig: [] as number[], kilnBig: [] as number[], baseBigRss: [] as number[], kilnBigRss: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      const base = await measure(() =>
        pool(items, 8, ({ body, i }) =>
          new Upload({ client, params: { Bucket: bucket.name, Key: `baseline/small/${i}.bin`, Body: body, ContentType: 'application/octet-stream' } }).done(),
        ),
      );
      const kiln = await measure(() => pool(items, 8, ({ body, i }) => tenant.put({ runId: 'small', artifactType: 'bundle', filename: `${i}.bin` }, body)));
      const dedup = await measure(() => pool(items, 8, ({ body, i }) => tenant.put({ runId: 'again', artifactType: 'bundle', filename: `${i}.bin` }, body)));
      runs.baseSmall.push(base.seconds);
      runs.kilnSmall.push(kiln.seconds);
      runs.dedupSmall.push(dedup.seconds);
      await emptyPrefix(client, bucket.name, 'baseline/');
      await emptyPrefix(client, bucket.name, 'bench/');

      const baseBig = await measure(() =>
        new Upload({
          client,
          params: { Bucket: bucket.name, Key: 'baseline/big.bin', Body: createReadStream(bigPath, { highWaterMark: MB }), ContentLength: BIG },
          partSize: 8 * MB,
          queueSize: 4,
        }).done(),
      );
      await emptyPrefix(client, bucket.name, 'baseline/');
      const kilnBig = await measure(() => tenant.put({ runId: 'big', artifactType: 'bundle', filename: 'big.bin' }, { path: bigPath }));
      await emptyPrefix(client, bucket.name, 'bench/');
      runs.baseBig.push(baseBig.seconds);
      runs.kilnBig.push(kilnBig.seconds);
      runs.baseBigRss.push(baseBig.rssGrowthMb);
      runs.kilnBigRss.push(kilnBig.rssGrowthMb);
    }
    const m = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, median(v)])) as Record<keyof typeof runs, number>;
    rows.push([`${SMALL_COUNT} × 1 MB, conc. 8 (MB/s)`, (SMALL_COUNT / m.kilnSmall).toFixed(1), (SMALL_COUNT / m.baseSmall).toFixed(1), (m.baseSmall / m.kilnSmall).toFixed(2)]);
    rows.push([`  same ${SMALL_COUNT} again: all dedup hits (s)`, m.dedupSmall.toFixed(2), `${m.baseSmall.toFixed(2)} (upload)`, (m.baseSmall / m.dedupSmall).toFixed(2)]);
    const bigMb = BIG / MB;
    rows.push([`${bigMb} MB multipart, 8 MiB × 4 (MB/s)`, (bigMb / m.kilnBig).toFixed(1), (bigMb / m.baseBig).toFixed(1), (m.baseBig / m.kilnBig).toFixed(2)]);
    rows.push([`  peak RSS growth (MB)`, m.kilnBigRss.toFixed(0), m.baseBigRss.toFixed(0), (m.kilnBigRss / Math.max(1, m.baseBigRss)).toFixed(2)]);
    const baseSmall = { seconds: m.baseSmall };
    const kilnSmall = { seconds: m.kilnSmall };
    const baseBig = { seconds: m.baseBig };
    const kilnBig = { seconds: m.kilnBig };

    // 4. Bounded memory at 500 MB.
    await rm(bigPath);
    const hugePath = join(dir, 'huge.bin');
    await writeRandomFile(hugePath, HUGE);
    const kilnHuge = await measure(() => tenant.put({ runId: 'huge', artifactType: 'bundle', filename: 'huge.bin' }, { path: hugePath }));
    await emptyPrefix(client, bucket.name, 'bench/');
    rows.push([`${HUGE / MB} MB via Kiln: MB/s, peak RSS growth`, `${(HUGE / MB / kilnHuge.seconds).toFixed(1)} MB/s, +${kilnHuge.rssGrowthMb.toFixed(0)} MB`, '-', '-']);

    const throughputRatio = Math.min(baseSmall.seconds / kilnSmall.seconds, baseBig.seconds / kilnBig.seconds);
    notes.push(`goal: throughput ≥ 0.9× lib-storage while hashing and deduplicating: ${throughputRatio >= 0.9 ? 'met' : 'NOT met'} (worst ratio ${throughputRatio.toFixed(2)})`);
    notes.push(`goal: RSS growth < 100 MB for a ${HUGE / MB} MB upload: ${kilnHuge.rssGrowthMb < 100 ? 'met' : 'NOT met'} (+${kilnHuge.rssGrowthMb.toFixed(0)} MB)`);
    notes.push(`process peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (includes the 256 MB hashing buffer and ${SMALL_COUNT} MB of small bodies)`);
    await bucket.cleanup();
    client.destroy();
  } finally {
    await rm(dir, { recursive: true, force: true });
    await server.stop();
  }

  const header = ['measurement', 'Kiln', 'peer', 'Kiln / peer'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  process.stdout.write(`\n@kiln/storage benchmark on ${serverName} (${small ? 'small sizes, 1 round' : `full sizes, median of ${ROUNDS} rounds`}), Node ${process.version}\n\n`);
  process.stdout.write(`${line(header)}\n| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |\n${rows.map(line).join('\n')}\n\n${notes.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
