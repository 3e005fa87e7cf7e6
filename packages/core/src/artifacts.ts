import type { AssetStore, ArtifactType } from '@kiln/storage';
import type { ManifestAssetInput, WrittenManifest } from '@kiln/storage';
import { CoreError } from './errors.js';
import { sha256Hex } from './keys.js';
import type { ArtifactRef } from './store/types.js';

/** What {@link ArtifactSink.put} stores. */
export interface ArtifactInput {
  projectId: string;
  runId: string;
  stepId: string;
  /** Role: `image`, `model`, … */
  name: string;
  filename: string;
  contentType: string;
  data: Uint8Array;
  metadata?: Record<string, unknown>;
  signal?: AbortSignal;
}

/** One asset of a run manifest. */
export interface ManifestEntry {
  ref: ArtifactRef;
  /** Manifest id (unique in the run). */
  id: string;
  metadata?: Record<string, unknown>;
}

/**
 * Where step outputs go. A step waits for `put()` (the upload) before it completes; later steps
 * read their inputs through `get()`. {@link storageSink} puts them in @kiln/storage under the
 * tenant/run layout; {@link memorySink} keeps them in memory (tests).
 */
export interface ArtifactSink {
  put(input: ArtifactInput): Promise<ArtifactRef>;
  get(ref: ArtifactRef, context: { projectId: string; signal?: AbortSignal }): Promise<Uint8Array>;
  /** Writes the manifest of a finished run; resolves with its key and URL. */
  writeManifest?(input: { projectId: string; runId: string; assets: ManifestEntry[] }): Promise<{ key: string; url: string }>;
}

/** A sink in memory: bytes by content hash. Lost with the process. */
export function memorySink(): ArtifactSink & { readonly size: number } {
  const blobs = new Map<string, Uint8Array>();
  return {
    get size() {
      return blobs.size;
    },
    async put(input) {
      const sha256 = sha256Hex(input.data);
      blobs.set(sha256, input.data);
      return {
        name: input.name,
        filename: input.filename,
        contentType: input.contentType,
        sha256,
        bytes: input.data.byteLength,
        key: `${input.projectId}/${input.runId}/${input.filename}`,
        ...(input.metadata ? { metadata: input.metadata } : {}),
      };
    },
    async get(ref) {
      const data = blobs.get(ref.sha256);
      if (!data) throw new CoreError('not_found', `memorySink: no artifact ${ref.sha256} (${ref.filename})`);
      return data;
    },
  };
}

/** Options of {@link storageSink}. */
export interface StorageSinkOptions {
  /** The asset store; the project id is the tenant. */
  store: AssetStore;
  /** Maps a project to its tenant id. Default: the project id. */
  tenantOf?: (projectId: string) => string;
}

/** The @kiln/storage artifact type of a content type. */
export function artifactTypeOf(contentType: string): ArtifactType {
  if (contentType.startsWith('image/')) return 'image';
  if (contentType.startsWith('model/')) return 'model_3d';
  if (contentType.startsWith('video/')) return 'video';
  if (contentType.startsWith('audio/')) return 'audio';
  return 'bundle';
}

/**
 * A sink on @kiln/storage: each output is uploaded to `{tenant}/{runId}/{type}/{filename}`
 * (content-hash deduplicated) and the step waits for the upload. Runs write their manifest to
 * `{tenant}/{runId}/bundle/manifest.json`.
 */
export function storageSink(options: StorageSinkOptions): ArtifactSink {
  const tenantOf = options.tenantOf ?? ((projectId: string) => projectId);
  return {
    async put(input) {
      const tenant = options.store.tenant(tenantOf(input.projectId));
      const record = await tenant
        .upload({ runId: input.runId, artifactType: artifactTypeOf(input.contentType), filename: input.filename }, input.data, input.signal ? { signal: input.signal } : {})
        .done();
      return {
        name: input.name,
        filename: input.filename,
        contentType: record.contentType,
        sha256: record.sha256,
        bytes: record.bytes,
        key: record.key,
        ...(record.url ? { url: record.url } : {}),
        ...(input.metadata ? { metadata: input.metadata } : {}),
      };
    },
    async get(ref, context) {
      if (!ref.key) throw new CoreError('not_found', `storageSink: artifact ${ref.filename} has no storage key`);
      return options.store.tenant(tenantOf(context.projectId)).getBytes(ref.key, context.signal ? { signal: context.signal } : {});
    },
    async writeManifest(input) {
      const tenant = options.store.tenant(tenantOf(input.projectId));
      const assets: ManifestAssetInput[] = input.assets
        .filter((a) => a.ref.key !== undefined)
        .map((a) => {
          const triangles = a.ref.metadata?.['triangles'];
          return {
            name: a.ref.key as string,
            id: a.id,
            ...(typeof triangles === 'number' ? { triangles } : {}),
            ...(a.metadata ? { metadata: a.metadata } : {}),
          };
        });
      const written: WrittenManifest = await tenant.writeManifest({ runId: input.runId, assets });
      return { key: written.key, url: written.url };
    },
  };
}
