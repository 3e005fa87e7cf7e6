import { z } from 'zod';
import { parseInput } from '@kiln/manifest';
import { CORS_EXPOSE_HEADERS } from './cors.js';
import { originSchema } from './origins.js';

/** A CloudFront list: `Quantity` is always `Items.length`. */
export interface CloudFrontList<T> {
  Quantity: number;
  Items: T[];
}

/**
 * A CloudFront `ResponseHeadersPolicyConfig` (CloudFront API shape, the input of
 * `CreateResponseHeadersPolicyCommand` in `@aws-sdk/client-cloudfront`), limited to the parts
 * {@link cloudFrontResponseHeadersPolicy} writes.
 */
export interface ResponseHeadersPolicyConfig {
  Name: string;
  Comment?: string;
  CorsConfig?: {
    AccessControlAllowOrigins: CloudFrontList<string>;
    AccessControlAllowHeaders: CloudFrontList<string>;
    AccessControlAllowMethods: CloudFrontList<'GET' | 'HEAD' | 'OPTIONS' | 'PUT' | 'POST' | 'PATCH' | 'DELETE' | 'ALL'>;
    AccessControlAllowCredentials: boolean;
    AccessControlExposeHeaders?: CloudFrontList<string>;
    AccessControlMaxAgeSec?: number;
    OriginOverride: boolean;
  };
  CustomHeadersConfig?: CloudFrontList<{ Header: string; Value: string; Override: boolean }>;
}

/** Options of {@link cloudFrontResponseHeadersPolicy}. */
export interface ResponseHeadersPolicyOptions {
  /** Policy name, unique in the account: 1-128 letters, digits, `-` or `_`. */
  name: string;
  /** Exact origins allowed by CORS, or `['*']`. Default: `['*']` (public, credential-less assets). */
  origins?: readonly string[];
  /** Preflight cache in seconds (0-86400). Default: `3600`. */
  maxAgeSeconds?: number;
  /** Free text shown in the console (at most 128 characters). Default: a description of the policy. */
  comment?: string;
}

const schema = z.object({
  name: z.string({ error: 'must be a string' }).regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be 1-128 letters, digits, "-" or "_"'),
  origins: z
    .array(originSchema({ wildcards: 'any-origin' }))
    .min(1, 'must list at least one origin')
    .refine((list) => !list.includes('*') || list.length === 1, 'must be ["*"] alone or exact origins without "*"')
    .default(['*']),
  maxAgeSeconds: z.number().int('must be a whole number of seconds').min(0, 'must not be negative').max(86_400, 'must be at most 86400 s').default(3600),
  comment: z.string().max(128, 'must be at most 128 characters').default('Kiln assets: Cross-Origin-Resource-Policy cross-origin and CORS for WebGL loaders'),
});

/**
 * A CloudFront response headers policy for the asset distribution: it adds
 * `Cross-Origin-Resource-Policy: cross-origin` (overriding the origin's, so pages with
 * `Cross-Origin-Embedder-Policy: require-corp` — needed for `SharedArrayBuffer` and threaded WASM
 * decoders — can load the assets) and answers CORS for `origins`: `GET`/`HEAD`, request header
 * `range`, exposing `ETag`, `Content-Length`, `Content-Range`, `Accept-Ranges`, no credentials,
 * overriding any CORS headers from S3. The cache behaviour must allow `OPTIONS` for preflights.
 * Plain JSON: pass it as `ResponseHeadersPolicyConfig` to `CreateResponseHeadersPolicyCommand`
 * (`@aws-sdk/client-cloudfront`, not a dependency of Kiln) or write it into IaC.
 *
 * @throws KilnValidationError naming the field, such as `origins.0: must be an exact origin; …`.
 * @example
 * ```ts
 * const config = cloudFrontResponseHeadersPolicy({ name: 'kiln-assets', origins: ['https://game.example.com'] });
 * await cloudfront.send(new CreateResponseHeadersPolicyCommand({ ResponseHeadersPolicyConfig: config }));
 * ```
 */
export function cloudFrontResponseHeadersPolicy(options: ResponseHeadersPolicyOptions): ResponseHeadersPolicyConfig {
  const o = parseInput(schema, options, 'storage.cloudFrontResponseHeadersPolicy');
  const origins = [...new Set(o.origins)];
  return {
    Name: o.name,
    Comment: o.comment,
    CorsConfig: {
      AccessControlAllowOrigins: { Quantity: origins.length, Items: origins },
      AccessControlAllowHeaders: { Quantity: 1, Items: ['range'] },
      AccessControlAllowMethods: { Quantity: 2, Items: ['GET', 'HEAD'] },
      AccessControlAllowCredentials: false,
      AccessControlExposeHeaders: { Quantity: CORS_EXPOSE_HEADERS.length, Items: [...CORS_EXPOSE_HEADERS] },
      AccessControlMaxAgeSec: o.maxAgeSeconds,
      OriginOverride: true,
    },
    CustomHeadersConfig: {
      Quantity: 1,
      Items: [{ Header: 'Cross-Origin-Resource-Policy', Value: 'cross-origin', Override: true }],
    },
  };
}
