import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { DriverBody } from './driver.js';
import { KilnValidationError } from '@kiln/manifest';
import { abortError, StorageError } from './errors.js';
import { SNIFF_BYTES } from './content-type.js';

/**
 * What can be stored: bytes, a file path (`{ path }`), a Node `Readable` or a web `ReadableStream`.
 * Streams are read once: they are spooled to a temporary file while being hashed, so the upload
 * that follows can be retried and the key can be chosen from the hash before a byte is sent.
 */
export type PutBody = Uint8Array | ArrayBuffer | string | { path: string } | Readable | WebReadableStream<Uint8Array> | ReadableStream<Uint8Array>;

/** A body that has been measured and hashed, ready to upload (and re-upload). */
export interface PreparedBody {
  sha256: string;
  bytes: number;
  /** The first bytes, for content sniffing. */
  head: Uint8Array;
  body: DriverBody;
  /** Removes the spool file, if one was made. Safe to call twice. */
  cleanup(): Promise<void>;
}

export interface PrepareOptions {
  maxBytes: number;
  /** Folder for spool files of streamed bodies. */
  tmpDir: string;
  signal?: AbortSignal;
  /** Bytes hashed so far, for progress while hashing big bodies. */
  onHashProgress?: (bytes: number) => void;
  operation: string;
}

function tooLarge(operation: string, bytes: number, maxBytes: number): StorageError {
  return new StorageError('too_large', `${operation}: body is ${bytes > maxBytes ? bytes : `over ${maxBytes}`} bytes; the maximum is ${maxBytes} (option maxBytes)`, {
    details: { maxBytes },
  });
}

function isWebStream(value: unknown): value is ReadableStream<Uint8Array> {
  return typeof value === 'object' && value !== null && typeof (value as ReadableStream).getReader === 'function';
}

/**
 * Hashes and measures a body without holding big bodies in memory: bytes are hashed in place,
 * files are streamed through SHA-256 (about 1 GB/s), streams are spooled to `tmpDir`.
 */
export async function prepareBody(input: PutBody, options: PrepareOptions): Promise<PreparedBody> {
  const { operation, maxBytes, signal } = options;
  if (signal?.aborted) throw abortError(operation, signal);
  if (typeof input === 'string' || input instanceof Uint8Array || input instanceof ArrayBuffer) {
    const data = typeof input === 'string' ? new TextEncoder().encode(input) : input instanceof ArrayBuffer ? new Uint8Array(input) : input;
    if (data.byteLength > maxBytes) throw tooLarge(operation, data.byteLength, maxBytes);
    const sha256 = createHash('sha256').update(data).digest('hex');
    return { sha256, bytes: data.byteLength, head: data.subarray(0, SNIFF_BYTES), body: { kind: 'bytes', data }, cleanup: async () => {} };
  }
  if (isPathBody(input)) {
    let size: number;
    try {
      const stats = await stat(input.path);
      if (!stats.isFile()) throw new Error('not a regular file');
      size = stats.size;
    } catch (error) {
      throw new StorageError('not_found', `${operation}: cannot read file ${input.path}: ${(error as Error).message}`, { cause: error, details: { path: input.path } });
    }
    if (size > maxBytes) throw tooLarge(operation, size, maxBytes);
    // 8 MiB reads: fewer, larger hash updates measured fastest here (see bench/).
    const hashed = await hashStream(createReadStream(input.path, { highWaterMark: 8 << 20 }), options);
    return { ...hashed, body: { kind: 'file', path: input.path }, cleanup: async () => {} };
  }
  assertPutBody(input, operation);
  // A stream can fail before pipeline() listens (a file stream of a missing file emits ENOENT on
  // the next tick): hold its error until then, or Node throws it as an unhandled 'error' event.
  const held = holdErrors(input instanceof Readable ? input : undefined);
  const spool = join(options.tmpDir, `kiln-spool-${randomUUID()}`);
  const cleanup = () => rm(spool, { force: true });
  let file: ReturnType<typeof createWriteStream> | undefined;
  try {
    try {
      await mkdir(options.tmpDir, { recursive: true });
    } catch (error) {
      throw new StorageError('io', `${operation}: cannot create the spool folder ${options.tmpDir}: ${(error as Error).message}`, { cause: error });
    }
    const stream = input instanceof Readable ? input : Readable.fromWeb(input as WebReadableStream<Uint8Array>);
    file = createWriteStream(spool);
    const hashed = await hashStream(stream, options, file, held);
    return { ...hashed, body: { kind: 'file', path: spool }, cleanup };
  } catch (error) {
    // pipeline() rejects as soon as a stage fails, which can be before the file stream has opened
    // (and then closed) its file: removing the spool before that races the open and leaves it behind.
    if (file && !file.closed) {
      const opened = file;
      const closed = new Promise<void>((resolve) => opened.once('close', () => resolve()));
      opened.destroy();
      await closed;
    }
    await cleanup();
    if (input instanceof Readable && !input.destroyed) input.destroy();
    throw error;
  } finally {
    held.release();
  }
}

