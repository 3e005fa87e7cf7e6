import { type FileHandle, open, readFile, realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { z } from 'zod';
import { fsMetaPath } from '../drivers/fs.js';
import { StorageError } from '../errors.js';
import { readRef } from '../ref.js';
import type { CdnLogger } from './options.js';
import { checkObjectKey } from './request-key.js';

/** An object opened for serving: its headers' inputs and an open handle on its bytes. */
export interface OpenedObject {
  contentType: string;
  /** From the sidecar (of the ref, for a ref); `undefined` when absent or empty. */
  cacheControl: string | undefined;
  /** Unquoted. */
  etag: string | undefined;
  size: number;
  /** `undefined` for refs: the bytes may be older than the name. */
  lastModified: Date | undefined;
  /** Open on the bytes (of the blob, for a ref); the caller closes it. */
  handle: FileHandle;
}

// Header values must not hold control characters (CR, LF, NUL).
const headerValue = z.string().regex(/^[\t\x20-\x7e\x80-\xff]*$/, 'must be a valid header value');

/** The parts of an `FsObjectMeta` sidecar the server relies on. */
const sidecarSchema = z.object({
  contentType: headerValue.min(1),
  cacheControl: headerValue.optional(),
  metadata: z.record(z.string(), z.string()),
  etag: z.string().optional(),
});
type Sidecar = z.infer<typeof sidecarSchema>;

const MISSING = new Set(['ENOENT', 'ENOTDIR', 'ENAMETOOLONG', 'EISDIR']);
const isMissing = (error: unknown): boolean => MISSING.has((error as NodeJS.ErrnoException | undefined)?.code ?? '');

/**
 * Opens the object at `key` under `root`, following a ref to its blob. `undefined` when there is
 * no sidecar, no data file, or the data resolves (through symlinks) outside `root` or into its
 * `.kiln/` internals. Throws a `StorageError` (`io`) for an unreadable or malformed sidecar.
 */
export async function openObject(root: string, key: string, logger: CdnLogger): Promise<OpenedObject | undefined> {
  const sidecar = await readSidecar(root, key);
  if (!sidecar) return undefined;
  const cacheControl = sidecar.cacheControl?.trim() ? sidecar.cacheControl : undefined;
  const ref = readRef(sidecar.metadata);
  if (!ref) {
    const data = await openData(root, key, logger);
    if (!data) return undefined;
    return {
      contentType: sidecar.contentType,
      cacheControl,
      etag: sidecar.etag,
      size: data.size,
      lastModified: data.mtime,
      handle: data.handle,
    };
  }
  const blob = checkObjectKey(ref.blob);
  if (!blob.ok || !headerValue.safeParse(ref.contentType).success) {
    logger.warn(`cdnServer: ref ${key} points at an invalid blob key or content type; not served`);
    return undefined;
  }
  const data = await openData(root, blob.key, logger);
  if (!data) {
    logger.warn(`cdnServer: ref ${key} points at missing blob ${blob.key}`);
    return undefined;
  }
  if (data.size !== ref.bytes) logger.warn(`cdnServer: ref ${key} says ${ref.bytes} bytes, blob ${blob.key} has ${data.size}`);
  return { contentType: ref.contentType, cacheControl, etag: ref.sha256, size: data.size, lastModified: undefined, handle: data.handle };
}

async function readSidecar(root: string, key: string): Promise<Sidecar | undefined> {
  let text: string;
  try {
    text = await readFile(fsMetaPath(root, key), 'utf8');
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw new StorageError('io', `cdnServer: cannot read the metadata of ${key}`, { cause: error, details: { key } });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new StorageError('io', `cdnServer: malformed metadata sidecar of ${key}`, { cause: error, details: { key } });
  }
  const parsed = sidecarSchema.safeParse(json);
  if (!parsed.success) {
    throw new StorageError('io', `cdnServer: malformed metadata sidecar of ${key}: ${parsed.error.issues[0]?.message ?? ''}`, {
      cause: parsed.error,
      details: { key },
    });
  }
  return parsed.data;
}

async function openData(
  root: string,
  key: string,
  logger: CdnLogger,
): Promise<{ handle: FileHandle; size: number; mtime: Date } | undefined> {
  let realRoot: string;
  let realData: string;
  try {
    realRoot = await realpath(root);
    realData = await realpath(join(root, ...key.split('/')));
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
  const rel = relative(realRoot, realData);
  const first = rel.split(sep)[0] ?? '';
  if (rel === '' || first === '..' || isAbsolute(rel) || first.toLowerCase() === '.kiln') {
    logger.warn(`cdnServer: ${key} resolves outside the served directory; not served`);
    return undefined;
  }
  let handle: FileHandle;
  try {
    handle = await open(realData, 'r');
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
  try {
    const stats = await handle.stat();
    if (stats.isFile()) return { handle, size: stats.size, mtime: stats.mtime };
  } catch (error) {
    await handle.close();
    throw error;
  }
  await handle.close();
  return undefined;
}
