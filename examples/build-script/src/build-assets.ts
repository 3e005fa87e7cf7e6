// A build script a game repository runs in CI:
//
//   1. `kiln optimize` every .glb/.gltf at the top level of --in into --out (a preset, LODs);
//   2. if any model fails, stop: exit 1, print kiln's message, upload nothing;
//   3. sync --out to S3 with @kiln/storage (content-hash dedup: unchanged files are skipped,
//      identical bytes are stored once per tenant);
//   4. write the run's manifest (assets with their LOD variants) for @kiln/three and Unity.
//
// Usage: tsx src/build-assets.ts --in assets --out dist/models --bucket game-assets [options]
// Exit codes: 0 ok, 1 a model or the upload failed, 2 bad usage. See README.md.
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createAssetStore, isKilnError, RunIdSchema, TenantIdSchema, type ManifestAssetInput, type SyncReport, type TenantStore } from '@kiln/storage';
import { createS3Client, s3Driver } from '@kiln/storage/s3';

const NAME = 'build-assets';
const EXIT = { ok: 0, failure: 1, usage: 2 } as const;
/** Marks --out as this script's build folder, so a second run may replace its GLBs. Dot files are not synced. */
const MARKER = '.kiln-build-assets';
const MODEL = /\.(glb|gltf)$/i;

const HELP = `Usage: tsx src/build-assets.ts [options]

Optimises every .glb/.gltf at the top level of --in with \`kiln optimize\`, syncs the results to S3
(unchanged files are skipped, identical bytes stored once) and writes the run's manifest.

Options (flags win over environment variables):
  --in <dir>         Folder of source models (KILN_IN, default ./assets)
  --out <dir>        Build folder for the optimised GLBs (KILN_OUT, default ./dist/models)
  --bucket <name>    S3 bucket (KILN_BUCKET, required)
  --endpoint <url>   S3-compatible endpoint: RGW, MinIO, R2 (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL; unset for AWS)
  --region <name>    (AWS_REGION, default us-east-1)
  --tenant <id>      Tenant: the key prefix in the bucket (KILN_TENANT, default game)
  --run <id>         Run id the models are stored under (KILN_RUN, default main)
  --preset <name>    kiln optimize preset: mobile | pc | console | web (KILN_PRESET, default web)
  --lods <ratios>    LOD ratios (KILN_LODS, default 0.5,0.25)
  --cdn <url>        CDN base URL in front of the bucket, for the manifest (KILN_CDN_URL; without it: presigned URLs)
  --json             Print the report as JSON on stdout
  -h, --help         This help

Credentials: the AWS SDK's default chain (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
AWS_PROFILE, an instance or CI role).
Exit codes: 0 ok, 1 a model or the upload failed (nothing is uploaded when a model fails), 2 bad usage.`;

/** Resolved options. */
export interface BuildOptions {
  in: string;
  out: string;
  bucket: string;
  endpoint: string | undefined;
  region: string;
  tenant: string;
  run: string;
  preset: string;
  lods: string;
  cdn: string | undefined;
  json: boolean;
}

/** What the script reports (`--json`). */
export interface BuildReport {
  models: { input: string; id: string; file: string; triangles: number; lods: { file: string; triangles: number }[] }[];
  sync: SyncReport;
  manifest: { key: string; url: string };
}

class UsageError extends Error {}

/** What `kiln optimize --json` prints per input (the fields used here). */
type KilnResult =
  | {
      input: string;
      ok: true;
      output: string;
      lods: { level: number; path: string; triangles: number }[];
      lodDescriptor: { level: number; triangles: number; screenCoverage?: number; switchDistance?: number }[];
      report: { after: { triangles: number } };
    }
  | { input: string; ok: false; error: { code: string; message: string } };

function env(name: string): string | undefined {
  const value = process.env[name]?.trim();
  return value === '' ? undefined : value;
}

