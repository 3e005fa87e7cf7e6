/**
 * `@kiln/core/postgres`: the PostgreSQL {@link JobStore} for scale-out (many workers on many
 * machines sharing one queue). A subpath of its own so that `pg`, an optional peer dependency,
 * is only needed by those who import it.
 *
 * @example
 * ```ts
 * import { createJobClient } from '@kiln/core';
 * import { openPostgresStore } from '@kiln/core/postgres';
 *
 * const store = await openPostgresStore({ connectionString: 'postgres://kiln@db.internal:5432/kiln' });
 * const client = createJobClient({ store, backends });
 * await client.start();
 * ```
 * @module @kiln/core/postgres
 */
export { openPostgresStore } from './store/postgres/store.js';
export type { PostgresStore } from './store/postgres/store.js';
export { POSTGRES_STORE_DEFAULTS } from './store/postgres/options.js';
export type { PostgresStoreOptions } from './store/postgres/options.js';
export { POSTGRES_MIGRATIONS } from './store/postgres/migrations.js';
export type { PostgresMigration } from './store/postgres/migrations.js';
// Types a caller of this subpath needs without reaching into the main entry.
export type { JobStore } from './store/types.js';
