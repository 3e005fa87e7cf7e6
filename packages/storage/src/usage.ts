import { z } from 'zod';
import { parseInput } from '@kiln/manifest';
import { estimateMonthlyCost, type CostEstimate, type Pricing } from './cost.js';
import { mapConcurrent } from './concurrency.js';
import { ARTIFACT_TYPES, type ArtifactType, parseArtifactKey } from './keys.js';
import { BLOB_FOLDER, readRef } from './ref.js';
import type { StoreContext } from './store.js';

/** Options of `tenant.usage()`. */
export interface UsageOptions {
  /** Prices for the estimate; default eu-north-1 (`DEFAULT_PRICING`). */
  pricing?: Pricing;
  /** Expected GET requests a month, for the estimate. Default 0. */
  getRequests?: number;
  /** Expected PUT requests a month. Default 0. */
  putRequests?: number;
  /** Expected bytes served to the internet a month. Default 0. */
  transferOutBytes?: number;
  signal?: AbortSignal;
}

/** Objects and bytes. */
export interface UsageCount {
  objects: number;
  bytes: number;
}

/** What a tenant stores. */
export interface TenantUsage {
  tenantId: string;
  /** Artifacts (names) and their logical bytes, per artifact type: what the tenant sees. */
  byType: Record<ArtifactType, UsageCount>;
  /** Sum of `byType`. */
  logical: UsageCount;
  /** Objects and bytes actually stored (each deduplicated blob once): what the bill counts. */
  stored: UsageCount;
  /** `logical.bytes - stored.bytes`: what deduplication saves. */
  dedupSavedBytes: number;
  /** Monthly cost of the stored bytes (Standard class) plus the requests and transfer asked for. */
  monthlyCost: CostEstimate;
}

const optionsSchema = z.object({
  pricing: z.custom<Pricing>((v) => typeof v === 'object' && v !== null, 'must be a pricing table').optional(),
  getRequests: z.number().min(0).optional(),
  putRequests: z.number().min(0).optional(),
  transferOutBytes: z.number().min(0).optional(),
  signal: z.instanceof(AbortSignal, { message: 'must be an AbortSignal' }).optional(),
});

/**
 * Scans a tenant's prefix: one listing (1000 keys a page) plus a HEAD per name to read its size
 * from the ref, `concurrency` at a time. S3 has no per-prefix usage API; a scan is exact and, at
 * $0.0004 per 1000 HEADs, cheap even for large tenants.
 * @internal
 */
export async function tenantUsage(context: StoreContext, tenantId: string, input: UsageOptions = {}): Promise<TenantUsage> {
  const options = parseInput(optionsSchema, input, 'storage.usage');
  const byType = Object.fromEntries(ARTIFACT_TYPES.map((t) => [t, { objects: 0, bytes: 0 }])) as Record<ArtifactType, UsageCount>;
  const stored: UsageCount = { objects: 0, bytes: 0 };
  const names: { key: string; type: ArtifactType; bytes: number }[] = [];
  for await (const item of context.driver.listObjects(`${tenantId}/`, options.signal ? { signal: options.signal } : {})) {
    stored.objects += 1;
    stored.bytes += item.bytes;
    if (item.key.startsWith(`${tenantId}/${BLOB_FOLDER}/`)) continue;
    const name = parseArtifactKey(tenantId, item.key);
    if (name) names.push({ key: item.key, type: name.artifactType, bytes: item.bytes });
  }
  await mapConcurrent(names, context.concurrency, async (name) => {
    // A plain object (a manifest, a presigned browser upload) holds its own bytes; a ref's
    // listing size is 0 and its HEAD says how large the artifact is.
    let bytes = name.bytes;
    if (bytes === 0) {
      const info = await context.driver.headObject(name.key, options.signal ? { signal: options.signal } : {});
      bytes = (info && readRef(info.metadata)?.bytes) ?? 0;
    }
    byType[name.type].objects += 1;
    byType[name.type].bytes += bytes;
  });
  const logical = Object.values(byType).reduce((sum, c) => ({ objects: sum.objects + c.objects, bytes: sum.bytes + c.bytes }), { objects: 0, bytes: 0 });
  const monthlyCost = estimateMonthlyCost(
    {
      storedBytesByClass: { STANDARD: stored.bytes },
      putRequests: options.putRequests ?? 0,
      getRequests: options.getRequests ?? 0,
      transferOutBytes: options.transferOutBytes ?? 0,
    },
    options.pricing,
  );
  return { tenantId, byType, logical, stored, dedupSavedBytes: Math.max(0, logical.bytes - stored.bytes), monthlyCost };
}
