import { z } from 'zod';
import { parseInput } from '@kiln/manifest';
import type { ArtifactRecord } from './artifact.js';
import { contentTypeFor } from './content-type.js';
import { StorageError } from './errors.js';
import { type ArtifactName, resolveKey } from './keys.js';
import type { StoreContext } from './store.js';

/** Options of `tenant.presign()`. */
export interface PresignOptions {
  /** Default `GET`. */
  method?: 'GET' | 'PUT';
  /** Seconds until the URL expires; default the store's `presignExpiresIn` (3600). At most 7 days. */
  expiresIn?: number;
  /**
   * PUT: the Content-Type the uploader must send; it is part of the signature, so another type is
   * refused by the server. Default: the type for the filename's extension.
   */
  contentType?: string;
}

const optionsSchema = z.object({
  method: z.enum(['GET', 'PUT']).optional(),
  expiresIn: z.number().int().min(1).max(604800, 'must be at most 604800 (7 days, the SigV4 limit)').optional(),
  contentType: z
    .string()
    .regex(/^[\w.+-]+\/[\w.+-]+(;.*)?$/, 'must be a media type such as model/gltf-binary')
    .optional(),
});

/**
 * Presigns a URL for a name of one tenant. GET URLs of deduplicated artifacts point at the blob
 * (with the artifact's Content-Type and filename as response overrides); PUT URLs point at the
 * name itself and sign its Content-Type. Names outside the tenant are refused before signing.
 * @internal
 */
export async function presignArtifact(
  context: StoreContext,
  tenantId: string,
  name: ArtifactName | string,
  options: PresignOptions = {},
  head: (name: string) => Promise<ArtifactRecord | undefined>,
): Promise<string> {
  const key = resolveKey(tenantId, name, 'storage.presign');
  const o = parseInput(optionsSchema, options, 'storage.presign');
  if (!context.driver.capabilities.presign) {
    throw new StorageError('unsupported', `storage.presign: the ${context.driver.name} driver cannot presign URLs with these options`);
  }
  const expiresIn = o.expiresIn ?? context.presignExpiresIn;
  if ((o.method ?? 'GET') === 'PUT') {
    const filename = key.slice(key.lastIndexOf('/') + 1);
    return context.driver.presign({ key, method: 'PUT', expiresIn, contentType: o.contentType ?? contentTypeFor(filename) });
  }
  const record = await head(key);
  if (!record) throw new StorageError('not_found', `storage.presign: no artifact ${key}`, { details: { key } });
  return presignRecord(context, record, expiresIn);
}

function presignRecord(context: StoreContext, record: ArtifactRecord, expiresIn: number): Promise<string> {
  return context.driver.presign({
    key: record.storageKey,
    method: 'GET',
    expiresIn,
    responseContentType: record.contentType,
    responseContentDisposition: contentDisposition(record.filename),
  });
}

/**
 * The URL a player loads an artifact from. Public artifacts with a CDN configured get the CDN URL
 * of their content-hashed blob (cacheable forever); anything else gets a presigned GET URL.
 * @internal
 */
export async function deliveryUrl(context: StoreContext, record: ArtifactRecord): Promise<string> {
  if (record.visibility === 'public' && context.cdnBaseUrl !== undefined) {
    return `${context.cdnBaseUrl}/${record.storageKey.split('/').map(encodeURIComponent).join('/')}`;
  }
  if (!context.driver.capabilities.presign) {
    throw new StorageError('unsupported', `storage.url: no cdnBaseUrl is configured and the ${context.driver.name} driver cannot presign`);
  }
  return presignRecord(context, record, context.presignExpiresIn);
}

/**
 * `inline` with the filename as an RFC 8187 `filename*`: UTF-8, percent-encoded. RFC 8187 allows
 * only attr-chars unencoded, so `'`, `(`, `)` and `*`, which `encodeURIComponent` leaves alone,
 * are encoded too.
 */
export function contentDisposition(filename: string): string {
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `inline; filename*=UTF-8''${encoded}`;
}
