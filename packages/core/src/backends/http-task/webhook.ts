/**
 * Webhook receiver for task APIs: verifies an HMAC signature over the raw body, drops replays and
 * duplicates, and hands the task to the backend, which never lets a late delivery move a task
 * backwards. Answers fast and below 400 for anything authentic, because vendors disable webhooks
 * that keep failing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebhookIngestResult } from './backend.js';
import { SILENT_BACKEND_LOGGER, tryParseJson, type BackendLogger } from './http.js';
import { invalidOption } from '../../errors.js';

/** Options of {@link createWebhookReceiver}. */
export interface WebhookReceiverOptions {
  /** Where authentic deliveries go: an `HttpTaskBackend`. */
  backend: { readonly name: string; ingestWebhook(payload: unknown): Promise<WebhookIngestResult> };
  /** The shared secret; several during a rotation (any one may match). */
  secret: string | readonly string[];
  /** Header holding the signature, such as `x-signature` (case-insensitive). */
  signatureHeader: string;
  /** HMAC hash. Default `SHA-256`. */
  algorithm?: 'SHA-1' | 'SHA-256' | 'SHA-512';
  /** How the signature is written. Default `hex`. */
  encoding?: 'hex' | 'base64';
  /** Text before the signature, such as `sha256=`. Default none. */
  signaturePrefix?: string;
  /**
   * Header with the delivery's timestamp (Unix seconds or ms). When set, the signed text is
   * `${timestamp}.${body}` and deliveries older than `toleranceMs` are refused (replays).
   */
  timestampHeader?: string;
  /** Default 300 000 ms. */
  toleranceMs?: number;
  /** Header with a unique delivery id; repeats are acknowledged and dropped. */
  deliveryIdHeader?: string;
  /** Largest accepted body. Default 1 MiB. */
  maxBodyBytes?: number;
  logger?: BackendLogger;
  /** Clock, for tests. Default `Date.now`. */
  now?: () => number;
}

/** Defaults of {@link WebhookReceiverOptions}. */
export const WEBHOOK_RECEIVER_DEFAULTS = {
  algorithm: 'SHA-256',
  encoding: 'hex',
  signaturePrefix: '',
  toleranceMs: 300_000,
  maxBodyBytes: 1024 * 1024,
} as const;

/** A delivery as the receiver sees it. */
export interface WebhookDelivery {
  /** The raw body, exactly as received (the signature covers these bytes). */
  body: string | Uint8Array;
  headers: Headers | Readonly<Record<string, string | readonly string[] | undefined>>;
}

/** The answer to send back. */
export interface WebhookAnswer {
  status: 200 | 400 | 401 | 413;
  body: { ok: boolean; reason?: string; taskId?: string; duplicate?: boolean };
}

/** Verifies and applies webhook deliveries. */
export interface WebhookReceiver {
  handle(delivery: WebhookDelivery): Promise<WebhookAnswer>;
  /** A `node:http` request listener (or Express/Connect middleware without a body parser). */
  listener(): (req: IncomingMessage, res: ServerResponse) => void;
}

const MAX_REMEMBERED = 10_000;

/**
 * Creates a webhook receiver.
 *
 * @example
 * const receiver = createWebhookReceiver({ backend: meshy, secret, signatureHeader: 'x-signature' });
 * http.createServer(receiver.listener()).listen(8080);
 */
