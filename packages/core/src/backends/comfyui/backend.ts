/**
 * `comfyUIBackend`: one API-format workflow on one ComfyUI server. Parameters are injected by
 * node id or title, inputs uploaded through `/upload/image`, the prompt queued with
 * `prompt_id` = the attempt id (a 409 means it is already there: tracked, not resubmitted), and
 * progress followed over the server's WebSocket with polling behind it.
 */
import {
  BackendError,
  type BackendCapabilities,
  type BackendInput,
  type GenerationBackend,
  type RemoteStatus,
  type SubmitRequest,
} from '../../backend.js';
import { classifyError, extensionForType, mapLimit, sha256Hex } from '../http-task/http.js';
import { COMFYUI_CONNECTION_DEFAULTS, createComfyUIConnection, outputFor, type ComfyUIConnection, type ComfyUIConnectionOptions } from './connection.js';
import { promptIdFor } from './errors.js';
import { checkWorkflow, compileInjection, injectWorkflow, resolveNode, type ComfyWorkflow, type InjectMap } from './workflow.js';
import { invalidOption } from '../../errors.js';

/** Options of {@link comfyUIBackend}: a workflow, and either a server (`baseUrl`, …) or a shared `connection`. */
export interface ComfyUIBackendOptions extends Partial<ComfyUIConnectionOptions> {
  /**
   * The backend's name, which pipelines route steps by (and limits count by). Default `comfyui`;
   * give each workflow's backend its own (`comfyui-sdxl`, `comfyui-upscale`). Also the prefix of
   * a connection created here.
   */
  name?: string;
  /** A connection shared with other workflows' backends on the same server (one WebSocket). */
  connection?: ComfyUIConnection;
  /** The workflow in API format (`Export (API)` in ComfyUI). Never mutated. */
  workflow: ComfyWorkflow;
  /** Which request parameters go where; see {@link InjectMap}. */
  inject?: InjectMap;
  /**
   * The node(s), by id or title, whose files are the step's outputs. Default: every file of type
   * `output` (saved files; previews of type `temp` are left out).
   */
  outputNode?: string | readonly string[];
  /** Extra `extra_data` sent with every prompt (for example `extra_pnginfo`). */
  extraData?: Record<string, unknown>;
  /**
   * Send `prompt_id` = the attempt id (newer ComfyUI: a resubmit answers 409 instead of running
   * twice). Servers that ignore or refuse it are detected and handled. Default true.
   */
  sendPromptId?: boolean;
  /** Before queueing, ask whether the prompt id is already known (covers servers whose 409 misses the history). Default true. */
  checkBeforeSubmit?: boolean;
  /** Subfolder of ComfyUI's input folder for uploads. Default `''`. */
  uploadSubfolder?: string;
}

/** Defaults of the workflow-level options of {@link ComfyUIBackendOptions} (see also {@link COMFYUI_DEFAULTS}). */
export const COMFYUI_BACKEND_DEFAULTS: Required<Pick<ComfyUIBackendOptions, 'sendPromptId' | 'checkBeforeSubmit' | 'uploadSubfolder'>> = {
  sendPromptId: true,
  checkBeforeSubmit: true,
  uploadSubfolder: '',
};

/** Every default of {@link ComfyUIBackendOptions}: the connection's and the workflow's. */
export const COMFYUI_DEFAULTS = { ...COMFYUI_CONNECTION_DEFAULTS, ...COMFYUI_BACKEND_DEFAULTS };

/** A {@link GenerationBackend} for one ComfyUI workflow, with its connection. */
export interface ComfyUIBackend extends GenerationBackend {
  readonly connection: ComfyUIConnection;
  /** The workflow as it would be queued for `request` (inputs replaced by their upload names). */
  buildPrompt(request: Pick<SubmitRequest, 'params' | 'model'>, uploads?: Readonly<Record<string, string>>): ComfyWorkflow;
}

/**
 * A backend for one ComfyUI workflow.
 *
 * @example
 * const sdxl = comfyUIBackend({
 *   baseUrl: 'http://gpu-1:8188',
 *   workflow: sdxlApiWorkflow,
 *   inject: { prompt: 'Positive', negativePrompt: 'Negative', seed: 'KSampler', width: '5', height: '5' },
 *   outputNode: 'Save Image',
 * });
 */
