import type { CORSConfiguration } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { parseInput } from '@kiln/manifest';
import { HeaderNameSchema, originSchema } from './origins.js';

/** Options of {@link corsRules}. */
export interface CorsOptions {
  /**
   * Origins allowed to load assets: exact lower-case origins (`https://game.example.com`), or the
   * wildcard forms S3 accepts (`https://*.example.com`, `http://localhost:*`, `*` alone).
   */
  origins: readonly string[];
  /** Also allow `PUT`, for browser uploads to presigned URLs. Default: `false`. */
  allowPut?: boolean;
  /** How long browsers may cache a preflight answer, in seconds (0-86400). Default: `3600`. */
  maxAgeSeconds?: number;
  /**
   * Request headers to allow besides `range` and `content-type`, for uploads that sign more
   * headers (for example `cache-control`). Default: none.
   */
  extraAllowedHeaders?: readonly string[];
}

/**
 * Defaults of {@link corsRules}; `origins` has none.
 * @example
 * ```ts
 * corsRules({ origins: ['https://game.example.com'], maxAgeSeconds: CORS_DEFAULTS.maxAgeSeconds * 2 });
 * ```
 */
export const CORS_DEFAULTS: Required<Omit<CorsOptions, 'origins'>> = {
  allowPut: false,
  maxAgeSeconds: 3600,
  extraAllowedHeaders: [],
};

/**
 * `ID` of the rule {@link corsRules} writes.
 * @example
 * ```ts
 * const ours = held.CORSRules?.find((rule) => rule.ID === CORS_RULE_ID);
 * ```
 */
export const CORS_RULE_ID = 'kiln-webgl';

/**
 * Request headers allowed by default. `range` for partial reads (KTX2/Basis and glTF buffer range
 * loaders, video seeks; browsers that predate the Fetch rule making simple ranges safelisted still
 * preflight it), `content-type` for presigned `PUT`s, which sign it.
 * @example
 * ```ts
 * CORS_ALLOWED_HEADERS; // ['range', 'content-type']
 * ```
 */
export const CORS_ALLOWED_HEADERS: readonly string[] = ['range', 'content-type'];

/**
 * Response headers exposed to scripts: `ETag` (multipart uploads and cache checks read it; without
 * it the SDK and Uppy fail with "Could not read the ETag header"), `Content-Length` (progress),
 * `Content-Range` and `Accept-Ranges` (range loaders).
 * @example
 * ```ts
 * CORS_EXPOSE_HEADERS; // ['ETag', 'Content-Length', 'Content-Range', 'Accept-Ranges']
 * ```
 */
export const CORS_EXPOSE_HEADERS: readonly string[] = ['ETag', 'Content-Length', 'Content-Range', 'Accept-Ranges'];

const OPERATION = 'storage.corsRules';

const schema = z.object({
  origins: z.array(originSchema({ wildcards: 's3' }), { error: 'must be an array of origins' }).min(1, 'must list at least one origin'),
  allowPut: z.boolean().default(CORS_DEFAULTS.allowPut),
  maxAgeSeconds: z
    .number()
    .int('must be a whole number of seconds')
    .min(0, 'must not be negative')
    .max(86_400, 'must be at most 86400 s; browsers cap preflight caching there (Firefox) or lower (Chromium: 7200 s)')
    .default(CORS_DEFAULTS.maxAgeSeconds),
  extraAllowedHeaders: z.array(HeaderNameSchema).default([...CORS_DEFAULTS.extraAllowedHeaders]),
});

/**
 * The bucket CORS configuration for loading assets into WebGL pages served from `origins`: one rule
 * allowing `GET` and `HEAD` (plus `PUT` with `allowPut`), the request headers `range` and
 * `content-type`, exposing `ETag`, `Content-Length`, `Content-Range` and `Accept-Ranges`, with a
 * preflight cache of `maxAgeSeconds`. Pass it as `CORSConfiguration` to `PutBucketCorsCommand`, or
 * as `cors` to {@link applyBucketSetup}.
 *
 * The allowed headers are an explicit list rather than `*`: it names what Kiln's loaders and
 * presigned uploads actually send, it is the same list the CloudFront response headers policy
 * carries (so S3 and the CDN answer preflights alike), and a client that starts sending another
 * header fails its preflight in development instead of being silently allowed (add it to
 * `extraAllowedHeaders` on purpose).
 *
 * @throws KilnValidationError naming the field, such as `origins.0: must not have a path, …`.
 * @example
 * ```ts
 * const cors = corsRules({ origins: ['https://game.example.com', 'http://localhost:*'], allowPut: true });
 * await client.send(new PutBucketCorsCommand({ Bucket: 'assets', CORSConfiguration: cors }));
 * ```
 */
export function corsRules(options: CorsOptions): CORSConfiguration {
  const o = parseInput(schema, options, OPERATION);
  const allowedHeaders = [...new Set([...CORS_ALLOWED_HEADERS, ...o.extraAllowedHeaders])];
  return {
    CORSRules: [
      {
        ID: CORS_RULE_ID,
        AllowedOrigins: [...new Set(o.origins)],
        AllowedMethods: o.allowPut ? ['GET', 'HEAD', 'PUT'] : ['GET', 'HEAD'],
        AllowedHeaders: allowedHeaders,
        ExposeHeaders: [...CORS_EXPOSE_HEADERS],
        MaxAgeSeconds: o.maxAgeSeconds,
      },
    ],
  };
}
