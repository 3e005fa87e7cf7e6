import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, link, mkdir, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { parseInput } from '@kiln/manifest';
import type {
  GetObjectOptions,
  ListedObject,
  ObjectInfo,
  PresignInput,
  PutObjectInput,
  PutObjectResult,
  StorageDriver,
} from '../driver.js';
import { StorageError, throwIfAborted } from '../errors.js';

/** Options of {@link fsDriver}. */
export interface FsDriverOptions {
  /** Directory that holds the objects. Created on first write. */
  root: string;
  /**
   * Base URL of the local CDN server that serves `root` (see `startCdnServer`). Needed by
   * `presign()`, which returns URLs on this server.
   */
  baseUrl?: string;
  /** Secret for presigned URLs; the CDN server must be given the same one. */
  signingSecret?: string;
}

const optionsSchema = z.object({
  root: z.string().min(1),
  baseUrl: z.url({ protocol: /^https?$/ }).optional(),
  signingSecret: z.string().min(16, 'must be at least 16 characters').optional(),
});

/** Folder (under `root`) of the metadata sidecars: `<root>/.kiln/meta/<key>.json`. */
export const FS_META_DIR = '.kiln/meta';

/**
 * Path of an object's metadata sidecar: `<root>/.kiln/meta/<key>.json`. A filename too long to
 * take the `.json` suffix (over 250 bytes; file systems allow 255) gets a sidecar named by its
 * hash instead, `<sha256 of the filename>.long.json`, so every valid key has one.
 */
export function fsMetaPath(root: string, key: string): string {
  const segments = key.split('/');
  const filename = segments.pop() ?? '';
  const sidecar = Buffer.byteLength(filename) + '.json'.length > 255 ? `${createHash('sha256').update(filename).digest('hex')}.long.json` : `${filename}.json`;
  return join(root, FS_META_DIR, ...segments, sidecar);
}

/**
 * Commits in progress, by absolute data path, across every fsDriver of this process. An object is
 * two files (data and sidecar) committed by two renames; two writers of one key interleaving them
 * would pair one's data with the other's sidecar, so commits of a key run one at a time, and
 * reads wait for a commit in progress. Separate processes writing one key at the same instant
 * are not coordinated (use an S3 server for that).
 */
const commits = new Map<string, Promise<void>>();

function commitInOrder(path: string, commit: () => Promise<boolean>): Promise<boolean> {
  const previous = commits.get(path) ?? Promise.resolve();
  const run = previous.then(commit);
  const settled = run.then(
    () => undefined,
    () => undefined,
  );
  commits.set(path, settled);
  void settled.then(() => {
    if (commits.get(path) === settled) commits.delete(path);
  });
  return run;
}
/** Folder (under `root`) of files being written; renamed into place when complete. */
export const FS_TMP_DIR = '.kiln/tmp';

/** Contents of a metadata sidecar. */
export interface FsObjectMeta {
  contentType: string;
  cacheControl?: string;
  metadata: Record<string, string>;
  bytes: number;
  etag: string;
}

/** Query parameters of a presigned fs URL. */
export const FS_PRESIGN_PARAMS = { expires: 'X-Kiln-Expires', method: 'X-Kiln-Method', signature: 'X-Kiln-Signature' } as const;

/**
 * The signature of a presigned fs URL: HMAC-SHA256 over method, key, expiry (Unix seconds), the
 * signed Content-Type and, when there is one, the Content-Disposition override of a GET.
 * Exported so the CDN server verifies exactly what the driver signs.
 */
export function fsPresignSignature(secret: string, method: string, key: string, expires: number, contentType = '', contentDisposition = ''): string {
  const disposition = contentDisposition === '' ? '' : `\n${contentDisposition}`;
  return createHmac('sha256', secret).update(`${method}\n${key}\n${expires}\n${contentType}${disposition}`).digest('hex');
}

