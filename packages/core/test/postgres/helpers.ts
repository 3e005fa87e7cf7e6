// Helpers of the Postgres store tests: the private server's URL (test/setup/servers.ts) and a
// fresh schema per test, dropped afterwards.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

/** The private PostgreSQL of this run; undefined with KILN_TEST_PG=none (the tests skip). */
export const postgresUrl: string | undefined = inject('postgresUrl');

/** A schema name no other test uses. */
export function freshSchema(prefix = 'kiln_t'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** Drops a test schema and everything in it. */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
