import { resolve } from 'node:path';
import { z } from 'zod';
import { parseInput } from '@kiln/manifest';

/** Where the CDN server reports problems it recovers from (a malformed sidecar, a failed stream). */
export interface CdnLogger {
  warn(message: string): void;
}

/** Options of {@link startCdnServer} and {@link createCdnRequestHandler}. */
export interface CdnServerOptions {
  /** Directory written by `fsDriver({ root })`: objects at `<root>/<key>`, sidecars under `<root>/.kiln/meta/`. */
  root: string;
  /** Interface to listen on (`startCdnServer` only). Default: `'127.0.0.1'`. */
  host?: string;
  /** Port to listen on; 0 picks a free one (`startCdnServer` only). Default: `0`. */
  port?: number;
  /**
   * Secret of the presigned URLs, the same as `fsDriver({ signingSecret })`. Without it, presigned
   * URLs (and so uploads) are refused. At least 16 characters.
   */
  signingSecret?: string;
  /**
   * Origins allowed to read from the server in a browser, such as `['https://game.example']`, or
   * `'*'` for any. A listed origin is echoed in `Access-Control-Allow-Origin` with `Vary: Origin`.
   * Default: `'*'`.
   */
  allowedOrigins?: readonly string[] | '*';
  /** When true, every GET and HEAD needs a valid presigned URL (needs `signingSecret`). Default: `false`. */
  requireSignature?: boolean;
  /** Largest body a presigned PUT may upload, in bytes; larger uploads get 413. Default: 5 GiB (the S3 single-PUT limit). */
  maxUploadBytes?: number;
  /** Receives warnings; the server never writes to the console. Default: a logger that drops them. */
  logger?: CdnLogger;
}

/** 5 GiB, the largest single PUT that S3 accepts. */
const FIVE_GIB = 5 * 1024 ** 3;

/** Defaults of {@link CdnServerOptions}. */
export const CDN_SERVER_DEFAULTS: Required<Omit<CdnServerOptions, 'root' | 'signingSecret'>> = {
  host: '127.0.0.1',
  port: 0,
  allowedOrigins: '*',
  requireSignature: false,
  maxUploadBytes: FIVE_GIB,
  logger: { warn: () => {} },
};

/** Options after validation and defaults. @internal */
export interface CdnConfig extends Required<Omit<CdnServerOptions, 'signingSecret'>> {
  /** Absolute. */
  root: string;
  signingSecret: string | undefined;
}

const originSchema = z.string().refine(
  (origin) => {
    try {
      return new URL(origin).origin === origin;
    } catch {
      return false;
    }
  },
  'must be an origin such as https://game.example (scheme, host and optional port; no path, no trailing slash)',
);

const optionsSchema = z
  .object({
    root: z.string().min(1),
    host: z.string().min(1).optional(),
    port: z.number().int().min(0).max(65535).optional(),
    signingSecret: z.string().min(16, 'must be at least 16 characters').optional(),
    allowedOrigins: z.union([z.literal('*'), z.array(originSchema)]).optional(),
    requireSignature: z.boolean().optional(),
    maxUploadBytes: z.number().int().positive().max(FIVE_GIB, 'must be at most 5 GiB (5368709120)').optional(),
    logger: z
      .custom<CdnLogger>(
        (value) => typeof value === 'object' && value !== null && typeof (value as CdnLogger).warn === 'function',
        'must be an object with a warn(message) method',
      )
      .optional(),
  })
  .refine((o) => !o.requireSignature || o.signingSecret !== undefined, {
    message: 'requireSignature needs signingSecret (the secret the presigned URLs are signed with)',
    path: ['requireSignature'],
  });

/**
 * Validates `options` (errors start with `prefix`) and fills in {@link CDN_SERVER_DEFAULTS};
 * `undefined` values take the default.
 * @internal
 */
export function resolveCdnOptions(options: CdnServerOptions, prefix: string): CdnConfig {
  const parsed = parseInput(optionsSchema, options, prefix);
  const d = CDN_SERVER_DEFAULTS;
  return {
    root: resolve(parsed.root),
    host: parsed.host ?? d.host,
    port: parsed.port ?? d.port,
    signingSecret: parsed.signingSecret,
    allowedOrigins: parsed.allowedOrigins ?? d.allowedOrigins,
    requireSignature: parsed.requireSignature ?? d.requireSignature,
    maxUploadBytes: parsed.maxUploadBytes ?? d.maxUploadBytes,
    logger: parsed.logger ?? d.logger,
  };
}
