import { z } from 'zod';
import { parseInput } from '@kiln/manifest';
import { mapConcurrent } from './concurrency.js';
import { BLOB_FOLDER, readRef } from './ref.js';
import type { StoreContext } from './store.js';

/** Options of `tenant.gc()`. */
export interface GcOptions {
  /**
   * Blobs younger than this are kept even when unreferenced, so an upload that has written its
   * blob but not yet its name is never collected. Default 24 hours.
   */
  graceMs?: number;
  /** Report what would be deleted, delete nothing. */
  dryRun?: boolean;
  signal?: AbortSignal;
}

/** What `gc()` found and did. */
export interface GcReport {
  referenced: number;
  deleted: string[];
  freedBytes: number;
  dryRun: boolean;
}

/** Default of {@link GcOptions.graceMs}. */
export const GC_GRACE_MS = 24 * 3600 * 1000;

const optionsSchema = z.object({
  graceMs: z.number().min(0, 'must be 0 or more').optional(),
  dryRun: z.boolean().optional(),
  signal: z.instanceof(AbortSignal, { message: 'must be an AbortSignal' }).optional(),
});

/**
 * Mark and sweep over one tenant: every name marks its blob, unmarked blobs older than the grace
 * period are deleted. Deleting a name never deletes bytes at once because another name, in any
 * run, may share them.
 * @internal
 */
export async function collectGarbage(context: StoreContext, tenantId: string, input: GcOptions = {}): Promise<GcReport> {
  const options = parseInput(optionsSchema, input, 'storage.gc');
  const blobPrefix = `${tenantId}/${BLOB_FOLDER}/`;
  const blobs: { key: string; bytes: number; lastModified?: Date }[] = [];
  const names: string[] = [];
  const signal = options.signal ? { signal: options.signal } : {};
  for await (const item of context.driver.listObjects(`${tenantId}/`, signal)) {
    if (item.key.startsWith(blobPrefix)) blobs.push(item);
    else if (item.bytes === 0) names.push(item.key);
  }
  const referenced = new Set<string>();
  await mapConcurrent(names, context.concurrency, async (key) => {
    const info = await context.driver.headObject(key, signal);
    const ref = info && readRef(info.metadata);
    if (ref) referenced.add(ref.blob);
  });
  const cutoff = Date.now() - (options.graceMs ?? GC_GRACE_MS);
  const garbage = blobs.filter((b) => !referenced.has(b.key) && (b.lastModified?.getTime() ?? 0) < cutoff);
  if (!options.dryRun && garbage.length > 0) await context.driver.deleteObjects(garbage.map((b) => b.key));
  return {
    referenced: referenced.size,
    deleted: garbage.map((b) => b.key),
    freedBytes: garbage.reduce((sum, b) => sum + b.bytes, 0),
    dryRun: options.dryRun ?? false,
  };
}