/** Records the first error `stream` emits until `release()`, so that none goes unhandled. */
function holdErrors(stream: Readable | undefined): { readonly error: unknown; release(): void } {
  let first: unknown;
  const onError = (error: unknown) => {
    first ??= error;
  };
  stream?.on('error', onError);
  return {
    get error() {
      return first;
    },
    release: () => void stream?.off('error', onError),
  };
}

/** Throws a `KilnValidationError` naming `body` unless `value` is one of the {@link PutBody} forms. */
export function assertPutBody(value: unknown, operation: string): asserts value is PutBody {
  if (typeof value === 'string' || value instanceof Uint8Array || value instanceof ArrayBuffer) return;
  if (isPathBody(value) || isWebStream(value) || value instanceof Readable) return;
  const got =
    value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object without a non-empty string `path`' : typeof value;
  throw new KilnValidationError(
    `${operation}: invalid input: body must be a Uint8Array, ArrayBuffer, string, { path }, Node Readable or web ReadableStream; got ${got}`,
    [{ path: 'body', message: `unsupported body: ${got}` }],
  );
}

function isPathBody(value: unknown): value is { path: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { path?: unknown }).path === 'string' &&
    (value as { path: string }).path.length > 0 &&
    !(value instanceof Readable)
  );
}

async function hashStream(
  source: Readable,
  options: PrepareOptions,
  sink?: NodeJS.WritableStream,
  held?: { readonly error: unknown },
): Promise<{ sha256: string; bytes: number; head: Uint8Array }> {
  const hash = createHash('sha256');
  let bytes = 0;
  let head = new Uint8Array(0);
  const { maxBytes, operation, signal } = options;
  async function* measure(chunks: AsyncIterable<Buffer | Uint8Array | string>) {
    for await (const raw of chunks) {
      const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
      bytes += chunk.byteLength;
      if (bytes > maxBytes) throw tooLarge(operation, bytes, maxBytes);
      if (head.byteLength < SNIFF_BYTES) {
        const merged = new Uint8Array(Math.min(SNIFF_BYTES, head.byteLength + chunk.byteLength));
        merged.set(head);
        merged.set(chunk.subarray(0, merged.byteLength - head.byteLength), head.byteLength);
        head = merged;
      }
      hash.update(chunk);
      options.onHashProgress?.(bytes);
      if (sink) yield chunk;
    }
  }
  try {
    if (held?.error !== undefined) throw held.error;
    if (sink) await pipeline(source, measure, sink, signal ? { signal } : {});
    else await pipeline(source, async (chunks: AsyncIterable<Buffer>) => { for await (const _ of measure(chunks)) void _; }, signal ? { signal } : {});
  } catch (error) {
    if (signal?.aborted) throw abortError(operation, signal);
    if (error instanceof StorageError) throw error;
    throw new StorageError('io', `${operation}: cannot read the body: ${(error as Error).message}`, { cause: error });
  }
  return { sha256: hash.digest('hex'), bytes, head };
}
