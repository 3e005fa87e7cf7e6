// A ComfyUI-protocol test server (node:http + ws).
//
// It STANDS IN for a real ComfyUI, which needs Python, PyTorch and a GPU and cannot run in this
// workspace's CI. It speaks the protocol as ComfyUI's own source defines it (server.py,
// execution.py, main.py, comfy_execution/jobs.py; summarized in shared/notes/jobs-and-backends.md
// §1), with a handful of stub node classes instead of models:
//
// - POST /prompt: API-format graph, `client_id`, `prompt_id` (newest: must be a canonical
//   lower-case UUID, 400 `invalid_prompt_id` otherwise, 409 "prompt_id already exists" on a
//   duplicate; legacy: ignored, the server mints a uuid4), validation with the real error types
//   (`prompt_outputs_failed_validation`, `prompt_no_outputs`, `missing_node_type`, `no_prompt`,
//   node errors `required_input_missing`, `bad_linked_input`, `return_type_mismatch`,
//   `invalid_input_type`, `value_smaller_than_min`, `value_bigger_than_max`, `value_not_in_list`);
// - queue and history in RAM, lost by restart(); files "on disk" survive it;
// - per-prompt WebSocket events only to the submitter's `client_id` socket, nothing replayed on
//   reconnect; `execution_success` (newest only) sent BEFORE the history is written and
//   `executing {node: null}` after it; a fully cached prompt sends no per-node events (newest
//   re-sends `executed` for cached outputs, legacy does not);
// - GET /history[/{id}], /queue, /prompt, /view, /object_info[/{class}], /system_stats,
//   /api/jobs/{id} (newest only); POST /queue {delete|clear}, /interrupt {prompt_id}, /history,
//   /upload/image (same name + same bytes = deduplicated, other bytes = "name (1).ext"),
//   /api/jobs/{id}/cancel (newest only); every route also under /api; other paths 404 text.
//
// Test controls: pause()/resume() the worker, holdHistory() (widen the success-before-history
// race), dropSockets(), refuseSockets(n) (403 on upgrade), restart(), failNext(), failNode().
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { glbOf, pngOf } from './files.js';

export interface ComfyTestServerOptions {
  /** `newest` (Comfy-Org server.py 5e14d797) or `legacy` (mid-2024: server-minted ids, no execution_success, no /api/jobs). */
  version?: 'newest' | 'legacy';
  /** A build (or proxy) that refuses every client `prompt_id` with 400 `invalid_prompt_id`. */
  rejectClientPromptIds?: boolean;
  /** Checkpoint files the server "has". Default `['sd_xl_base_1.0.safetensors']`. */
  models?: string[];
  /** Answer WebSocket pings (a stalled proxy does not). Default true. */
  autoPong?: boolean;
  /** Work per node (and per sampler step). Default 2 ms. */
  stepDelayMs?: number;
  port?: number;
}

type Json = Record<string, unknown>;
type QueueItem = [number, string, Json, Json, string[]];
interface HistoryEntry {
  prompt: QueueItem;
  outputs: Record<string, Json>;
  status: { status_str: 'success' | 'error'; completed: boolean; messages: [string, Json][] };
  meta: Record<string, Json>;
}

interface InputSpec {
  type: string;
  min?: number;
  max?: number;
  list?: () => string[];
}
interface NodeClass {
  inputs: Record<string, InputSpec>;
  outputs: string[];
  outputNode?: boolean;
}

const SAMPLERS = ['euler', 'euler_ancestral', 'dpmpp_2m'];
const SCHEDULERS = ['normal', 'karras'];

/** Sent events, for tests: type, prompt id, and whether a socket got it. */
export interface SentEvent {
  type: string;
  promptId: string | undefined;
  delivered: boolean;
}

