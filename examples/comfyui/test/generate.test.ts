// Runs the example as its README says (a child process, COMFYUI_URL) against the ComfyUI-protocol
// test server of @kiln/core. A real ComfyUI needs Python, PyTorch and a GPU, which CI does not
// have; the test server speaks the same HTTP + WebSocket protocol and validates graphs like
// ComfyUI does (node classes, input types, ranges, combo lists), with stub nodes instead of models.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileInjection, type ComfyWorkflow } from '@kiln/core';
import { startCdnServer, type CdnServer } from '@kiln/storage/serve';
import { startComfyTestServer, type ComfyTestServer } from '../../../packages/core/test/servers/comfyui-server.js';
import { pngOf } from '../../../packages/core/test/servers/files.js';
import { INJECT } from '../src/inject.js';

// Type-checks the script with the tests (it runs at import, so only its types are imported).
export type { GenerateOptions } from '../src/generate.js';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function generate(args: string[], env: Record<string, string>): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/generate.ts', ...args], {
    cwd: exampleDir,
    env: { ...process.env, COMFYUI_TOKEN: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

type Graph = Record<string, { class_type: string; inputs: Record<string, unknown> }>;
/** The graphs the server executed, from its /history (queue item: [number, prompt_id, graph, extra_data, outputs]). */
async function executedGraphs(server: ComfyTestServer): Promise<Graph[]> {
  const history = (await (await fetch(`${server.url}/history`)).json()) as Record<string, { prompt: [number, string, Graph]; status: { status_str: string } }>;
  return Object.values(history).map((entry) => {
    expect(entry.status.status_str).toBe('success');
    return entry.prompt[2];
  });
}

const rows = [
  { name: 'forest', concept: 'misty pine forest at dawn', details: 'god rays, moss', seed: 1001 },
  { name: 'desert', concept: 'red desert canyon', details: 'long shadows, dust', seed: 1002 },
  { name: 'harbor', concept: 'stone harbor at night', details: 'lanterns, wet cobbles', seed: 1003 },
];

let dir: string;
let server: ComfyTestServer;
let cdn: CdnServer;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kiln-comfyui-example-'));
  await mkdir(join(dir, 'data', 'assets'), { recursive: true });
  server = await startComfyTestServer({ models: ['sd_xl_base_1.0.safetensors'] });
  cdn = await startCdnServer({ root: join(dir, 'data', 'assets') });
});
afterAll(async () => {
  await cdn?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('examples/comfyui against the ComfyUI-protocol test server', () => {
  const args = () => ['--data', join(dir, 'data'), '--size', '512x768', '--steps', '12'];
  const env = () => ({ COMFYUI_URL: server.url, KILN_CDN_URL: cdn.url });

  it('queues the workflow once per CSV row with the injected prompt, negative prompt, seed, size and steps', async () => {
    const run = await generate(args(), env());
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/batch \S+: 3 request\(s\), 3 new, on http:\/\/127\.0\.0\.1:\d+/);

    const graphs = await executedGraphs(server);
    expect(graphs).toHaveLength(3);
    const workflow = JSON.parse(await readFile(join(exampleDir, 'workflow_api.json'), 'utf8')) as Graph;
    for (const row of rows) {
      const graph = graphs.find((g) => g['3']?.inputs['seed'] === row.seed);
      expect(graph, `a prompt with seed ${row.seed}`).toBeDefined();
      const g = graph as Graph;
      expect(g['6']?.inputs['text']).toBe(`${row.concept}, ${row.details}, matte painting`);
      expect(g['7']?.inputs['text']).toEqual(expect.stringContaining('watermark'));
      expect(g['7']?.inputs['text']).toEqual(expect.stringContaining('people')); // BACKGROUND's own negative terms
      expect(g['3']?.inputs).toMatchObject({ steps: 12, cfg: 7, sampler_name: 'dpmpp_2m', scheduler: 'karras' });
      expect(g['5']?.inputs).toMatchObject({ width: 512, height: 768, batch_size: 1 });
      expect(g['9']?.inputs['filename_prefix']).toBe('kiln');
      // Everything not injected is the exported workflow as it was.
      expect(g['4']).toEqual(workflow['4']);
      expect(g['8']).toEqual(workflow['8']);
      expect(g['6']?.inputs['clip']).toEqual(['4', 1]);
    }
  });

  it('stores every image and prints URLs that serve the generated bytes', async () => {
    // Kept from the run above: the output is in stdout and the store.
    const run = await generate(args(), env());
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    // The same CSV again: the job journal recognises every request, nothing is queued twice.
    expect(run.stdout).toMatch(/3 request\(s\), 0 new/);
    expect(await executedGraphs(server)).toHaveLength(3);

    for (const row of rows) {
      const line = run.stdout.split('\n').find((l) => l.includes(`${row.name} (seed ${row.seed}):`));
      expect(line, `a line for ${row.name}`).toBeDefined();
      const url = /(http:\/\/\S+)$/.exec(line as string)?.[1] as string;
      expect(url.startsWith(`${cdn.url}/comfyui-demo/_blobs/`)).toBe(true);
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/png');
      // The test server paints each image in a colour derived from the KSampler seed.
      expect(sha256(new Uint8Array(await response.arrayBuffer()))).toBe(sha256(pngOf(row.seed)));
    }
    const manifests = run.stdout.split('\n').filter((l) => l.includes(' manifest: '));
    expect(manifests).toHaveLength(3);
  });

  it('refuses a workflow saved in UI format before queueing anything, with the fix in the message', async () => {
    const ui = join(dir, 'workflow-ui.json');
    await writeFile(ui, JSON.stringify({ last_node_id: 9, nodes: [], links: [], version: 0.4 }));
    const before = (await executedGraphs(server)).length;
    const run = await generate([...args(), '--workflow', ui, '--data', join(dir, 'other')], env());
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('workflow is in UI format');
    expect(run.stderr).toContain('Export (API)');
    expect(await executedGraphs(server)).toHaveLength(before);
  });

  it('works the same against an older ComfyUI that mints its own prompt ids (mid-2024 protocol)', async () => {
    const legacy = await startComfyTestServer({ version: 'legacy', models: ['sd_xl_base_1.0.safetensors'] });
    try {
      // No --cdn: the script serves the stored images itself while it runs, and stops its server.
      const run = await generate(['--data', join(dir, 'legacy-data')], { COMFYUI_URL: legacy.url, KILN_CDN_URL: '' });
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      const graphs = await executedGraphs(legacy);
      expect(graphs.map((g) => g['3']?.inputs['seed']).sort()).toEqual(rows.map((r) => r.seed));
      expect(graphs.every((g) => g['5']?.inputs['width'] === 1024 && g['3']?.inputs['steps'] === 25)).toBe(true); // the defaults
    } finally {
      await legacy.close();
    }
  });

  it('exports an injection map whose every target exists in workflow_api.json', async () => {
    const workflow = JSON.parse(await readFile(join(exampleDir, 'workflow_api.json'), 'utf8')) as ComfyWorkflow;
    const compiled = compileInjection('comfyui', workflow, INJECT);
    expect(Object.fromEntries(compiled.map((c) => [c.key, c.targets.map((t) => `${t.nodeId}.${t.input}`)]))).toEqual({
      prompt: ['6.text'],
      negativePrompt: ['7.text'],
      seed: ['3.seed'],
      steps: ['3.steps'],
      cfg: ['3.cfg'],
      width: ['5.width'],
      height: ['5.height'],
      filenamePrefix: ['9.filename_prefix'],
    });
  });
});
