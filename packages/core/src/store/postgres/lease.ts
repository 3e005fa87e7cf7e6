import type { Pool } from 'pg';
import type { LeaseOptions, StepRecord } from '../types.js';
import { inTransaction, q, storeFailed } from './sql.js';

/**
 * Leases steps in one transaction: finds the projects that have eligible steps, least recently
 * served first; locks a fair share of eligible steps of each, oldest ready first, skipping rows
 * other transactions hold (`FOR UPDATE SKIP LOCKED`); takes them round-robin (the first of each
 * project, then the second, …) up to `limit` with
 * `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT n)`; and records when each project
 * was served. Two workers leasing at once get disjoint steps; neither waits for the other. @internal
 */
export async function leaseSteps(pool: Pool, schema: string, options: LeaseOptions): Promise<StepRecord[]> {
  const s = q(schema);
  const state = options.state ?? 'ready';
  const limit = Math.max(0, Math.floor(options.limit));
  if (limit === 0) return [];
  const params: unknown[] = [
    state,
    options.now,
    [...(options.exclude?.projects ?? [])],
    [...(options.exclude?.backends ?? [])],
    [...(options.exclude?.batches ?? [])],
  ];
  const eligible = `state = $1
    AND (lease_until IS NULL OR lease_until <= $2)
    ${state === 'ready' ? 'AND (not_before IS NULL OR not_before <= $2)' : ''}
    AND NOT (project_id = ANY($3::text[]))
    AND NOT (backend = ANY($4::text[]))
    AND (batch_id IS NULL OR NOT (batch_id = ANY($5::text[])))`;
  // Outside the transaction: most calls (an idle worker's pump) find nothing and end here.
  let projects: { project_id: string }[];
  try {
    ({ rows: projects } = await pool.query<{ project_id: string }>(
      `SELECT p.project_id FROM (SELECT DISTINCT project_id FROM ${s}.kiln_steps WHERE ${eligible}) p
       LEFT JOIN ${s}.kiln_served v USING (project_id)
       ORDER BY v.served NULLS FIRST, p.project_id`,
      params,
    ));
  } catch (error) {
    throw storeFailed('lease', error);
  }
  if (projects.length === 0) return [];
  // Candidates locked per project: enough for a fair share and one more, not `limit` each, so
  // that concurrent leases do not skip rows this one locks and then leaves.
  const perProject = projects.length <= 1 ? limit : Math.min(limit, Math.ceil(limit / projects.length) + 1);
  return inTransaction(
    pool,
    async (client) => {
      // A lease need not survive a server crash (the step is leased again, and its completion is
      // a compare-and-set): no WAL flush wait for it.
      await client.query('SET LOCAL synchronous_commit = off');
      const { rows } = await client.query<{ record: StepRecord; project_id: string; rn: string; pn: string }>(
        `UPDATE ${s}.kiln_steps t SET lease_owner = $8, lease_until = $9
         FROM (
           SELECT c.id, p.project_id, p.pn, c.rn
           FROM unnest($6::text[]) WITH ORDINALITY AS p(project_id, pn)
           CROSS JOIN LATERAL (
             SELECT x.id, row_number() OVER (ORDER BY x.ready_seq NULLS LAST) AS rn
             FROM (
               SELECT id, ready_seq FROM ${s}.kiln_steps
               WHERE project_id = p.project_id AND ${eligible}
               ORDER BY ready_seq NULLS LAST
               LIMIT $10
               FOR UPDATE SKIP LOCKED
             ) x
           ) c
           ORDER BY c.rn, p.pn
           LIMIT $7
         ) picked
         WHERE t.id = picked.id
         RETURNING t.record, picked.project_id, picked.rn, picked.pn`,
        [...params, projects.map((p) => p.project_id), limit, options.workerId, options.now + options.leaseMs, perProject],
      );
      // Round-robin order: the first of each project (least recently served first), then the second, …
      rows.sort((a, b) => Number(a.rn) - Number(b.rn) || Number(a.pn) - Number(b.pn));
      if (rows.length > 0) {
        // The project served last gets the highest number; rows are written in project order so
        // that two leases never wait on each other in opposite orders.
        const last = new Map<string, number>();
        rows.forEach((r, i) => last.set(r.project_id, i));
        const served = [...last].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        await client.query(
          `INSERT INTO ${s}.kiln_served AS v (project_id, served)
           SELECT u.project_id, base.v * 1000000 + u.i
           FROM (SELECT nextval('${s}.kiln_serve_seq') AS v) base, unnest($1::text[], $2::int[]) AS u(project_id, i)
           ORDER BY u.project_id
           ON CONFLICT (project_id) DO UPDATE SET served = EXCLUDED.served`,
          [served.map(([p]) => p), served.map(([, i]) => i)],
        );
      }
      return rows.map((r) => r.record);
    },
    'lease',
  );
}

/** Extends a lease the worker holds. @internal */
export async function renewLease(pool: Pool, schema: string, stepId: string, workerId: string, leaseMs: number, now: number): Promise<boolean> {
  const { rowCount } = await pool.query(`UPDATE ${q(schema)}.kiln_steps SET lease_until = $3 WHERE id = $1 AND lease_owner = $2`, [stepId, workerId, now + leaseMs]);
  return (rowCount ?? 0) > 0;
}

/** Gives a lease back (only the holder's). @internal */
export async function releaseLease(pool: Pool, schema: string, stepId: string, workerId: string): Promise<void> {
  await pool.query(`UPDATE ${q(schema)}.kiln_steps SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2`, [stepId, workerId]);
}
