/** How ComfyUI's answers and execution messages map to {@link BackendError} kinds. */
import { BackendError } from '../../backend.js';
import { tryParseJson } from '../http-task/http.js';

/** One validation problem of one node, from `node_errors`. */
export interface ComfyNodeError {
  nodeId: string;
  classType: string | undefined;
  type: string | undefined;
  message: string | undefined;
  details: string | undefined;
  input: string | undefined;
  received: unknown;
}

const NOT_MODEL_INPUTS = new Set(['sampler_name', 'scheduler', 'image', 'filename_prefix', 'upscale_method']);

/** Inputs that pick a model file: `ckpt_name`, `lora_name`, `unet_name`, `vae_name`, … */
export function isModelInput(input: string | undefined): boolean {
  if (input === undefined || NOT_MODEL_INPUTS.has(input)) return false;
  return input.endsWith('_name') || input === 'model' || input === 'checkpoint';
}

/** Flattens `node_errors` (`{ id: { errors: [...], class_type } }`). */
export function nodeErrorsOf(nodeErrors: unknown): ComfyNodeError[] {
  if (typeof nodeErrors !== 'object' || nodeErrors === null || Array.isArray(nodeErrors)) return [];
  const out: ComfyNodeError[] = [];
  for (const [nodeId, entry] of Object.entries(nodeErrors as Record<string, unknown>)) {
    const { errors, class_type: classType } = (entry ?? {}) as { errors?: unknown; class_type?: unknown };
    for (const error of Array.isArray(errors) ? errors : []) {
      const e = (error ?? {}) as { type?: unknown; message?: unknown; details?: unknown; extra_info?: unknown };
      const extra = (e.extra_info ?? {}) as { input_name?: unknown; received_value?: unknown };
      out.push({
        nodeId,
        classType: typeof classType === 'string' ? classType : undefined,
        type: typeof e.type === 'string' ? e.type : undefined,
        message: typeof e.message === 'string' ? e.message : undefined,
        details: typeof e.details === 'string' ? e.details : undefined,
        input: typeof extra.input_name === 'string' ? extra.input_name : undefined,
        received: extra.received_value,
      });
    }
  }
  return out;
}

/**
 * The error for a `POST /prompt` refusal. Validation errors are `input_invalid` (never retried);
 * a model that is not on the server (`value_not_in_list` on a `*_name` input) says so, names the
 * model, and sets `details.reason = 'model_not_found'` so the scheduler can pick a fallback.
 */
export function promptRefusal(name: string, status: number, body: string): BackendError {
  const json = tryParseJson(body) as { error?: unknown; node_errors?: unknown } | undefined;
  const error = json?.error;
  const type =
    typeof error === 'object' && error !== null ? (error as { type?: unknown }).type : typeof error === 'string' ? error : undefined;
  const topMessage =
    typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string'
      ? (error as { message: string }).message
      : typeof error === 'string'
        ? error
        : `${status}`;
  const nodeErrors = nodeErrorsOf(json?.node_errors);
  const missingModel = nodeErrors.find((e) => e.type === 'value_not_in_list' && isModelInput(e.input));
  const details: Record<string, unknown> = {
    status,
    errorType: type,
    reason: missingModel ? 'model_not_found' : type,
    nodeErrors,
  };
  if (missingModel) {
    details['missingModel'] = {
      nodeId: missingModel.nodeId,
      classType: missingModel.classType,
      input: missingModel.input,
      value: missingModel.received,
    };
    return new BackendError(
      'input_invalid',
      `${name}: model ${JSON.stringify(missingModel.received)} is not on this ComfyUI server ` +
        `(node ${missingModel.nodeId} ${missingModel.classType ?? ''}.${missingModel.input ?? ''}); ` +
        `install it there, or send the step to a fallback backend or model`,
      { details },
    );
  }
  const list = nodeErrors
    .slice(0, 5)
    .map((e) => `node ${e.nodeId} (${e.classType ?? '?'}): ${e.message ?? e.type ?? 'error'}${e.details ? `: ${e.details}` : ''}`)
    .join('; ');
  const kind = status >= 500 ? 'transient' : 'input_invalid';
  return new BackendError(kind, `${name}: POST /prompt refused (${String(type ?? status)}): ${topMessage}${list ? `: ${list}` : ''}`, {
    details,
  });
}

/** The error of an `execution_error` message (or its copy in the history's status messages). */
export function executionFailure(name: string, promptId: string, data: unknown): BackendError {
  const d = (data ?? {}) as {
    node_id?: unknown;
    node_type?: unknown;
    exception_type?: unknown;
    exception_message?: unknown;
    traceback?: unknown;
  };
  const exceptionType = typeof d.exception_type === 'string' ? d.exception_type : 'Exception';
  const message = typeof d.exception_message === 'string' ? d.exception_message.trim() : '';
  // Out of GPU memory depends on what else ran; another attempt (or server) may succeed.
  const transient = /OutOfMemory|CUDA out of memory|MPS backend out of memory/i.test(`${exceptionType} ${message}`);
  const traceback = Array.isArray(d.traceback) ? d.traceback.slice(-5).map(String) : undefined;
  return new BackendError(
    transient ? 'transient' : 'fatal',
    `${name}: prompt ${promptId} failed in node ${String(d.node_id ?? '?')} (${String(d.node_type ?? '?')}): ${exceptionType}: ${message}`,
    { details: { promptId, nodeId: d.node_id, nodeType: d.node_type, exceptionType, traceback } },
  );
}

const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The `prompt_id` for an attempt: the attempt id itself when it is a UUID (lower-cased, the only
 * spelling newer ComfyUI accepts), else a UUID derived from its SHA-256, so the same attempt
 * always maps to the same prompt.
 */
export async function promptIdFor(attemptId: string): Promise<string> {
  const lower = attemptId.toLowerCase();
  if (CANONICAL_UUID.test(lower)) return lower;
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(attemptId)));
  const bytes = digest.slice(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x80; // version 8 (custom)
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80; // RFC 4122 variant
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