/** Constant-time check of a presigned fs URL's signature. */
export function verifyFsPresignSignature(
  secret: string,
  input: { method: string; key: string; expires: number; contentType?: string; contentDisposition?: string; signature: string },
): boolean {
  // Buffer.from(hex) stops at the first non-hex character: check the shape first, or a valid
  // signature with junk appended would pass.
  if (!/^[0-9a-f]{64}$/.test(input.signature)) return false;
  const expected = Buffer.from(fsPresignSignature(secret, input.method, input.key, input.expires, input.contentType, input.contentDisposition), 'hex');
  const given = Buffer.from(input.signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * A storage driver on a local directory, with the same contract as the S3 driver: used by the
 * demo, development and tests. Writes are atomic (temp file, then `link`/`rename`), so a crash
 * never leaves a half-written object, and `ifNoneMatch` is enforced by `link(2)`, which fails if
 * the target exists.
 *
 * @example
 * ```ts
 * const store = createAssetStore({ driver: fsDriver({ root: './assets' }) });
 * ```
 */
export function fsDriver(options: FsDriverOptions): StorageDriver {
  const { root, baseUrl, signingSecret } = parseInput(optionsSchema, options, 'fsDriver');
  const dataPath = (key: string) => join(root, ...key.split('/'));
  const metaPath = (key: string) => fsMetaPath(root, key);
  const committed = (key: string) => commits.get(resolve(dataPath(key)));
  const tmpPath = () => join(root, FS_TMP_DIR, randomUUID());

  /** The sidecar of `key`, after any commit of it in progress. */
  async function readMeta(key: string): Promise<FsObjectMeta | undefined> {
    await committed(key);
    return readMetaNow(key);
  }

  async function readMetaNow(key: string): Promise<FsObjectMeta | undefined> {
    try {
      return JSON.parse(await readFile(metaPath(key), 'utf8')) as FsObjectMeta;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw new StorageError('io', `fsDriver: cannot read metadata of ${key}`, { cause: error, details: { key } });
    }
  }

  async function info(key: string): Promise<ObjectInfo | undefined> {
    const meta = await readMeta(key);
    if (!meta) return undefined;
    let stats;
    try {
      stats = await stat(dataPath(key));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    return {
      key,
      bytes: stats.size,
      contentType: meta.contentType,
      ...(meta.cacheControl === undefined ? {} : { cacheControl: meta.cacheControl }),
      metadata: meta.metadata,
      etag: meta.etag,
      lastModified: stats.mtime,
    };
  }

  return {
    name: 'fs',
    capabilities: { conditionalWrites: true, presign: baseUrl !== undefined && signingSecret !== undefined },

    async putObject(input: PutObjectInput): Promise<PutObjectResult> {
      throwIfAborted('fsDriver.putObject', input.signal);
      const target = dataPath(input.key);
      const dataTmp = tmpPath();
      const metaTmp = tmpPath();
      await mkdir(join(root, FS_TMP_DIR), { recursive: true });
      try {
        if (input.body.kind === 'bytes') await writeFile(dataTmp, input.body.data, { signal: input.signal });
        else await copyFile(input.body.path, dataTmp);
        throwIfAborted('fsDriver.putObject', input.signal);
        const meta: FsObjectMeta = {
          contentType: input.contentType,
          cacheControl: input.cacheControl,
          metadata: input.metadata,
          bytes: input.bytes,
          etag: input.sha256,
        };
        await writeFile(metaTmp, JSON.stringify(meta));
        await mkdir(dirname(target), { recursive: true });
        await mkdir(dirname(metaPath(input.key)), { recursive: true });
        const created = await commitInOrder(resolve(target), async () => {
          if (input.ifNoneMatch) {
            try {
              await link(dataTmp, target);
            } catch (error) {
              if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
              // Data without metadata is a write that crashed between its two renames: it never
              // existed as an object (head() does not see it), so this write completes it.
              if ((await readMetaNow(input.key)) !== undefined) return false;
              await rename(dataTmp, target);
            }
          } else {
            await rename(dataTmp, target);
          }
          await rename(metaTmp, metaPath(input.key));
          return true;
        });
        if (!created) return { created: false };
        input.onProgress?.(input.bytes);
        return { created: true, etag: meta.etag };
      } catch (error) {
        if (error instanceof StorageError) throw error;
        if ((error as Error).name === 'AbortError') throwIfAborted('fsDriver.putObject', input.signal);
        throw new StorageError('io', `fsDriver: cannot write ${input.key}: ${(error as Error).message}`, {
          cause: error,
          details: { key: input.key },
        });
      } finally {
        await rm(dataTmp, { force: true });
        await rm(metaTmp, { force: true });
      }
    },

    async headObject(key: string): Promise<ObjectInfo | undefined> {
      return info(key);
    },

    async getObject(key: string, options: GetObjectOptions = {}): Promise<{ info: ObjectInfo; body: Readable }> {
      throwIfAborted('fsDriver.getObject', options.signal);
      const found = await info(key);
      if (!found) throw new StorageError('not_found', `fsDriver: no object ${key}`, { details: { key } });
      const range = options.range;
      const body = createReadStream(dataPath(key), {
        ...(range ? { start: range.start, ...(range.end === undefined ? {} : { end: range.end }) } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      return { info: found, body };
    },

    async deleteObjects(keys: readonly string[]): Promise<void> {
      for (const key of keys) {
        await commitInOrder(resolve(dataPath(key)), async () => {
          await unlink(dataPath(key)).catch(ignoreNotFound);
          await unlink(metaPath(key)).catch(ignoreNotFound);
          return true;
        });
      }
    },

    async *listObjects(prefix: string, options: { signal?: AbortSignal } = {}): AsyncIterable<ListedObject> {
      // Walks only the folder that holds the prefix, in sorted order like S3's ListObjectsV2.
      const base = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
      for await (const path of walk(join(root, ...base.split('/').filter(Boolean)))) {
        throwIfAborted('fsDriver.listObjects', options.signal);
        const key = relative(root, path).split(sep).join('/');
        if (!key.startsWith(prefix) || key.startsWith('.kiln/')) continue;
        const meta = await readMeta(key);
        if (!meta) continue; // being written
        const stats = await stat(path).catch(() => undefined);
        if (stats) yield { key, bytes: stats.size, lastModified: stats.mtime };
      }
    },

    async presign(input: PresignInput): Promise<string> {
      if (baseUrl === undefined || signingSecret === undefined) {
        throw new StorageError('unsupported', 'fsDriver.presign: needs the `baseUrl` and `signingSecret` options');
      }
      const expires = Math.floor(Date.now() / 1000) + input.expiresIn;
      // The signed type is the request Content-Type of a PUT, or the response override of a GET,
      // so neither can be changed without breaking the signature.
      const signedType = input.method === 'PUT' ? input.contentType : input.responseContentType;
      const disposition = input.method === 'GET' ? input.responseContentDisposition : undefined;
      const signature = fsPresignSignature(signingSecret, input.method, input.key, expires, signedType, disposition);
      const url = new URL(input.key.split('/').map(encodeURIComponent).join('/'), baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
      url.searchParams.set(FS_PRESIGN_PARAMS.method, input.method);
      url.searchParams.set(FS_PRESIGN_PARAMS.expires, String(expires));
      if (input.responseContentType) url.searchParams.set('response-content-type', input.responseContentType);
      if (disposition) url.searchParams.set('response-content-disposition', disposition);
      url.searchParams.set(FS_PRESIGN_PARAMS.signature, signature);
      return url.toString();
    },
  };
}

async function* walk(dir: string): AsyncIterable<string> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (isNotFound(error)) return;
    throw error;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}

function isNotFound(error: unknown): boolean {
  // ENOTDIR: a key below a key that is a file (`a.glb/x`); it does not exist either.
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG';
}

function ignoreNotFound(error: unknown): void {
  if (!isNotFound(error)) throw error;
}