export function comfyUIBackend(options: ComfyUIBackendOptions): ComfyUIBackend {
  if (options.connection && options.baseUrl && options.connection.baseUrl !== options.baseUrl.replace(/\/+$/, '')) {
    throw invalidOption(`comfyui: baseUrl ${options.baseUrl} differs from the connection's ${options.connection.baseUrl}`);
  }
  if (!options.connection && !options.baseUrl) throw invalidOption('comfyui: baseUrl (or a shared connection) is required');
  const owned = !options.connection;
  const connection = options.connection ?? createComfyUIConnection({ ...options, baseUrl: options.baseUrl as string });
  // The routing name (pipelines map steps to backends by name); messages say which server.
  const name = options.name ?? 'comfyui';
  const where = connection.name;
  const workflow = checkWorkflow(name, options.workflow);
  const compiled = compileInjection(name, workflow, options.inject ?? {});
  const outputNodes =
    options.outputNode === undefined
      ? undefined
      : new Set((typeof options.outputNode === 'string' ? [options.outputNode] : options.outputNode).map((ref) => resolveNode(name, workflow, ref, 'outputNode')));
  const sendPromptId = options.sendPromptId ?? COMFYUI_BACKEND_DEFAULTS.sendPromptId;
  const checkBeforeSubmit = options.checkBeforeSubmit ?? COMFYUI_BACKEND_DEFAULTS.checkBeforeSubmit;
  const uploadSubfolder = options.uploadSubfolder ?? COMFYUI_BACKEND_DEFAULTS.uploadSubfolder;
  const nodeCount = Object.keys(workflow).length;
  const injectedKeys = new Set(compiled.map((entry) => entry.key));
  const logger = options.logger;

  function buildPrompt(request: Pick<SubmitRequest, 'params' | 'model'>, uploads: Readonly<Record<string, string>> = {}): ComfyWorkflow {
    const values: Record<string, unknown> = {};
    for (const key of injectedKeys) {
      if (request.params[key] !== undefined) values[key] = request.params[key];
      else if (uploads[key] !== undefined) values[key] = uploads[key];
      else if (key === 'model' && request.model !== undefined) values[key] = request.model;
    }
    return injectWorkflow(workflow, compiled, values);
  }

  async function upload(input: BackendInput): Promise<string> {
    let data = input.data;
    if (!data) {
      if (!input.url) throw new BackendError('input_invalid', `${where}: input "${input.name}" has neither data nor url`);
      const response = await (options.fetch ?? globalThis.fetch)(input.url).catch((error: unknown) => {
        throw new BackendError('transient', `${where}: input "${input.name}": download failed`, { cause: error });
      });
      if (!response.ok) throw new BackendError(response.status >= 500 ? 'transient' : 'input_invalid', `${where}: input "${input.name}": ${response.status} from its URL`);
      data = new Uint8Array(await response.arrayBuffer());
    }
    // Named by content, so an identical upload is deduplicated by the server.
    const hash = /^[0-9a-f]{64}$/.test(input.sha256) ? input.sha256 : await sha256Hex(data);
    const filename = `kiln-${hash.slice(0, 20)}.${extensionForType(input.contentType)}`;
    return connection.uploadImage(data, filename, input.contentType, uploadSubfolder);
  }

  async function submit(request: SubmitRequest): Promise<{ remoteId: string }> {
    const fields = { job_id: request.jobId, step_id: request.stepId };
    await connection.ready();
    const toUpload = request.inputs.filter((input) => injectedKeys.has(input.name) && request.params[input.name] === undefined);
    const uploaded = await mapLimit(toUpload, 2, async (input) => [input.name, await upload(input)] as const);
    const graph = buildPrompt(request, Object.fromEntries(uploaded));
    const useId = sendPromptId && connection.acceptsPromptIds !== false;
    const promptId = useId ? await promptIdFor(request.attemptId) : undefined;
    if (promptId !== undefined && checkBeforeSubmit) {
      const known = await connection.status(promptId, request.signal);
      if (known.state !== 'unknown') {
        logger?.debug(`${where}: step ${request.stepId} (job ${request.jobId}): prompt ${promptId} already ${known.state}; not queued again`, fields);
        return { remoteId: promptId };
      }
    }
    const extraData = { ...options.extraData, kiln: { attemptId: request.attemptId, jobId: request.jobId, stepId: request.stepId } };
    const queued = await connection.queuePrompt(graph, promptId, extraData, nodeCount);
    logger?.debug(`${where}: step ${request.stepId} (job ${request.jobId}): prompt ${queued.promptId}${queued.duplicate ? ' (already queued)' : ''}`, fields);
    return { remoteId: queued.promptId };
  }

  const backend: ComfyUIBackend = {
    name,
    connection,
    get capabilities(): BackendCapabilities {
      return {
        idempotentSubmit: sendPromptId && connection.acceptsPromptIds !== false,
        push: options.useWebSocket !== false,
        cancel: true,
        synchronous: false,
      };
    },
    buildPrompt,
    submit,
    status: (remoteId, statusOptions) => connection.status(remoteId, statusOptions?.signal),
    subscribe: (remoteId, listener) => connection.subscribe(remoteId, listener),

    async outputs(remoteId, outputOptions) {
      const files = await connection.files(remoteId, outputOptions?.signal);
      const chosen = files.filter((file) => (outputNodes ? outputNodes.has(file.nodeId) : file.type === 'output'));
      if (chosen.length === 0) {
        const which = outputNodes ? `node ${[...outputNodes].join(', ')}` : 'any node (type "output")';
        throw new BackendError('fatal', `${where}: prompt ${remoteId} finished without files from ${which}`, {
          details: { remoteId, found: files.map((file) => `${file.nodeId}:${file.type}/${file.filename}`) },
        });
      }
      return chosen.map((file) => outputFor(connection, file, remoteId));
    },

    async cancel(remoteId) {
      // interrupted (it was running) or dequeued (it was waiting): stopped either way
      return (await connection.cancel(remoteId)) === 'not_found' ? 'not_running' : 'canceled';
    },

    async reconcile(tasks) {
      return connection.reconcile(tasks.map((task) => task.remoteId)) as Promise<Map<string, RemoteStatus>>;
    },

    health: () => connection.health(),
    classify: classifyError,

    async close() {
      if (owned) await connection.close();
    },
  };
  return backend;
}
