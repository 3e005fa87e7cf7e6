// Generates a small batch of backgrounds on a ComfyUI server through @kiln/core: the rows of a CSV
// become asset requests, each runs the API-format workflow in ../workflow_api.json with its
// prompt, negative prompt, seed, size and sampler steps injected, the images are stored with
// @kiln/storage and their URLs printed.
//
// Usage: COMFYUI_URL=http://127.0.0.1:8188 tsx src/generate.ts [--csv prompts.csv] [options]
// See README.md.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  comfyUIBackend,
  createJobClient,
  isKilnError,
  openJsonlStore,
  parseCsvBatch,
  storageSink,
  type ComfyWorkflow,
  type PipelineDefinition,
} from '@kiln/core';
import { createAssetStore, fsDriver } from '@kiln/storage';
import { startCdnServer, type CdnServer } from '@kiln/storage/serve';
import { INJECT } from './inject.js';

const NAME = 'comfyui-example';
const here = fileURLToPath(new URL('..', import.meta.url));


const HELP = `Usage: COMFYUI_URL=http://127.0.0.1:8188 tsx src/generate.ts [options]

Options:
  --csv <file>       Batch of prompts (default prompts.csv): name, core_concept, details, seed columns
  --url <url>        ComfyUI server (COMFYUI_URL, default http://127.0.0.1:8188)
  --workflow <file>  Workflow in API format (default workflow_api.json)
  --size <WxH>       Image size (default 1024x1024)
  --steps <n>        Sampler steps (default 25)
  --data <dir>       Job journal and stored images (KILN_DATA, default .kiln-comfyui)
  --cdn <url>        Base URL the stored images are served from (KILN_CDN_URL; default: a local CDN server)
  --serve            Keep the local CDN server running after the batch (Ctrl-C stops it)
  -h, --help         This help

COMFYUI_TOKEN, when set, is sent as "Authorization: Bearer …" (a proxy in front of ComfyUI).`;

/** An environment variable; empty counts as unset. */
function env(name: string): string | undefined {
  const value = process.env[name]?.trim();
  return value === '' ? undefined : value;
}

function fail(message: string): never {
  throw new UsageError(message);
}
class UsageError extends Error {}

/** The resolved command line. */
export type GenerateOptions = ReturnType<typeof options>;

function options(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      csv: { type: 'string' },
      url: { type: 'string' },
      workflow: { type: 'string' },
      size: { type: 'string' },
      steps: { type: 'string' },
      data: { type: 'string' },
      cdn: { type: 'string' },
      serve: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const size = /^(\d+)x(\d+)$/.exec(values.size ?? '1024x1024') ?? fail(`--size must be WIDTHxHEIGHT, such as 1024x1024, got "${values.size}"`);
  const steps = Number(values.steps ?? 25);
  if (!Number.isInteger(steps) || steps < 1) fail(`--steps must be a positive integer, got "${values.steps}"`);
  return {
    help: values.help ?? false,
    csv: resolve(values.csv ?? join(here, 'prompts.csv')),
    url: values.url ?? env('COMFYUI_URL') ?? 'http://127.0.0.1:8188',
    workflow: resolve(values.workflow ?? join(here, 'workflow_api.json')),
    width: Number(size[1]),
    height: Number(size[2]),
    steps,
    data: resolve(values.data ?? env('KILN_DATA') ?? '.kiln-comfyui'),
    cdn: values.cdn ?? env('KILN_CDN_URL'),
    serve: values.serve ?? false,
  };
}