function parseOptions(argv: string[]): BuildOptions | null {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        in: { type: 'string' },
        out: { type: 'string' },
        bucket: { type: 'string' },
        endpoint: { type: 'string' },
        region: { type: 'string' },
        tenant: { type: 'string' },
        run: { type: 'string' },
        preset: { type: 'string' },
        lods: { type: 'string' },
        cdn: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0] ?? String(error));
  }
  if (values.help) return null;
  const options: BuildOptions = {
    in: resolve(values.in ?? env('KILN_IN') ?? 'assets'),
    out: resolve(values.out ?? env('KILN_OUT') ?? 'dist/models'),
    bucket: values.bucket ?? env('KILN_BUCKET') ?? '',
    endpoint: values.endpoint ?? env('AWS_ENDPOINT_URL_S3') ?? env('AWS_ENDPOINT_URL'),
    region: values.region ?? env('AWS_REGION') ?? env('AWS_DEFAULT_REGION') ?? 'us-east-1',
    tenant: values.tenant ?? env('KILN_TENANT') ?? 'game',
    run: values.run ?? env('KILN_RUN') ?? 'main',
    preset: values.preset ?? env('KILN_PRESET') ?? 'web',
    lods: values.lods ?? env('KILN_LODS') ?? '0.5,0.25',
    cdn: values.cdn ?? env('KILN_CDN_URL'),
    json: values.json ?? false,
  };
  if (options.bucket === '') throw new UsageError('no bucket: pass --bucket or set KILN_BUCKET');
  if (!TenantIdSchema.safeParse(options.tenant).success) throw new UsageError(`--tenant "${options.tenant}" must be 1-128 of A-Z a-z 0-9 . _ -, starting with a letter or digit`);
  if (!RunIdSchema.safeParse(options.run).success) throw new UsageError(`--run "${options.run}" must be 1-128 of A-Z a-z 0-9 . _ -, starting with a letter or digit`);
  if (options.out === options.in) throw new UsageError('--out must differ from --in');
  return options;
}

