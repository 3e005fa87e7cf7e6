import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  type Asset,
  type AssetMetadata,
  type AssetType,
  createManifest,
  type LodVariant,
  type Manifest,
  parseInput,
  type Platform,
  type TextureCodec,
} from '@kiln/manifest';
import type { ArtifactRecord } from './artifact.js';
import { mapConcurrent, collect } from './concurrency.js';
import { StorageError } from './errors.js';
import { type ArtifactName, type ArtifactType, RunIdSchema, resolveKey } from './keys.js';
import { deliveryUrl } from './presign.js';
import { SHA256_META } from './ref.js';
import type { StoreContext } from './store.js';
import type { ArtifactRef, TenantStore } from './tenant.js';

/** One asset of a manifest to write. */
export interface ManifestAssetInput {
  /** The stored artifact (LOD0 for models). */
  name: ArtifactRef;
  /** Asset id in the manifest. Default: the filename without extension, made id-safe. */
  id?: string;
  /** Manifest asset type. Default: from the artifact type (`image` stays `image`, …). */
  type?: AssetType;
  /** Reduced LOD variants, most detailed first, each a stored artifact. */
  lods?: { name: ArtifactRef; triangles: number; switchDistance?: number; screenCoverage?: number }[];
  /** Triangles of LOD0. */
  triangles?: number;
  textureCodecs?: TextureCodec[];
  platformMinLod?: Partial<Record<Platform, number>>;
  /** Free metadata: prompt, tags, quality rating, version, lineage, … */
  metadata?: AssetMetadata;
}

/** Options of `tenant.writeManifest()`. */
export interface WriteManifestOptions {
  runId: string;
  /** The assets to list; default every artifact of the run (the manifest itself excluded). */
  assets?: ManifestAssetInput[];
  /** Filename under `{tenantId}/{runId}/bundle/`. Default `manifest.json`. */
  filename?: string;
}

/** The result of `writeManifest()`. */
export interface WrittenManifest {
  /** Key of the manifest object: `{tenantId}/{runId}/bundle/manifest.json`. */
  key: string;
  /** Where players fetch it: CDN URL, or a presigned GET URL. */
  url: string;
  manifest: Manifest;
}

/** Default manifest filename. */
export const MANIFEST_FILENAME = 'manifest.json';

const ASSET_TYPE_BY_ARTIFACT: Record<ArtifactType, AssetType> = {
  image: 'image',
  video: 'video',
  audio: 'audio',
  bundle: 'bundle',
  model_3d: 'model_3d',
  texture: 'texture',
  environment_map: 'environment_map',
  shader: 'shader',
};

const optionsSchema = z.object({
  runId: RunIdSchema,
  assets: z.array(z.object({ name: z.union([z.string(), z.object({}).passthrough()]) }).passthrough()).optional(),
  filename: z.string().optional(),
});

function defaultId(filename: string): string {
  const stem = filename.includes('.') ? filename.slice(0, filename.lastIndexOf('.')) : filename;
  return stem.replace(/[^A-Za-z0-9._:-]+/g, '-').replace(/^[-.]+|-+$/g, '').slice(0, 200) || 'asset';
}

/**
 * Builds and writes the asset manifest of a run. Asset keys are the content-hashed blob keys, so
 * players cache them forever; the manifest itself lives under a mutable name with a short TTL.
 * @internal
 */
export async function writeRunManifest(context: StoreContext, tenant: TenantStore, options: WriteManifestOptions): Promise<WrittenManifest> {
  const o = parseInput(optionsSchema, options, 'storage.writeManifest');
  const filename = options.filename ?? MANIFEST_FILENAME;
  const key = resolveKey(tenant.tenantId, { runId: o.runId, artifactType: 'bundle', filename }, 'storage.writeManifest');
  const inputs: ManifestAssetInput[] =
    options.assets ??
    (await collect(tenant.list({ runId: o.runId })))
      .filter((item) => item.key !== key)
      .map((item) => ({ name: item.key }));

  const publicCdn = context.visibility === 'public' ? context.cdnBaseUrl : undefined;
  const lookup = async (name: ArtifactRef): Promise<ArtifactRecord> => {
    const record = await tenant.head(name);
    if (!record) throw new StorageError('not_found', `storage.writeManifest: no artifact ${typeof name === 'string' ? name : nameToString(name)}`);
    return record;
  };
  // Public artifacts resolve through the manifest's cdnBaseUrl; private ones carry a presigned URL.
  const located = async (record: ArtifactRecord) => ({
    key: record.storageKey,
    ...(publicCdn === undefined || record.visibility === 'private' ? { url: await deliveryUrl(context, record) } : {}),
  });

  const assets: Asset[] = await mapConcurrent(inputs, context.concurrency, async (input) => {
    const record = await lookup(input.name);
    const lods: LodVariant[] = await mapConcurrent(input.lods ?? [], 4, async (lod) => {
      const variant = await lookup(lod.name);
      return {
        ...(await located(variant)),
        sha256: variant.sha256,
        bytes: variant.bytes,
        triangles: lod.triangles,
        ...(lod.switchDistance === undefined ? {} : { switchDistance: lod.switchDistance }),
        ...(lod.screenCoverage === undefined ? {} : { screenCoverage: lod.screenCoverage }),
      };
    });
    return {
      id: input.id ?? defaultId(record.filename),
      type: input.type ?? ASSET_TYPE_BY_ARTIFACT[record.artifactType],
      contentType: record.contentType,
      bytes: record.bytes,
      sha256: record.sha256,
      ...(await located(record)),
      ...(input.triangles === undefined ? {} : { triangles: input.triangles }),
      ...(lods.length > 0 ? { lods } : {}),
      ...(input.textureCodecs ? { textureCodecs: input.textureCodecs } : {}),
      ...(input.platformMinLod ? { platformMinLod: input.platformMinLod } : {}),
      ...(input.metadata ? { metadata: input.metadata } : {}),
    };
  });

  // createManifest validates: duplicate ids, LOD ordering, … are reported with their path.
  const manifest = createManifest({
    tenantId: tenant.tenantId,
    runId: o.runId,
    ...(publicCdn === undefined ? {} : { cdnBaseUrl: publicCdn }),
    assets,
  });
  const data = new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
  const sha256 = createHash('sha256').update(data).digest('hex');
  await context.driver.putObject({
    key,
    body: { kind: 'bytes', data },
    bytes: data.byteLength,
    sha256,
    contentType: 'application/json',
    cacheControl: context.mutableCacheControl,
    metadata: { [SHA256_META]: sha256 },
  });
  const written = await tenant.head(key);
  if (!written) throw new StorageError('io', `storage.writeManifest: ${key} was written but cannot be read back`);
  return { key, url: await deliveryUrl(context, written), manifest };
}

function nameToString(name: ArtifactName): string {
  return `${name.runId}/${name.artifactType}/${name.filename}`;
}
