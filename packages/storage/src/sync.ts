import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { parseInput } from '@kiln/manifest';
import { collect, mapConcurrent } from './concurrency.js';
import { extensionOf, resolveContentType, SNIFF_BYTES } from './content-type.js';
import { StorageError, throwIfAborted } from './errors.js';
import { ARTIFACT_TYPES, type ArtifactType, RunIdSchema, resolveKey } from './keys.js';
import { prepareBody } from './source.js';
import type { StoreContext } from './store.js';
import type { TenantStore } from './tenant.js';

/** Options of `tenant.sync()`. */
export interface SyncOptions {
  /** Local folder. Files at its top level get their artifact type from the extension; files in a subfolder named like an artifact type (`texture/`, `model_3d/`) get that type. */
  dir: string;
  runId: string;
  /** Delete names of the run that are no longer in the folder. Default false. */
  delete?: boolean;
  /** Report what would change, change nothing. Default false. */
  dryRun?: boolean;
  /** Called after each file. */
  onProgress?: (progress: SyncProgress) => void;
  signal?: AbortSignal;
}

/** Progress of a sync. */
export interface SyncProgress {
  done: number;
  total: number;
  file: string;
  action: 'upload' | 'skip' | 'delete';
}

/** What a sync did (or, with `dryRun`, would do). */
export interface SyncReport {
  uploaded: string[];
  skipped: string[];
  deleted: string[];
  /** Bytes sent; uploads of content the tenant already has send none. */
  uploadedBytes: number;
  dryRun: boolean;
}

/** Artifact type for a top-level file, by extension. */
export const ARTIFACT_TYPE_BY_EXTENSION: Readonly<Record<string, ArtifactType>> = {
  glb: 'model_3d',
  gltf: 'model_3d',
  ktx2: 'texture',
  png: 'image',
  jpg: 'image',
  jpeg: 'image',
  webp: 'image',
  avif: 'image',
  hdr: 'environment_map',
  exr: 'environment_map',
  mp4: 'video',
  webm: 'video',
  mp3: 'audio',
  wav: 'audio',
  ogg: 'audio',
  glsl: 'shader',
  vert: 'shader',
  frag: 'shader',
  wgsl: 'shader',
};

const optionsSchema = z.object({
  dir: z.string().min(1),
  runId: RunIdSchema,
  delete: z.boolean().optional(),
  dryRun: z.boolean().optional(),
  onProgress: z.custom<(p: SyncProgress) => void>((v) => typeof v === 'function', 'must be a function').optional(),
  signal: z.instanceof(AbortSignal).optional(),
});

interface LocalFile {
  path: string;
  key: string;
  relative: string;
}

async function localFiles(tenantId: string, dir: string, runId: string): Promise<LocalFile[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw new StorageError('not_found', `storage.sync: cannot read folder ${dir}: ${(error as Error).message}`, { cause: error });
  }
  const files: LocalFile[] = [];
  const add = (path: string, relative: string, artifactType: ArtifactType, filename: string) =>
    files.push({ path, relative, key: resolveKey(tenantId, { runId, artifactType, filename }, `storage.sync ${relative}`) });
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isFile()) {
      add(path, entry.name, ARTIFACT_TYPE_BY_EXTENSION[extensionOf(entry.name)] ?? 'bundle', entry.name);
    } else if (entry.isDirectory()) {
      if (!(ARTIFACT_TYPES as readonly string[]).includes(entry.name)) {
        throw new StorageError('invalid_key', `storage.sync: subfolder ${entry.name}/ is not an artifact type (${ARTIFACT_TYPES.join(', ')})`, {
          details: { field: 'dir', folder: entry.name },
        });
      }
      for (const inner of await readdir(path, { withFileTypes: true })) {
        if (inner.name.startsWith('.')) continue;
        if (!inner.isFile()) {
          throw new StorageError('invalid_key', `storage.sync: ${entry.name}/${inner.name} is nested too deep; keys hold one folder level (the artifact type)`, {
            details: { field: 'dir' },
          });
        }
        add(join(path, inner.name), `${entry.name}/${inner.name}`, entry.name as ArtifactType, inner.name);
      }
    }
  }
  return files;
}

/**
 * Uploads a folder into a run like `aws s3 sync`: a file whose SHA-256 equals the stored one is
 * skipped, others are uploaded (deduplicated within the tenant), and with `delete` names that are
 * no longer in the folder are removed. Every file is validated before anything is written.
 * @internal
 */
export async function syncFolder(context: StoreContext, tenant: TenantStore, options: SyncOptions): Promise<SyncReport> {
  const o = parseInput(optionsSchema, options, 'storage.sync');
  const files = await localFiles(tenant.tenantId, o.dir, o.runId);
  // Content check of every file before the first upload: a `.png` that is not a PNG would
  // otherwise fail halfway through, after other files were written.
  await mapConcurrent(files, context.concurrency, async (file) => {
    resolveContentType(file.key.slice(file.key.lastIndexOf('/') + 1), await readHead(file.path), `storage.sync ${file.relative}`);
  });
  const remote = await collect(tenant.list({ runId: o.runId, ...(o.signal ? { signal: o.signal } : {}) }));
  const report: SyncReport = { uploaded: [], skipped: [], deleted: [], uploadedBytes: 0, dryRun: o.dryRun ?? false };
  const localKeys = new Set(files.map((f) => f.key));
  const stale = o.delete ? remote.filter((r) => !localKeys.has(r.key)) : [];
  const total = files.length + stale.length;
  let done = 0;
  const progress = (file: string, action: SyncProgress['action']) => options.onProgress?.({ done: ++done, total, file, action });

  await mapConcurrent(files, context.concurrency, async (file) => {
    throwIfAborted('storage.sync', o.signal);
    const existing = await tenant.head(file.key);
    if (existing) {
      const local = await prepareBody({ path: file.path }, { operation: 'storage.sync', maxBytes: context.maxBytes, tmpDir: context.tmpDir, ...(o.signal ? { signal: o.signal } : {}) });
      if (local.sha256 === existing.sha256) {
        report.skipped.push(file.key);
        progress(file.relative, 'skip');
        return;
      }
    }
    if (!report.dryRun) {
      const record = await tenant.put(file.key, { path: file.path }, o.signal ? { signal: o.signal } : {});
      report.uploadedBytes += record.uploadedBytes;
    }
    report.uploaded.push(file.key);
    progress(file.relative, 'upload');
  });
  for (const item of stale) {
    if (!report.dryRun) await tenant.delete(item.key);
    report.deleted.push(item.key);
    progress(item.key, 'delete');
  }
  for (const list of [report.uploaded, report.skipped, report.deleted]) list.sort();
  return report;
}

/** The first {@link SNIFF_BYTES} of a file, for content sniffing. */
async function readHead(path: string): Promise<Uint8Array> {
  let handle;
  try {
    handle = await open(path, 'r');
    const buffer = new Uint8Array(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } catch (error) {
    throw new StorageError('not_found', `storage.sync: cannot read file ${path}: ${(error as Error).message}`, { cause: error, details: { path } });
  } finally {
    await handle?.close();
  }
}