export function createWebhookReceiver(options: WebhookReceiverOptions): WebhookReceiver {
  const secrets = (typeof options.secret === 'string' ? [options.secret] : [...options.secret]).filter((s) => s !== '');
  if (secrets.length === 0) throw invalidOption('createWebhookReceiver: secret is required (an unsigned webhook is anyone\'s)');
  if (!options.signatureHeader) throw invalidOption('createWebhookReceiver: signatureHeader is required');
  const algorithm = options.algorithm ?? WEBHOOK_RECEIVER_DEFAULTS.algorithm;
  const encoding = options.encoding ?? WEBHOOK_RECEIVER_DEFAULTS.encoding;
  const prefix = options.signaturePrefix ?? WEBHOOK_RECEIVER_DEFAULTS.signaturePrefix;
  const toleranceMs = options.toleranceMs ?? WEBHOOK_RECEIVER_DEFAULTS.toleranceMs;
  const maxBodyBytes = options.maxBodyBytes ?? WEBHOOK_RECEIVER_DEFAULTS.maxBodyBytes;
  const logger = options.logger ?? SILENT_BACKEND_LOGGER;
  const now = options.now ?? Date.now;
  const name = `${options.backend.name} webhook`;
  const seenDeliveries = new Set<string>();
  const seenBodies = new Set<string>();
  let keys: Promise<CryptoKey[]> | undefined;

  function remember(set: Set<string>, value: string): void {
    set.add(value);
    if (set.size > MAX_REMEMBERED) {
      const oldest = set.values().next().value;
      if (oldest !== undefined) set.delete(oldest);
    }
  }

  async function verify(signed: Uint8Array, signature: string): Promise<boolean> {
    const bytes = decodeSignature(signature.startsWith(prefix) ? signature.slice(prefix.length) : signature, encoding);
    if (!bytes) return false;
    keys ??= Promise.all(
      secrets.map((secret) =>
        crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: algorithm }, false, ['verify']),
      ),
    );
    for (const key of await keys) {
      // subtle.verify compares in constant time.
      if (await crypto.subtle.verify('HMAC', key, bytes as Uint8Array<ArrayBuffer>, signed as Uint8Array<ArrayBuffer>)) return true;
    }
    return false;
  }

  async function handle(delivery: WebhookDelivery): Promise<WebhookAnswer> {
    const raw = typeof delivery.body === 'string' ? new TextEncoder().encode(delivery.body) : delivery.body;
    if (raw.byteLength > maxBodyBytes) return { status: 413, body: { ok: false, reason: 'body too large' } };
    const signature = header(delivery.headers, options.signatureHeader);
    if (!signature) {
      logger.warn(`${name}: refused a delivery without ${options.signatureHeader}`);
      return { status: 401, body: { ok: false, reason: 'missing signature' } };
    }
    let signed = raw;
    if (options.timestampHeader) {
      const stamp = header(delivery.headers, options.timestampHeader);
      const value = stamp === undefined ? NaN : Number(stamp);
      const ms = value < 1e12 ? value * 1000 : value;
      if (!Number.isFinite(ms) || Math.abs(now() - ms) > toleranceMs) {
        logger.warn(`${name}: refused a delivery with a missing or stale timestamp`);
        return { status: 401, body: { ok: false, reason: 'stale or missing timestamp' } };
      }
      signed = concat(new TextEncoder().encode(`${stamp}.`), raw);
    }
    if (!(await verify(signed, signature))) {
      logger.warn(`${name}: refused a delivery with a bad signature`);
      return { status: 401, body: { ok: false, reason: 'bad signature' } };
    }
    const deliveryId = options.deliveryIdHeader ? header(delivery.headers, options.deliveryIdHeader) : undefined;
    const bodyKey = `${signature}`;
    if ((deliveryId !== undefined && seenDeliveries.has(deliveryId)) || seenBodies.has(bodyKey)) {
      logger.debug(`${name}: duplicate delivery dropped`);
      return { status: 200, body: { ok: true, duplicate: true } };
    }
    const payload = tryParseJson(new TextDecoder().decode(raw));
    if (payload === undefined) return { status: 400, body: { ok: false, reason: 'body is not JSON' } };
    const result = await options.backend.ingestWebhook(payload);
    if (deliveryId !== undefined) remember(seenDeliveries, deliveryId);
    remember(seenBodies, bodyKey);
    if (result.taskId === undefined) return { status: 400, body: { ok: false, reason: 'no task id in the payload' } };
    return { status: 200, body: { ok: true, taskId: result.taskId, duplicate: !result.changed } };
  }

  return {
    handle,
    listener() {
      return (req, res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let tooLarge = false;
        req.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBodyBytes) tooLarge = true;
          else chunks.push(chunk);
        });
        req.on('end', () => {
          const reply = (answer: WebhookAnswer) => {
            res.writeHead(answer.status, { 'content-type': 'application/json' });
            res.end(JSON.stringify(answer.body));
          };
          if (req.method !== 'POST') return reply({ status: 400, body: { ok: false, reason: 'POST only' } });
          if (tooLarge) return reply({ status: 413, body: { ok: false, reason: 'body too large' } });
          const headers: Record<string, string | string[] | undefined> = req.headers;
          handle({ body: new Uint8Array(Buffer.concat(chunks)), headers }).then(reply, (error: unknown) => {
            logger.warn(`${name}: ${error instanceof Error ? error.message : String(error)}`);
            res.writeHead(500, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ ok: false, reason: 'internal error' }));
          });
        });
      };
    },
  };
}

function header(headers: WebhookDelivery['headers'], name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(headers as Record<string, string | readonly string[] | undefined>)) {
    if (key.toLowerCase() === lower) return Array.isArray(value) ? value[0] : (value as string | undefined);
  }
  return undefined;
}

function decodeSignature(text: string, encoding: 'hex' | 'base64'): Uint8Array | undefined {
  const value = text.trim();
  if (encoding === 'hex') {
    if (!/^[0-9a-fA-F]+$/.test(value) || value.length % 2 !== 0) return undefined;
    const out = new Uint8Array(value.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(value.slice(i * 2, i * 2 + 2), 16);
    return out;
  }
  try {
    const binary = atob(value);
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