export interface ComfyTestServer {
  readonly url: string;
  readonly port: number;
  readonly requests: { method: string; path: string }[];
  readonly sent: SentEvent[];
  /** Times each prompt id started executing (cached runs included). */
  readonly executions: Map<string, number>;
  /** Number of WebSocket upgrades accepted. */
  readonly connections: number;
  /** Number of WebSocket upgrade requests, refused ones included. */
  readonly upgrades: number;
  /** Resolves when the server sends (or drops) an event of `type` for `promptId`. */
  waitForEvent(type: string, promptId?: string): Promise<SentEvent>;
  /** The running prompt stops at its next node or step (after execution_start) until resume(). */
  pause(): void;
  resume(): void;
  /** History writes wait until the returned function is called. */
  holdHistory(): () => void;
  dropSockets(): void;
  /** Sockets stay open but nothing reaches them (a stalled connection). */
  muteSockets(muted: boolean): void;
  refuseSockets(count: number): void;
  /** The next `count` requests to `path` answer `status`. */
  failNext(path: string, status: number, count?: number): void;
  /** Nodes of this class raise an exception when they run, until the returned function is called. */
  failNode(classType: string, exceptionType: string, message: string): () => void;
  /** Loses everything in RAM (queue, history, cache, sockets); the port is down while `whileDown` runs. */
  restart(whileDown?: () => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

export async function startComfyTestServer(options: ComfyTestServerOptions = {}): Promise<ComfyTestServer> {
  const newest = (options.version ?? 'newest') === 'newest';
  const models = options.models ?? ['sd_xl_base_1.0.safetensors'];
  const stepDelayMs = options.stepDelayMs ?? 2;
  const files = new Map<string, { data: Uint8Array; contentType: string }>();
  const inputs = (): string[] =>
    [...files.keys()].filter((key) => key.startsWith('input/')).map((key) => key.slice('input/'.length).replace(/^\//, ''));

  const NODE_CLASSES: Record<string, NodeClass> = {
    CheckpointLoaderSimple: { inputs: { ckpt_name: { type: 'COMBO', list: () => models } }, outputs: ['MODEL', 'CLIP', 'VAE'] },
    CLIPTextEncode: { inputs: { text: { type: 'STRING' }, clip: { type: 'CLIP' } }, outputs: ['CONDITIONING'] },
    EmptyLatentImage: {
      inputs: {
        width: { type: 'INT', min: 16, max: 16384 },
        height: { type: 'INT', min: 16, max: 16384 },
        batch_size: { type: 'INT', min: 1, max: 4096 },
      },
      outputs: ['LATENT'],
    },
    KSampler: {
      inputs: {
        model: { type: 'MODEL' },
        seed: { type: 'INT', min: 0, max: 0xffffffffffffffff },
        steps: { type: 'INT', min: 1, max: 10000 },
        cfg: { type: 'FLOAT', min: 0, max: 100 },
        sampler_name: { type: 'COMBO', list: () => SAMPLERS },
        scheduler: { type: 'COMBO', list: () => SCHEDULERS },
        positive: { type: 'CONDITIONING' },
        negative: { type: 'CONDITIONING' },
        latent_image: { type: 'LATENT' },
        denoise: { type: 'FLOAT', min: 0, max: 1 },
      },
      outputs: ['LATENT'],
    },
    VAEDecode: { inputs: { samples: { type: 'LATENT' }, vae: { type: 'VAE' } }, outputs: ['IMAGE'] },
    LoadImage: { inputs: { image: { type: 'COMBO', list: inputs } }, outputs: ['IMAGE', 'MASK'] },
    SaveImage: { inputs: { images: { type: 'IMAGE' }, filename_prefix: { type: 'STRING' } }, outputs: [], outputNode: true },
    PreviewImage: { inputs: { images: { type: 'IMAGE' } }, outputs: [], outputNode: true },
    SaveGLB: { inputs: { images: { type: 'IMAGE' }, filename_prefix: { type: 'STRING' } }, outputs: [], outputNode: true },
  };

  let queue: QueueItem[] = [];
  let running: QueueItem | undefined;
  let currentNode: string | undefined;
  let history = new Map<string, HistoryEntry>();
  let cache = new Map<string, Json | null>();
  let number = 0;
  let fileCounter = 0;
  let interruptFlag = false;
  let epoch = 0;
  let paused = false;
  let pauseGate: { promise: Promise<void>; release: () => void } | undefined;
  let historyGate: { promise: Promise<void>; release: () => void } | undefined;
  let refuse = 0;
  let muted = false;
  let connections = 0;
  let upgrades = 0;
  let wake: (() => void) | undefined;
  let closed = false;
  const failures = new Map<string, { status: number; count: number }>();
  const nodeFailures = new Map<string, { exceptionType: string; message: string }>();
  const requests: { method: string; path: string }[] = [];
  const sent: SentEvent[] = [];
  const executions = new Map<string, number>();
  const events = new EventEmitter();
  const sockets = new Map<string, WebSocket>();

  function gate(): { promise: Promise<void>; release: () => void } {
    let release!: () => void;
    const promise = new Promise<void>((resolve) => (release = resolve));
    return { promise, release };
  }

  // ------------------------------------------------------------------ WebSocket

  const wss = new WebSocketServer({ noServer: true, autoPong: options.autoPong ?? true });
  function sendJson(type: string, data: Json, sid: string | undefined): void {
    const message = JSON.stringify({ type, data });
    let delivered = false;
    if (muted) {
      // stalled: nothing is delivered
    } else if (sid === undefined) {
      for (const ws of sockets.values()) {
        ws.send(message);
        delivered = true;
      }
    } else {
      const ws = sockets.get(sid);
      if (ws && ws.readyState === ws.OPEN) {
        ws.send(message);
        delivered = true;
      }
    }
    record({ type, promptId: typeof data['prompt_id'] === 'string' ? data['prompt_id'] : undefined, delivered });
  }
  function record(event: SentEvent): void {
    sent.push(event);
    events.emit('sent', event);
  }
  function queueInfo(): Json {
    return { exec_info: { queue_remaining: queue.length + (running ? 1 : 0) } };
  }
  function broadcastStatus(): void {
    sendJson('status', { status: queueInfo() }, undefined);
  }

  // ------------------------------------------------------------------ validation

  const isLink = (value: unknown): value is [string, number] =>
    Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'number';

  function nodeError(type: string, message: string, details: string, extra: Json = {}): Json {
    return { type, message, details, extra_info: extra };
  }

  function validateNode(prompt: Json, id: string, validated: Map<string, Json[]>): Json[] {
    const existing = validated.get(id);
    if (existing) return existing;
    validated.set(id, []);
    const node = prompt[id] as { class_type: string; inputs?: Json };
    const cls = NODE_CLASSES[node.class_type] as NodeClass;
    const errors: Json[] = [];
    const nodeInputs = node.inputs ?? {};
    for (const [name, spec] of Object.entries(cls.inputs)) {
      const value = nodeInputs[name];
      const config = [spec.type, {}];
      if (value === undefined) {
        errors.push(nodeError('required_input_missing', 'Required input is missing', name, { input_name: name }));
        continue;
      }
      if (isLink(value)) {
        const [from, index] = value;
        const source = prompt[from] as { class_type?: string } | undefined;
        if (!source || typeof source.class_type !== 'string' || !NODE_CLASSES[source.class_type]) {
          errors.push(nodeError('bad_linked_input', 'Bad linked input, must be a length-2 list of [string, int]', `${name}, ${JSON.stringify(value)}`, { input_name: name, input_config: config, received_value: value }));
          continue;
        }
        const type = (NODE_CLASSES[source.class_type] as NodeClass).outputs[index];
        if (type !== spec.type) {
          errors.push(nodeError('return_type_mismatch', 'Return type mismatch between linked nodes', `${name}, received_type(${type}) mismatch input_type(${spec.type})`, { input_name: name, input_config: config, received_type: type, linked_node: value }));
          continue;
        }
        continue;
      }
      if (spec.type === 'INT' || spec.type === 'FLOAT') {
        const n = Number(value);
        if (typeof value === 'boolean' || !Number.isFinite(n) || (spec.type === 'INT' && !Number.isInteger(n))) {
          errors.push(nodeError('invalid_input_type', `Failed to convert an input value to a ${spec.type} value`, `${name}, ${String(value)}`, { input_name: name, input_config: config, received_value: value }));
        } else if (spec.min !== undefined && n < spec.min) {
          errors.push(nodeError('value_smaller_than_min', `Value ${n} smaller than min of ${spec.min}`, name, { input_name: name, input_config: config, received_value: value }));
        } else if (spec.max !== undefined && n > spec.max) {
          errors.push(nodeError('value_bigger_than_max', `Value ${n} bigger than max of ${spec.max}`, name, { input_name: name, input_config: config, received_value: value }));
        }
      } else if (spec.type === 'COMBO') {
        const list = spec.list?.() ?? [];
        if (!list.includes(String(value))) {
          errors.push(nodeError('value_not_in_list', 'Value not in list', `${name}: '${String(value)}' not in ${JSON.stringify(list)}`, { input_name: name, input_config: [list, {}], received_value: value }));
        }
      } else if (spec.type === 'STRING' && typeof value !== 'string') {
        errors.push(nodeError('invalid_input_type', 'Failed to convert an input value to a STRING value', `${name}, ${String(value)}`, { input_name: name, input_config: config, received_value: value }));
      }
    }
    validated.set(id, errors);
    return errors;
  }

  function upstreamIds(prompt: Json, id: string, seen = new Set<string>()): Set<string> {
    if (seen.has(id)) return seen;
    seen.add(id);
    const node = prompt[id] as { inputs?: Json } | undefined;
    for (const value of Object.values(node?.inputs ?? {})) if (isLink(value) && prompt[value[0]]) upstreamIds(prompt, value[0], seen);
    return seen;
  }

  /** ComfyUI's validate_prompt: [ok, error, good outputs, node_errors]. */
  function validatePrompt(prompt: Json): [boolean, Json | undefined, string[], Json] {
    const outputs: string[] = [];
    for (const [id, raw] of Object.entries(prompt)) {
      const node = raw as { class_type?: unknown; _meta?: { title?: string } };
      if (typeof node.class_type !== 'string') {
        return [false, nodeError('missing_node_type', `Node '${node._meta?.title ?? `ID #${id}`}' has no class_type. The workflow may be corrupted or a custom node is missing.`, `Node ID '#${id}'`, { node_id: id, class_type: null }), [], {}];
      }
      const cls = NODE_CLASSES[node.class_type];
      if (!cls) {
        return [false, nodeError('missing_node_type', `Node '${node._meta?.title ?? node.class_type}' not found. The custom node may not be installed.`, `Node ID '#${id}'`, { node_id: id, class_type: node.class_type }), [], {}];
      }
      if (cls.outputNode) outputs.push(id);
    }
    if (outputs.length === 0) return [false, nodeError('prompt_no_outputs', 'Prompt has no outputs', ''), [], {}];
    const validated = new Map<string, Json[]>();
    const good: string[] = [];
    const nodeErrors: Json = {};
    const lines: string[] = [];
    for (const output of outputs) {
      const bad = [...upstreamIds(prompt, output)].filter((id) => validateNode(prompt, id, validated).length > 0);
      if (bad.length === 0) {
        good.push(output);
        continue;
      }
      for (const id of bad) {
        const errors = validated.get(id) ?? [];
        for (const e of errors) lines.push(`${String(e['message'])}: ${String(e['details'])}`);
        const entry = (nodeErrors[id] ??= { errors, dependent_outputs: [], class_type: (prompt[id] as { class_type: string }).class_type }) as Json;
        (entry['dependent_outputs'] as string[]).push(output);
      }
    }
    if (good.length === 0) {
      return [false, nodeError('prompt_outputs_failed_validation', 'Prompt outputs failed validation', lines.join('\n')), [], nodeErrors];
    }
    return [true, undefined, good, nodeErrors];
  }

  // ------------------------------------------------------------------ execution

  class Interrupted extends Error {}
  class Stopped extends Error {}

  async function checkpoint(myEpoch: number): Promise<void> {
    while (paused && pauseGate && myEpoch === epoch) await pauseGate.promise;
    if (myEpoch !== epoch || closed) throw new Stopped();
    if (interruptFlag) {
      interruptFlag = false;
      throw new Interrupted();
    }
  }

  function signature(prompt: Json, id: string, memo = new Map<string, string>()): string {
    const known = memo.get(id);
    if (known) return known;
    const node = prompt[id] as { class_type: string; inputs: Json };
    const parts = Object.entries(node.inputs)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, value]) => `${key}=${isLink(value) ? `<${signature(prompt, value[0], memo)}:${value[1]}>` : JSON.stringify(value)}`);
    const sig = `${node.class_type}(${parts.join(',')})`;
    memo.set(id, sig);
    return sig;
  }

  function order(prompt: Json, outputs: string[]): string[] {
    const out: string[] = [];
    const seen = new Set<string>();
    const visit = (id: string) => {
      if (seen.has(id)) return;
      seen.add(id);
      for (const value of Object.values((prompt[id] as { inputs: Json }).inputs)) if (isLink(value)) visit(value[0]);
      out.push(id);
    };
    for (const output of outputs) visit(output);
    return out;
  }

  function seedOf(prompt: Json, id: string): number {
    for (const nodeId of upstreamIds(prompt, id)) {
      const node = prompt[nodeId] as { class_type: string; inputs: Json };
      if (node.class_type === 'KSampler') return Number(node.inputs['seed']) || 0;
    }
    return 0;
  }

  function runOutputNode(prompt: Json, id: string): Json | null {
    const node = prompt[id] as { class_type: string; inputs: Json };
    const prefix = typeof node.inputs['filename_prefix'] === 'string' ? node.inputs['filename_prefix'] : 'ComfyUI';
    fileCounter += 1;
    const counter = String(fileCounter).padStart(5, '0');
    if (node.class_type === 'SaveImage') {
      const filename = `${prefix}_${counter}_.png`;
      files.set(`output//${filename}`, { data: pngOf(seedOf(prompt, id)), contentType: 'image/png' });
      return { images: [{ filename, subfolder: '', type: 'output' }] };
    }
    if (node.class_type === 'PreviewImage') {
      const filename = `ComfyUI_temp_${counter}_.png`;
      files.set(`temp//${filename}`, { data: pngOf(seedOf(prompt, id)), contentType: 'image/png' });
      return { images: [{ filename, subfolder: '', type: 'temp' }] };
    }
    if (node.class_type === 'SaveGLB') {
      const filename = `${prefix}_${counter}_.glb`;
      files.set(`output/3d/${filename}`, { data: glbOf(`seed-${seedOf(prompt, id)}`), contentType: 'model/gltf-binary' });
      return { '3d': [{ filename, subfolder: '3d', type: 'output' }] };
    }
    return null;
  }

  async function execute(item: QueueItem, myEpoch: number): Promise<void> {
    const [, promptId, prompt, extra, outputs] = item;
    const client = typeof extra['client_id'] === 'string' ? extra['client_id'] : undefined;
    executions.set(promptId, (executions.get(promptId) ?? 0) + 1);
    const messages: [string, Json][] = [];
    // execution.py add_message: per-prompt events go to the client, or nowhere without one.
    const emit = (type: string, data: Json) => {
      if (type !== 'executing' && type !== 'executed' && type !== 'progress') messages.push([type, data]);
      if (type === 'executing' && data['node'] !== null) currentNode = String(data['node']);
      // progress goes to the client, or to every socket without one; the rest only to the client.
      if (client !== undefined || type === 'progress') sendJson(type, data, client);
      else record({ type, promptId, delivered: false });
    };
    interruptFlag = false;
    emit('execution_start', { prompt_id: promptId, timestamp: Date.now() });
    const memo = new Map<string, string>();
    const nodes = order(prompt, outputs);
    const cached = nodes.filter((id) => cache.has(signature(prompt, id, memo)));
    emit('execution_cached', { nodes: cached, prompt_id: promptId, timestamp: Date.now() });
    const ui: Record<string, Json> = {};
    const executed: string[] = [];
    let success = true;
    let current: string | undefined;
    try {
      for (const id of nodes) {
        const node = prompt[id] as { class_type: string; inputs: Json };
        const sig = signature(prompt, id, memo);
        if (cache.has(sig)) {
          const output = cache.get(sig);
          if (output) {
            ui[id] = output;
            if (newest) emit('executed', { node: id, display_node: id, output, prompt_id: promptId });
          }
          continue;
        }
        await checkpoint(myEpoch);
        current = id;
        emit('executing', { node: id, display_node: id, prompt_id: promptId });
        if (node.class_type === 'KSampler') {
          const steps = Math.min(10_000, Number(node.inputs['steps']) || 1);
          for (let step = 1; step <= steps; step++) {
            await new Promise((resolve) => setTimeout(resolve, stepDelayMs));
            await checkpoint(myEpoch);
            emit('progress', { value: step, max: steps, prompt_id: promptId, node: id });
          }
        } else {
          await new Promise((resolve) => setTimeout(resolve, stepDelayMs));
          await checkpoint(myEpoch);
        }
        const failure = nodeFailures.get(node.class_type);
        if (failure) {
          success = false;
          emit('execution_error', {
            prompt_id: promptId,
            node_id: id,
            node_type: node.class_type,
            executed,
            exception_message: failure.message,
            exception_type: failure.exceptionType,
            traceback: ['  File "execution.py", line 1, in execute\n'],
            current_inputs: {},
            current_outputs: {},
            timestamp: Date.now(),
          });
          break;
        }
        const output = runOutputNode(prompt, id);
        cache.set(sig, output);
        executed.push(id);
        if (output) {
          ui[id] = output;
          emit('executed', { node: id, display_node: id, output, prompt_id: promptId });
        }
      }
    } catch (error) {
      if (error instanceof Stopped) return; // the process "died": nothing more is written or sent
      if (!(error instanceof Interrupted)) throw error;
      success = false;
      const node = current ? (prompt[current] as { class_type: string }) : undefined;
      emit('execution_interrupted', { prompt_id: promptId, node_id: current, node_type: node?.class_type, executed, timestamp: Date.now() });
    }
    if (success && newest) emit('execution_success', { prompt_id: promptId, timestamp: Date.now() });
    // main.py: q.task_done(...) writes the history; only then `executing {node: null}`.
    while (historyGate && myEpoch === epoch) await historyGate.promise;
    if (myEpoch !== epoch || closed) return;
    history.set(promptId, {
      prompt: item,
      outputs: ui,
      status: { status_str: success ? 'success' : 'error', completed: success, messages },
      meta: Object.fromEntries(Object.keys(ui).map((id) => [id, { node_id: id, display_node: id, parent_node: null, real_node_id: id }])),
    });
    running = undefined;
    broadcastStatus();
    if (client !== undefined) sendJson('executing', { node: null, prompt_id: promptId }, client);
  }

  async function worker(): Promise<void> {
    while (!closed) {
      const myEpoch = epoch;
      if (queue.length === 0 || running) {
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      queue.sort((a, b) => a[0] - b[0]);
      const item = queue.shift() as QueueItem;
      running = item;
      broadcastStatus();
      currentNode = undefined;
      try {
        await execute(item, myEpoch);
      } finally {
        if (myEpoch === epoch && running === item) running = undefined;
      }
    }
  }
  function kick(): void {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  }

  // ------------------------------------------------------------------ HTTP

  function json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  }
  function text(res: ServerResponse, status: number, body: string): void {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(body);
  }
  async function readBody(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }
  async function readJson(req: IncomingMessage): Promise<Json | undefined> {
    const body = await readBody(req);
    try {
      const value = JSON.parse(body.toString('utf8')) as unknown;
      return typeof value === 'object' && value !== null ? (value as Json) : undefined;
    } catch {
      return undefined;
    }
  }
  function historyView(id: string): Json {
    const entry = history.get(id);
    return entry ? { [id]: structuredClone(entry) } : {};
  }
  function jobOf(id: string): Json | undefined {
    const entry = history.get(id);
    if (entry) {
      const messages = entry.status.messages;
      const error = messages.find(([type]) => type === 'execution_error')?.[1];
      const interrupted = messages.some(([type]) => type === 'execution_interrupted');
      const status = entry.status.status_str === 'error' ? (interrupted ? 'cancelled' : 'failed') : 'completed';
      const job: Json = { id, status, priority: entry.prompt[0], outputs: entry.outputs, execution_status: entry.status };
      if (error) job['execution_error'] = error;
      return job;
    }
    if (running?.[1] === id) return { id, status: 'in_progress', priority: running[0], outputs_count: 0 };
    const pending = queue.find((item) => item[1] === id);
    if (pending) return { id, status: 'pending', priority: pending[0], outputs_count: 0 };
    return undefined;
  }

  async function postPrompt(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = (await readJson(req)) ?? {};
    let priority: number;
    if ('number' in body) priority = Number(body['number']);
    else {
      priority = number;
      if (body['front']) priority = -priority;
      number += 1;
    }
    if (!('prompt' in body)) {
      json(res, 400, { error: { type: 'no_prompt', message: 'No prompt provided', details: 'No prompt provided', extra_info: {} }, node_errors: {} });
      return;
    }
    const prompt = body['prompt'] as Json;
    let promptId: string = randomUUID();
    const clientPromptId = body['prompt_id'];
    if (newest && clientPromptId !== undefined && clientPromptId !== null) {
      const canonical = typeof clientPromptId === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(clientPromptId);
      if (!canonical || options.rejectClientPromptIds) {
        json(res, 400, {
          error: {
            type: 'invalid_prompt_id',
            message: 'prompt_id must be a valid UUID',
            details: 'prompt_id must be a UUID string in canonical lowercase hyphenated form; omit it to let the server generate one',
            extra_info: {},
          },
          node_errors: {},
        });
        return;
      }
      promptId = clientPromptId as string;
    }
    const [ok, error, good, nodeErrors] = validatePrompt(prompt);
    const extra: Json = typeof body['extra_data'] === 'object' && body['extra_data'] !== null ? { ...(body['extra_data'] as Json) } : {};
    if ('client_id' in body) extra['client_id'] = body['client_id'];
    if (!ok) {
      json(res, 400, { error, node_errors: nodeErrors });
      return;
    }
    // PromptQueue.put refuses an id it already has (whether the history counts is not documented;
    // this server counts it, like the queue and the running prompt).
    if (newest && (queue.some((item) => item[1] === promptId) || running?.[1] === promptId || history.has(promptId))) {
      json(res, 409, { error: 'prompt_id already exists' });
      return;
    }
    extra['create_time'] = Date.now();
    queue.push([priority, promptId, prompt, extra, good]);
    broadcastStatus();
    kick();
    json(res, 200, { prompt_id: promptId, number: priority, node_errors: nodeErrors });
  }

  async function uploadImage(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const request = new Request('http://local/upload', { method: 'POST', headers: req.headers as Record<string, string>, body: new Uint8Array(body) });
    let form: FormData;
    try {
      form = await request.formData();
    } catch {
      res.writeHead(400).end();
      return;
    }
    const image = form.get('image');
    if (!(image instanceof Blob) || !(image as File).name) {
      res.writeHead(400).end();
      return;
    }
    const type = String(form.get('type') ?? 'input');
    const subfolder = String(form.get('subfolder') ?? '');
    const overwrite = String(form.get('overwrite') ?? '');
    if (subfolder.includes('..') || (image as File).name.includes('..') || (image as File).name.includes('/')) {
      res.writeHead(400).end();
      return;
    }
    const data = new Uint8Array(await image.arrayBuffer());
    let filename = (image as File).name;
    const dot = filename.lastIndexOf('.');
    const [stem, ext] = dot < 0 ? [filename, ''] : [filename.slice(0, dot), filename.slice(dot)];
    let duplicate = false;
    if (overwrite !== 'true' && overwrite !== '1') {
      for (let i = 1; files.has(`${type}/${subfolder}/${filename}`); i++) {
        const existing = files.get(`${type}/${subfolder}/${filename}`) as { data: Uint8Array };
        if (Buffer.from(existing.data).equals(Buffer.from(data))) {
          duplicate = true;
          break;
        }
        filename = `${stem} (${i})${ext}`;
      }
    }
    if (!duplicate) files.set(`${type}/${subfolder}/${filename}`, { data, contentType: image.type || 'application/octet-stream' });
    json(res, 200, { name: filename, subfolder, type });
  }

  function objectInfo(name: string): Json {
    const cls = NODE_CLASSES[name] as NodeClass;
    const required: Json = {};
    for (const [input, spec] of Object.entries(cls.inputs)) {
      if (spec.type === 'COMBO') required[input] = [spec.list?.() ?? []];
      else if (spec.type === 'INT' || spec.type === 'FLOAT') required[input] = [spec.type, { min: spec.min, max: spec.max }];
      else required[input] = [spec.type];
    }
    return {
      input: { required },
      input_order: { required: Object.keys(cls.inputs) },
      output: cls.outputs,
      output_is_list: cls.outputs.map(() => false),
      output_name: cls.outputs,
      name,
      display_name: name,
      description: '',
      category: 'kiln-test',
      output_node: cls.outputNode === true,
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local');
    const method = req.method ?? 'GET';
    requests.push({ method, path: url.pathname + url.search });
    const failure = failures.get(url.pathname);
    if (failure && failure.count > 0) {
      failure.count -= 1;
      await readBody(req);
      text(res, failure.status, `${failure.status}: injected failure`);
      return;
    }
    let path = url.pathname;
    if (newest && path.startsWith('/api/jobs/')) {
      const rest = path.slice('/api/jobs/'.length);
      const [id, action] = rest.split('/');
      if (method === 'GET' && id && !action) {
        const job = jobOf(decodeURIComponent(id));
        if (job) json(res, 200, job);
        else json(res, 404, { error: 'Job not found' });
        return;
      }
      if (method === 'POST' && id && action === 'cancel') {
        const jobId = decodeURIComponent(id);
        let cancelled = false;
        if (running?.[1] === jobId) {
          interruptFlag = true;
          cancelled = true;
        } else if (queue.some((item) => item[1] === jobId)) {
          queue = queue.filter((item) => item[1] !== jobId);
          cancelled = true;
        }
        json(res, 200, { cancelled });
        return;
      }
    }
    if (path.startsWith('/api/')) path = path.slice(4);
    if (method === 'POST' && path === '/prompt') return postPrompt(req, res);
    if (method === 'GET' && path === '/prompt') return json(res, 200, queueInfo());
    if (method === 'GET' && path === '/queue') {
      const strip = (item: QueueItem) => item.slice(0, 5);
      return json(res, 200, { queue_running: running ? [strip(running)] : [], queue_pending: queue.map(strip) });
    }
    if (method === 'POST' && path === '/queue') {
      const body = (await readJson(req)) ?? {};
      if (body['clear']) queue = [];
      for (const id of Array.isArray(body['delete']) ? body['delete'] : []) queue = queue.filter((item) => item[1] !== id);
      broadcastStatus();
      res.writeHead(200).end();
      return;
    }
    if (method === 'POST' && path === '/interrupt') {
      const body = (await readJson(req)) ?? {};
      const target = body['prompt_id'];
      if (!target || running?.[1] === target) interruptFlag = running !== undefined;
      res.writeHead(200).end();
      return;
    }
    if (method === 'GET' && path === '/history') {
      const max = url.searchParams.get('max_items');
      const entries = [...history.entries()];
      const chosen = max === null ? entries : entries.slice(-Number(max));
      return json(res, 200, Object.fromEntries(chosen));
    }
    if (method === 'GET' && path.startsWith('/history/')) return json(res, 200, historyView(decodeURIComponent(path.slice('/history/'.length))));
    if (method === 'POST' && path === '/history') {
      const body = (await readJson(req)) ?? {};
      if (body['clear']) history = new Map();
      for (const id of Array.isArray(body['delete']) ? body['delete'] : []) history.delete(String(id));
      res.writeHead(200).end();
      return;
    }
    if (method === 'GET' && path === '/view') {
      const filename = url.searchParams.get('filename') ?? '';
      const subfolder = url.searchParams.get('subfolder') ?? '';
      const type = url.searchParams.get('type') ?? 'output';
      if (filename === '' || filename.startsWith('/') || filename.includes('..') || subfolder.includes('..')) {
        res.writeHead(400).end();
        return;
      }
      const file = files.get(`${type}/${subfolder}/${filename}`);
      if (!file) {
        text(res, 404, '404: Not Found');
        return;
      }
      res.writeHead(200, { 'content-type': file.contentType, 'content-disposition': `filename="${filename}"` });
      res.end(Buffer.from(file.data));
      return;
    }
    if (method === 'POST' && path === '/upload/image') return uploadImage(req, res);
    if (method === 'GET' && path === '/object_info') {
      return json(res, 200, Object.fromEntries(Object.keys(NODE_CLASSES).map((name) => [name, objectInfo(name)])));
    }
    if (method === 'GET' && path.startsWith('/object_info/')) {
      const name = decodeURIComponent(path.slice('/object_info/'.length));
      return json(res, 200, NODE_CLASSES[name] ? { [name]: objectInfo(name) } : {});
    }
    if (method === 'GET' && path === '/system_stats') {
      return json(res, 200, {
        system: {
          os: 'linux',
          ram_total: 32 * 2 ** 30,
          ram_free: 16 * 2 ** 30,
          comfyui_version: newest ? '0.3.99-kiln-test' : '0.2.2-kiln-test',
          python_version: '3.11.7 (stand-in)',
          pytorch_version: '2.4.0 (stand-in)',
          embedded_python: false,
          argv: ['main.py'],
        },
        devices: [{ name: 'cuda:0 Stand-in GPU', type: 'cuda', index: 0, vram_total: 24 * 2 ** 30, vram_free: 20 * 2 ** 30, torch_vram_total: 0, torch_vram_free: 0 }],
      });
    }
    if (method === 'GET' && path === '/features' && newest) return json(res, 200, { supports_preview_metadata: true });
    await readBody(req);
    text(res, 404, '404: Not Found');
  }

  // ------------------------------------------------------------------ server

  const openSockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) text(res, 500, `500: ${String(error)}`);
      else res.end();
    });
  });
  server.on('connection', (socket: Socket) => {
    openSockets.add(socket);
    socket.on('close', () => openSockets.delete(socket));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://local');
    upgrades += 1;
    if (url.pathname !== '/ws' && url.pathname !== '/api/ws') {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    if (refuse > 0) {
      refuse -= 1;
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      connections += 1;
      let sid = url.searchParams.get('clientId') ?? '';
      if (sid) sockets.get(sid)?.terminate();
      else sid = randomUUID().replace(/-/g, '');
      sockets.set(sid, ws);
      ws.on('close', () => {
        if (sockets.get(sid) === ws) sockets.delete(sid);
      });
      ws.on('error', () => undefined);
      ws.send(JSON.stringify({ type: 'status', data: { status: queueInfo(), sid } }));
      if (running) {
        const runningClient = running[3]['client_id'];
        // server.py: on reconnect, the current node (without a prompt id) to the running prompt's client.
        if (runningClient === sid && currentNode !== undefined) {
          ws.send(JSON.stringify({ type: 'executing', data: { node: currentNode } }));
        }
      }
    });
  });

  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
  void worker();

  async function down(): Promise<void> {
    for (const ws of sockets.values()) ws.terminate();
    sockets.clear();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of openSockets) socket.destroy();
    });
  }

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    sent,
    executions,
    get connections() {
      return connections;
    },
    get upgrades() {
      return upgrades;
    },
    waitForEvent(type, promptId) {
      const found = sent.find((event) => event.type === type && (promptId === undefined || event.promptId === promptId));
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => {
        const listener = (event: SentEvent) => {
          if (event.type === type && (promptId === undefined || event.promptId === promptId)) {
            events.off('sent', listener);
            resolve(event);
          }
        };
        events.on('sent', listener);
      });
    },
    pause() {
      if (!paused) {
        paused = true;
        pauseGate = gate();
      }
    },
    resume() {
      paused = false;
      pauseGate?.release();
      pauseGate = undefined;
    },
    holdHistory() {
      const held = gate();
      historyGate = held;
      return () => {
        if (historyGate === held) historyGate = undefined;
        held.release();
      };
    },
    dropSockets() {
      for (const ws of sockets.values()) ws.terminate();
      sockets.clear();
    },
    muteSockets(value) {
      muted = value;
    },
    refuseSockets(count) {
      refuse = count;
    },
    failNext(path, status, count = 1) {
      failures.set(path, { status, count });
    },
    failNode(classType, exceptionType, message) {
      nodeFailures.set(classType, { exceptionType, message });
      return () => nodeFailures.delete(classType);
    },
    async restart(whileDown) {
      epoch += 1;
      queue = [];
      running = undefined;
      history = new Map();
      cache = new Map();
      interruptFlag = false;
      number = 0;
      pauseGate?.release();
      historyGate?.release();
      paused = false;
      pauseGate = undefined;
      historyGate = undefined;
      await down();
      await whileDown?.();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve());
      });
      kick();
    },
    async close() {
      closed = true;
      epoch += 1;
      pauseGate?.release();
      historyGate?.release();
      kick();
      await down();
      wss.close();
    },
  };
}
