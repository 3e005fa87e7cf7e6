import { createHash } from 'node:crypto';
import { invalidOption } from './errors.js';

/**
 * Canonical JSON: object keys sorted, no white space, `undefined` members dropped (as
 * `JSON.stringify` does), arrays kept in order. Equal values give equal text, so the text can be
 * hashed into a key. Throws on non-finite numbers, bigints, functions and cycles.
 */
export function canonicalJson(value: unknown): string {
  const seen = new Set<object>();
  const walk = (v: unknown, path: string): string => {
    if (v === null) return 'null';
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return JSON.stringify(v);
      case 'number':
        if (!Number.isFinite(v)) throw invalidOption(`canonicalJson: ${path || 'value'} is ${v}, not a finite number`);
        return JSON.stringify(v);
      case 'object': {
        if (seen.has(v)) throw invalidOption(`canonicalJson: ${path || 'value'} is circular`);
        seen.add(v);
        let out: string;
        if (Array.isArray(v)) {
          out = `[${v.map((item, i) => (item === undefined ? 'null' : walk(item, `${path}[${i}]`))).join(',')}]`;
        } else if (v instanceof Uint8Array) {
          out = JSON.stringify(`sha256:${sha256Hex(v)}`);
        } else {
          const entries = Object.entries(v as Record<string, unknown>)
            .filter(([, item]) => item !== undefined)
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
          out = `{${entries.map(([k, item]) => `${JSON.stringify(k)}:${walk(item, path ? `${path}.${k}` : k)}`).join(',')}}`;
        }
        seen.delete(v);
        return out;
      }
      default:
        throw invalidOption(`canonicalJson: ${path || 'value'} is a ${typeof v}, which JSON cannot hold`);
    }
  };
  return walk(value, '');
}

/** Lower-case hex SHA-256 of bytes or of a string's UTF-8. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** What a step's idempotency key is made of. */
export interface IdempotencyKeyParts {
  projectId: string;
  assetType: string;
  /** The step's name in its pipeline (`text_to_image`). */
  step: string;
  /** The step's operation. */
  operation: string;
  /** Parameters (prompt, size, …): hashed by their canonical JSON. */
  params: Readonly<Record<string, unknown>>;
  /** Input artifacts by content hash. */
  inputs: readonly { name: string; sha256: string }[];
  seed: number;
  /** Backend and model the step runs on. */
  backend: string;
  model?: string | undefined;
  modelVersion?: string | undefined;
  /** Hash of the backend workflow (a ComfyUI graph), when there is one. */
  workflowHash?: string | undefined;
}

/**
 * The idempotency key of a step: lower-case hex SHA-256 of the canonical JSON of (project,
 * asset type, step, inputs by content hash, seed, model version, workflow hash). Parameters count
 * as inputs (by hash). Equal keys mean equal work: a re-imported batch or a replay after a crash
 * reuses the result instead of running the step again.
 */
export function idempotencyKey(parts: IdempotencyKeyParts): string {
  return sha256Hex(
    canonicalJson({
      v: 1,
      project: parts.projectId,
      assetType: parts.assetType,
      step: parts.step,
      operation: parts.operation,
      inputs: {
        params: sha256Hex(canonicalJson(parts.params)),
        artifacts: [...parts.inputs].map((i) => ({ name: i.name, sha256: i.sha256 })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
      },
      seed: parts.seed,
      backend: parts.backend,
      model: parts.model,
      modelVersion: parts.modelVersion,
      workflowHash: parts.workflowHash,
    }),
  );
}

/**
 * The per-attempt id sent to the backend (ComfyUI `prompt_id`, `Idempotency-Key` header): a
 * lower-case RFC 4122 UUID (version 4 layout) derived from `key` and the attempt number, so a
 * resubmission of the same attempt after a crash carries the same id.
 */
export function attemptId(key: string, attempt: number): string {
  const h = sha256Hex(`${key}:${attempt}`);
  const variant = ((parseInt(h[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A 32-bit seed derived from any JSON value (the request), so equal requests get equal seeds. */
export function deriveSeed(value: unknown): number {
  return parseInt(sha256Hex(canonicalJson(value)).slice(0, 8), 16) >>> 0;
}

/** A short, stable id from any JSON value: `prefix-` and 20 hex digits of its SHA-256. */
export function stableId(prefix: string, value: unknown): string {
  return `${prefix}-${sha256Hex(canonicalJson(value)).slice(0, 20)}`;
}