async function main(argv: string[]): Promise<number> {
  const o = options(argv);
  if (o.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const workflow = JSON.parse(await readFile(o.workflow, 'utf8')) as ComfyWorkflow;
  const token = env('COMFYUI_TOKEN');

  // The backend checks the workflow and the injection map here, before anything is queued.
  const comfy = comfyUIBackend({
    name: 'comfyui',
    baseUrl: o.url,
    workflow,
    inject: INJECT,
    outputNode: 'Save Image',
    ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
  });
  // One step on ComfyUI. Its params are merged over the run's (prompt, negativePrompt, width,
  // height); the seed comes from the request. `rate: false`: Kiln would otherwise rate each
  // image by size and regenerate Poor ones (< 128 px) with a new seed.
  const pipeline: PipelineDefinition = {
    name: 'comfyui-txt2img',
    steps: [{ name: 'text_to_image', backend: 'comfyui', params: { width: o.width, height: o.height, steps: o.steps, cfg: 7, filenamePrefix: 'kiln' }, rate: false }],
  };

  const assetsDir = join(o.data, 'assets');
  const store = await openJsonlStore({ dir: join(o.data, 'jobs') });
  let cdn: CdnServer | undefined;
  try {
    if (!o.cdn) cdn = await startCdnServer({ root: assetsDir });
  } catch (error) {
    await store.close();
    throw error;
  }
  const assets = createAssetStore({ driver: fsDriver({ root: assetsDir }), cdnBaseUrl: o.cdn ?? (cdn as CdnServer).url });
  const client = createJobClient({
    store,
    backends: { comfyui: comfy },
    artifacts: storageSink({ store: assets }),
    pipelines: { BACKGROUND: pipeline },
    limits: { perBackend: { comfyui: 1 } }, // one prompt at a time per ComfyUI server
  });
  let failed = 0;
  try {
    await client.start();
    const batch = parseCsvBatch({
      csv: await readFile(o.csv),
      template: '{core_concept}, {details}, {style}',
      defaults: { project_id: 'comfyui-demo', asset_type: 'BACKGROUND', style: 'matte painting', platform: 'PC' },
    });
    const { batchId, runIds, created } = await client.submitBatch(batch);
    process.stdout.write(`${NAME}: batch ${batchId}: ${runIds.length} request(s), ${created} new, on ${o.url}\n`);
    await client.waitForBatch(batchId, { timeoutMs: 30 * 60_000 });

    for (const [index, runId] of runIds.entries()) {
      const item = batch.items[index];
      const found = await client.getRun(runId);
      if (!found || found.run.state !== 'completed') {
        failed += 1;
        const error = found?.steps.find((s) => s.error)?.error?.message ?? found?.run.state ?? 'missing';
        process.stdout.write(`  ${item?.request.name}: FAILED: ${error}\n`);
        continue;
      }
      for (const step of found.steps) {
        for (const output of step.outputs ?? []) process.stdout.write(`  ${item?.request.name} (seed ${found.run.seed}): ${output.filename} ${output.url ?? ''}\n`);
      }
      if (found.run.manifest) process.stdout.write(`  ${item?.request.name} manifest: ${found.run.manifest.url}\n`);
    }
    if (cdn && o.serve) {
      process.stdout.write(`${NAME}: serving ${assetsDir} at ${cdn.url} (Ctrl-C stops)\n`);
      await new Promise<void>((done) => process.once('SIGINT', () => done()));
    }
  } finally {
    await client.close();
    await comfy.close?.();
    await store.close();
    await assets.close();
    await cdn?.close();
  }
  return failed > 0 ? 1 : 0;
}

// `npm run x -- --flag` and `pnpm x -- --flag` both work: a leading `--` is dropped.
const argv = process.argv.slice(2);
try {
  process.exitCode = await main(argv[0] === '--' ? argv.slice(1) : argv);
} catch (error) {
  const code = isKilnError(error) ? ` [${error.code}]` : '';
  process.stderr.write(`${NAME}: ${error instanceof Error ? error.message : String(error)}${code}\n`);
  // Bad flags and bad configuration (a UI-format workflow, an injection target that names no node) are usage errors.
  process.exitCode = error instanceof UsageError || (isKilnError(error) && error.code === 'invalid_input') ? 2 : 1;
}
