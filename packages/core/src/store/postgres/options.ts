import type { Pool } from 'pg';
import { z } from 'zod';
import { parseInput } from '@kiln/manifest';
import type { Logger } from '../../logger.js';

/** Options of {@link openPostgresStore}. Give either `pool` or `connectionString`. */
export interface PostgresStoreOptions {
  /**
   * A `pg.Pool` you own: the store borrows connections (one of them permanently, for LISTEN while
   * something watches the store) and never ends the pool. Use it to set SSL, timeouts or a
   * custom `types` parser yourself.
   */
  pool?: Pool;
  /** `postgres://user:password@host:5432/db`: the store makes (and on close, ends) its own pool. */
  connectionString?: string;
  /**
   * Schema of the store's tables (created if missing). Several stores can share a database by
   * using different schemas. Lowercase letters, digits and `_`, at most 48 characters. Default `kiln`.
   */
  schema?: string;
  /** Size of the pool the store makes from `connectionString`. Default 10. */
  poolSize?: number;
  /** `statement_timeout` of the connections of the pool the store makes, in ms; 0 = none. Default 30000. */
  statementTimeoutMs?: number;
  /** Passed to `pg` for the pool the store makes (`true`, or `{ ca, rejectUnauthorized }`). Default: none. */
  ssl?: boolean | { ca?: string; rejectUnauthorized?: boolean };
  /**
   * Fallback wake-up of watchers (`watch()`) when no notification came: the client then looks for
   * work, lapsed leases and settled runs. Default 1000 ms.
   */
  pollMs?: number;
  /** Notifications arriving within this window wake watchers once. Default 25 ms. */
  notifyCoalesceMs?: number;
  /** Apply pending schema migrations on open (under an advisory lock). Default true. */
  migrate?: boolean;
  /** Clock of `updatedAt` and event times. Default `Date.now`. */
  now?: () => number;
  logger?: Logger;
}

/** Defaults of {@link PostgresStoreOptions}. */
export const POSTGRES_STORE_DEFAULTS = {
  schema: 'kiln',
  poolSize: 10,
  statementTimeoutMs: 30_000,
  pollMs: 1000,
  notifyCoalesceMs: 25,
  migrate: true,
} as const;

const OptionsSchema = z
  .object({
    pool: z.custom<Pool>((v) => typeof v === 'object' && v !== null && typeof (v as Pool).connect === 'function' && typeof (v as Pool).query === 'function', {
      message: 'must be a pg.Pool (an object with connect() and query())',
    }).optional(),
    connectionString: z.string().min(1, 'must not be empty').optional(),
    schema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,47}$/, 'must be lowercase letters, digits and _, start with a letter or _, at most 48 characters')
      .optional(),
    poolSize: z.number().int().min(1).max(1000).optional(),
    statementTimeoutMs: z.number().int().min(0).optional(),
    ssl: z.union([z.boolean(), z.object({ ca: z.string().optional(), rejectUnauthorized: z.boolean().optional() })]).optional(),
    pollMs: z.number().int().min(10).max(3_600_000).optional(),
    notifyCoalesceMs: z.number().int().min(0).max(10_000).optional(),
    migrate: z.boolean().optional(),
    now: z.custom<() => number>((v) => typeof v === 'function', { message: 'must be a function' }).optional(),
    logger: z.custom<Logger>((v) => typeof v === 'object' && v !== null, { message: 'must be a logger' }).optional(),
  })
  .refine((o) => (o.pool === undefined) !== (o.connectionString === undefined), { message: 'give exactly one of pool and connectionString' });

/** The options with defaults applied. @internal */
export interface ResolvedPostgresOptions {
  pool?: Pool;
  connectionString?: string;
  schema: string;
  poolSize: number;
  statementTimeoutMs: number;
  ssl?: boolean | { ca?: string; rejectUnauthorized?: boolean };
  pollMs: number;
  notifyCoalesceMs: number;
  migrate: boolean;
  now: () => number;
  logger?: Logger;
}

/** Validates the options (a `KilnValidationError` naming each bad field) and applies the defaults. @internal */
export function resolveOptions(input: PostgresStoreOptions): ResolvedPostgresOptions {
  const o = parseInput(OptionsSchema, input, 'openPostgresStore');
  const resolved: ResolvedPostgresOptions = {
    schema: o.schema ?? POSTGRES_STORE_DEFAULTS.schema,
    poolSize: o.poolSize ?? POSTGRES_STORE_DEFAULTS.poolSize,
    statementTimeoutMs: o.statementTimeoutMs ?? POSTGRES_STORE_DEFAULTS.statementTimeoutMs,
    pollMs: o.pollMs ?? POSTGRES_STORE_DEFAULTS.pollMs,
    notifyCoalesceMs: o.notifyCoalesceMs ?? POSTGRES_STORE_DEFAULTS.notifyCoalesceMs,
    migrate: o.migrate ?? POSTGRES_STORE_DEFAULTS.migrate,
    now: o.now ?? Date.now,
  };
  if (input.pool) resolved.pool = input.pool;
  if (o.connectionString !== undefined) resolved.connectionString = o.connectionString;
  if (o.ssl !== undefined) resolved.ssl = o.ssl as NonNullable<ResolvedPostgresOptions['ssl']>;
  if (input.logger) resolved.logger = input.logger;
  return resolved;
}
