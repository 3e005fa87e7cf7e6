// The Postgres store's edges: option validation, connection failures, migrations (concurrent
// opens, a newer schema, migrate: false), a caller-owned pool, and concurrent leases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { isCoreError, isKilnError, type JobStore } from '@kiln/core';
import { openPostgresStore, POSTGRES_MIGRATIONS, POSTGRES_STORE_DEFAULTS, type PostgresStoreOptions } from '@kiln/core/postgres';
import { makeRun } from '../contract/fixtures.js';
import { dropSchema, freshSchema, postgresUrl } from './helpers.js';

describe('openPostgresStore: options', () => {
  const bad: [string, unknown, string][] = [
    ['neither pool nor connectionString', {}, 'give exactly one of pool and connectionString'],
    ['both', { connectionString: 'postgres://x@127.0.0.1/db', pool: { connect() {}, query() {} } }, 'give exactly one of pool and connectionString'],
    ['a schema with capitals and a dash', { connectionString: 'postgres://x@127.0.0.1/db', schema: 'Bad-Schema' }, 'schema: must be lowercase'],
    ['a schema of 49 characters', { connectionString: 'postgres://x@127.0.0.1/db', schema: 'a'.repeat(49) }, 'schema:'],
    ['poolSize 0', { connectionString: 'postgres://x@127.0.0.1/db', poolSize: 0 }, 'poolSize:'],
    ['pollMs 5', { connectionString: 'postgres://x@127.0.0.1/db', pollMs: 5 }, 'pollMs:'],
    ['a pool that is not one', { pool: { query() {} } }, 'pool: must be a pg.Pool'],
    ['an empty connection string', { connectionString: '' }, 'connectionString: must not be empty'],
  ];
  for (const [what, options, message] of bad) {
    it(`rejects ${what} before connecting`, async () => {
      const attempt = openPostgresStore(options as PostgresStoreOptions);
      await expect(attempt).rejects.toSatisfy((e) => isKilnError(e) && (e as Error).name === 'KilnValidationError');
      await expect(attempt).rejects.toThrow(message);
    });
  }

  it('exports its defaults', () => {
    expect(POSTGRES_STORE_DEFAULTS).toMatchObject({ schema: 'kiln', poolSize: 10, pollMs: 1000, migrate: true });
    expect(POSTGRES_MIGRATIONS.map((m) => m.version)).toEqual(POSTGRES_MIGRATIONS.map((_, i) => i + 1)); // 1, 2, … without gaps
  });

  it('fails with store_failed when nothing listens at the address', async () => {
    // Port 1 on 127.0.0.1: connection refused at once.
    await expect(openPostgresStore({ connectionString: 'postgres://kiln@127.0.0.1:1/postgres', statementTimeoutMs: 1000 })).rejects.toSatisfy((e) =>
      isCoreError(e, 'store_failed'),
    );
  });
});

describe.skipIf(!postgresUrl)('openPostgresStore: migrations, pools and leases', () => {
  const url = postgresUrl as string;
  const schemas: string[] = [];
  let admin: pg.Client;
  const schema = () => {
    const s = freshSchema();
    schemas.push(s);
    return s;
  };
  beforeAll(async () => {
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin.end();
    for (const s of schemas) await dropSchema(url, s);
  });

  it('migrates once when four stores open an empty schema at the same moment', async () => {
    const s = schema();
    const stores = await Promise.all(Array.from({ length: 4 }, () => openPostgresStore({ connectionString: url, schema: s, poolSize: 2 })));
    try {
      const { rows } = await admin.query(`SELECT version, name FROM "${s}".kiln_migrations`);
      expect(rows.sort((a, b) => a.version - b.version)).toEqual(POSTGRES_MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
      await stores[0]!.createRuns([makeRun('r1')]);
      expect((await stores[3]!.getRun('r1'))?.id).toBe('r1');
    } finally {
      await Promise.all(stores.map((st) => st.close()));
    }
  });

  it('refuses a schema newer than it knows, and a missing schema with migrate: false', async () => {
    const s = schema();
    await (await openPostgresStore({ connectionString: url, schema: s })).close();
    await admin.query(`INSERT INTO "${s}".kiln_migrations (version, name) VALUES (999, 'from the future')`);
    await expect(openPostgresStore({ connectionString: url, schema: s })).rejects.toThrow(new RegExp(`at migration 999, newer than this @kiln/core knows \\(${POSTGRES_MIGRATIONS.at(-1)!.version}\\)`));
    await expect(openPostgresStore({ connectionString: url, schema: schema(), migrate: false })).rejects.toSatisfy((e) => isCoreError(e, 'store_failed'));
  });

  it('upgrades a schema an older @kiln/core created: only the missing migrations run', async () => {
    const s = schema();
    await (await openPostgresStore({ connectionString: url, schema: s })).close();
    // Back to migration 1, as a worker on the previous release would have left it.
    await admin.query(`DELETE FROM "${s}".kiln_migrations WHERE version > 1`);
    await admin.query(`DROP INDEX "${s}".kiln_steps_timed`);
    await admin.query(`CREATE INDEX kiln_steps_timed ON "${s}".kiln_steps (not_before) WHERE state IN ('ready', 'retry_wait') AND not_before IS NOT NULL`);
    const store = await openPostgresStore({ connectionString: url, schema: s });
    try {
      const { rows } = await admin.query<{ version: number }>(`SELECT version FROM "${s}".kiln_migrations ORDER BY version`);
      expect(rows.map((r) => r.version)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
      const index = await admin.query<{ def: string }>(`SELECT pg_get_indexdef('"${s}".kiln_steps_timed'::regclass) AS def`);
      expect(index.rows[0]?.def).toContain('awaiting_review');
    } finally {
      await store.close();
    }
  });

  it('borrows a pool it was given and leaves it open on close', async () => {
    const pool = new pg.Pool({ connectionString: url, max: 3 });
    try {
      const store = await openPostgresStore({ pool, schema: schema() });
      await store.createRuns([makeRun('r1')]);
      await store.close();
      await expect(store.getRun('r1')).rejects.toSatisfy((e) => isCoreError(e, 'closed'));
      expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await pool.end();
    }
  });

  it('gives concurrent leases from separate pools disjoint steps', async () => {
    const s = schema();
    const stores: JobStore[] = await Promise.all(Array.from({ length: 3 }, () => openPostgresStore({ connectionString: url, schema: s, poolSize: 2 })));
    try {
      await stores[0]!.createRuns(Array.from({ length: 30 }, (_, i) => makeRun(`r${i}`, { projectId: `p${i % 3}`, steps: ['s'] })));
      const leased = await Promise.all(
        stores.flatMap((st, w) => [0, 1].map((k) => st.lease({ workerId: `w${w}-${k}`, limit: 7, leaseMs: 60_000, now: 1_000 }))),
      );
      const ids = leased.flat().map((st) => st.id);
      // Disjoint: SKIP LOCKED never hands one step to two leases (a lease may get fewer than its
      // limit while others hold rows; what is left is leased next time).
      expect(new Set(ids).size).toBe(ids.length);
      for (;;) {
        const more = await stores[1]!.lease({ workerId: 'late', limit: 7, leaseMs: 60_000, now: 1_000 });
        if (more.length === 0) break;
        ids.push(...more.map((st) => st.id));
      }
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.length).toBe(30);
      const { rows } = await admin.query(`SELECT count(*)::int AS n FROM "${s}".kiln_steps WHERE lease_owner IS NOT NULL`);
      expect(rows[0].n).toBe(30);
    } finally {
      await Promise.all(stores.map((st) => st.close()));
    }
  });
});
