// The shared JobStore contract on PostgreSQL: one fresh schema per test, dropped afterwards.
import { describe, it } from 'vitest';
import type { JobStore } from '@kiln/core';
import { openPostgresStore } from '@kiln/core/postgres';
import { testJobStore } from '../contract/store-contract.js';
import { dropSchema, freshSchema, postgresUrl } from './helpers.js';

if (postgresUrl) {
  const url = postgresUrl;
  testJobStore('postgres', async () => {
    const schema = freshSchema();
    let store: JobStore = await openPostgresStore({ connectionString: url, schema, poolSize: 4 });
    return {
      store,
      reopen: async () => {
        await store.close();
        store = await openPostgresStore({ connectionString: url, schema, poolSize: 4 });
        return store;
      },
      cleanup: async () => {
        await store.close();
        await dropSchema(url, schema);
      },
    };
  });
} else {
  describe.skip('JobStore contract: postgres (KILN_TEST_PG=none)', () => {
    it('needs PostgreSQL', () => {});
  });
}
