import type { Pool, PoolClient } from 'pg';
import { CoreError, isCoreError } from '../../errors.js';

/** Quotes an identifier (the schema name is validated too; this is the second fence). @internal */
export function q(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

/** SQLSTATEs after which the whole transaction may simply run again. */
const RETRYABLE = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected
const MAX_TX_RETRIES = 5;

/** The SQLSTATE of a `pg` error, if any. @internal */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * Runs `work` in one transaction (READ COMMITTED) on a pooled connection; a deadlock or a
 * serialization failure runs it again (Postgres rolled everything back). Errors that are not
 * {@link CoreError}s become `store_failed` with the driver's error as `cause`. @internal
 */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>, what = 'transaction'): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    let client: PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw storeFailed(what, error);
    }
    let broken: unknown;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        broken = rollbackError;
      }
      if (RETRYABLE.has(sqlState(error) ?? '') && attempt < MAX_TX_RETRIES) continue;
      throw storeFailed(what, error);
    } finally {
      client.release(broken instanceof Error ? broken : undefined);
    }
  }
}

/** Wraps a driver error as `store_failed` (CoreErrors pass through). @internal */
export function storeFailed(what: string, error: unknown): unknown {
  if (isCoreError(error)) return error;
  const state = sqlState(error);
  const message = error instanceof Error ? error.message : String(error);
  return new CoreError('store_failed', `postgres store: ${what} failed${state ? ` (SQLSTATE ${state})` : ''}: ${message}`, {
    cause: error,
    ...(state ? { details: { sqlState: state } } : {}),
  });
}

/** A bigint column (returned as a string by `pg`) as a number. @internal */
export function num(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}