/** The top-level models of --in, sorted. */
async function listModels(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read --in ${dir}: ${error.code ?? error.message}`);
  });
  const models = entries.filter((e) => e.isFile() && !e.name.startsWith('.') && MODEL.test(e.name)).map((e) => join(dir, e.name));
  if (models.length === 0) throw new UsageError(`no .glb or .gltf file at the top level of ${dir}`);
  return models.sort();
}

/** Empties --out of the GLBs of a previous build; refuses a non-empty folder it did not create. */
async function prepareOut(dir: string): Promise<void> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  if (entries.length > 0 && !entries.includes(MARKER)) {
    throw new UsageError(`--out ${dir} is not empty and was not made by this script; give an empty or new folder`);
  }
  await Promise.all(entries.filter((name) => name.endsWith('.glb')).map((name) => rm(join(dir, name), { force: true })));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, MARKER), 'Build folder of build-assets.ts: its .glb files are replaced on every run.\n');
}

/** Runs the `kiln` binary of @kiln/cli, as `npx kiln` would, and collects its output. */
async function kiln(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const require = createRequire(import.meta.url);
  const packageJson = require.resolve('@kiln/cli/package.json');
  const { bin } = JSON.parse(await readFile(packageJson, 'utf8')) as { bin: { kiln: string } };
  const child = spawn(process.execPath, [join(dirname(packageJson), bin.kiln), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number>((done, fail) => {
    child.on('error', fail);
    child.on('close', (exit) => done(exit ?? EXIT.failure));
  });
  return { code, stdout, stderr };
}

async function build(o: BuildOptions): Promise<BuildReport> {
  const models = await listModels(o.in);
  const client = createS3Client({ region: o.region, ...(o.endpoint ? { endpoint: o.endpoint } : {}) });
  try {
    const store = createAssetStore({ driver: s3Driver({ client, bucket: o.bucket }), ...(o.cdn ? { cdnBaseUrl: o.cdn } : {}) });
    const tenant = store.tenant(o.tenant);
    // Fail fast, before minutes of optimising: the bucket exists and these credentials may list it.
    for await (const _ of tenant.list({ runId: o.run })) break;
    await prepareOut(o.out);
    return await optimizeAndSync(o, models, tenant);
  } finally {
    client.destroy();
  }
}

async function optimizeAndSync(o: BuildOptions, models: string[], tenant: TenantStore): Promise<BuildReport> {
  // 1. Optimise. kiln writes each model all-or-nothing; on any failure nothing is uploaded.
  const run = await kiln(['optimize', ...models, '-o', o.out, '--preset', o.preset, '--lods', o.lods, '--json', '--quiet']);
  if (run.code !== 0) {
    const lines = run.stderr.split('\n').filter((line) => line.startsWith('kiln optimize:'));
    const message = lines.length > 0 ? lines.join('\n') : run.stderr.trim();
    if (run.code === EXIT.usage) throw new UsageError(`kiln optimize refused its arguments:\n${message}`);
    const failed = lines.length || 'a';
    throw new Error(`${failed} of ${models.length} model(s) failed to optimise; nothing was uploaded\n${message}`);
  }
  const results = JSON.parse(run.stdout) as KilnResult[];

  // 2. Sync the build folder: a file whose SHA-256 equals the stored one is skipped.
  const sync = await tenant.sync({ dir: o.out, runId: o.run });

  // 3. The manifest: one asset per model, its distinct LOD levels as variants.
  const name = (path: string) => ({ runId: o.run, artifactType: 'model_3d' as const, filename: basename(path) });
  const report: BuildReport['models'] = [];
  const assets: ManifestAssetInput[] = [];
  for (const result of results) {
    if (!result.ok) throw new Error(`kiln optimize: ${result.input}: ${result.error.message} [${result.error.code}]`);
    const id = basename(result.output, extname(result.output));
    const lods = result.lodDescriptor.map((entry) => {
      const file = result.lods.find((lod) => lod.level === entry.level)?.path;
      if (!file) throw new Error(`kiln optimize: ${result.input}: no file for LOD ${entry.level}`);
      return { name: name(file), triangles: entry.triangles, ...pick(entry) };
    });
    assets.push({ name: name(result.output), id, triangles: result.report.after.triangles, ...(lods.length > 0 ? { lods } : {}) });
    report.push({ input: result.input, id, file: basename(result.output), triangles: result.report.after.triangles, lods: lods.map((l) => ({ file: l.name.filename, triangles: l.triangles })) });
  }
  const manifest = await tenant.writeManifest({ runId: o.run, assets });
  return { models: report, sync, manifest: { key: manifest.key, url: manifest.url } };
}

function pick(entry: { screenCoverage?: number; switchDistance?: number }): { screenCoverage?: number; switchDistance?: number } {
  return {
    ...(entry.screenCoverage === undefined ? {} : { screenCoverage: entry.screenCoverage }),
    ...(entry.switchDistance === undefined ? {} : { switchDistance: entry.switchDistance }),
  };
}

function summary(report: BuildReport): string {
  const lines = report.models.map((m) => `  ${m.input} → ${m.file} (${m.triangles} triangles${m.lods.length ? `, LODs ${m.lods.map((l) => l.triangles).join(' / ')}` : ''})`);
  const { sync } = report;
  return [
    `${NAME}: ${report.models.length} model(s) optimised`,
    ...lines,
    `${NAME}: ${sync.uploaded.length} file(s) uploaded (${sync.uploadedBytes} bytes sent), ${sync.skipped.length} unchanged`,
    `${NAME}: manifest ${report.manifest.key}`,
    `  ${report.manifest.url}`,
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  let options: BuildOptions | null;
  try {
    options = parseOptions(argv);
    if (options === null) {
      process.stdout.write(`${HELP}\n`);
      return EXIT.ok;
    }
    const report = await build(options);
    process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${summary(report)}\n`);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${NAME}: ${error.message}\n(--help for usage)\n`);
      return EXIT.usage;
    }
    const code = isKilnError(error) ? ` [${error.code}]` : '';
    process.stderr.write(`${NAME}: ${error instanceof Error ? error.message : String(error)}${code}\n`);
    return EXIT.failure;
  }
}

// `npm run x -- --flag` and `pnpm x -- --flag` both work: a leading `--` is dropped.
const argv = process.argv.slice(2);
process.exitCode = await main(argv[0] === '--' ? argv.slice(1) : argv);
