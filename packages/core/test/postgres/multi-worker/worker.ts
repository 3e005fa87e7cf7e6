// A worker process of the multi-worker test (../multi-worker.test.ts): opens the Postgres store
// (applying migrations, racing the other workers that start at the same moment), runs a job
// client on it until SIGTERM, and appends one line per backend execution to
// `<dir>/executions-<workerId>.log` (synchronously, before the work, so that a kill -9 cannot lose
// it), and one line per lease grant, renewal and release to `<dir>/leases-<workerId>.log`.
// Outputs go to a shared @kiln/storage fs store: the second step of a run may run on another
// worker than the first and reads its input from there.
//
// argv: <connection string> <schema> <worker id> <dir> <lease ms>
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createJobClient, functionBackend, storageSink, type LeaseOptions, type Logger } from '@kiln/core';
import { openPostgresStore, type PostgresStore } from '@kiln/core/postgres';
import { createAssetStore, fsDriver } from '@kiln/storage';
import { fakePng } from '../../helpers/fakes.js';

const [connectionString, schema, workerId, dir, leaseMsArg] = process.argv.slice(2) as [string, string, string, string, string];
const executions = openSync(join(dir, `executions-${workerId}.log`), 'a');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// Warnings and errors go to stderr, which the test keeps and shows when an assertion fails.
const logger: Logger = {
  debug: () => {},
  info: () => {},
  warn: (message) => process.stderr.write(`[${workerId}] warn: ${message}\n`),
  error: (message) => process.stderr.write(`[${workerId}] error: ${message}\n`),
};

const pgStore = await openPostgresStore({ connectionString, schema, pollMs: 200, logger });
// Every lease grant, renewal and release, with the worker's clock, to <dir>/leases-<workerId>.log:
// the test checks from them that no step was ever granted to two workers at once.
//   grant <now> <returned at> <until> <stepId> <state>
//   renew <now> <until> <stepId> ok|lost
//   release <at> <stepId>
const leases = openSync(join(dir, `leases-${workerId}.log`), 'a');
const store: PostgresStore = new Proxy(pgStore, {
  get(target, name, receiver) {
    const value = Reflect.get(target, name, receiver) as unknown;
    if (typeof value !== 'function') return value;
    if (name === 'lease') {
      return async (options: LeaseOptions) => {
        const steps = await target.lease(options);
        const until = options.now + options.leaseMs;
        const end = Date.now();
        if (steps.length > 0) writeSync(leases, steps.map((st) => `grant ${options.now} ${end} ${until} ${st.id} ${st.state}\n`).join(''));
        return steps;
      };
    }
    if (name === 'renew') {
      return async (stepId: string, id: string, leaseMs: number, now: number) => {
        const ok = await target.renew(stepId, id, leaseMs, now);
        writeSync(leases, `renew ${now} ${now + leaseMs} ${stepId} ${ok ? 'ok' : 'lost'}\n`);
        return ok;
      };
    }
    if (name === 'release') {
      return async (stepId: string, id: string) => {
        writeSync(leases, `release ${Date.now()} ${stepId}\n`);
        await target.release(stepId, id);
      };
    }
    return (value as (...args: unknown[]) => unknown).bind(target);
  },
});
const backend = functionBackend({
  name: 'fn',
  run: async (request) => {
    writeSync(executions, `${Date.now()} ${workerId} ${request.attemptId} ${request.stepId} ${request.idempotencyKey}\n`);
    await sleep(2 + Math.random() * 6);
    let salt = 0;
    for (const c of request.stepId) salt = (Math.imul(salt, 31) + c.charCodeAt(0)) >>> 0;
    return [{ filename: 'out.png', contentType: 'image/png', data: fakePng(64, 64, salt) }];
  },
});
const client = createJobClient({
  store,
  backends: { fn: backend },
  artifacts: storageSink({ store: createAssetStore({ driver: fsDriver({ root: join(dir, 'assets') }) }) }),
  workerId,
  leaseMs: Number(leaseMsArg),
  limits: { concurrency: 8 },
  poll: { minMs: 10, maxMs: 40 },
  quality: false,
  retry: { baseDelayMs: 10, maxDelayMs: 50 },
  logger,
});

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  void (async () => {
    await client.close();
    await store.close();
    closeSync(executions);
    closeSync(leases);
    process.stdout.write(`stopped ${JSON.stringify({ workerId, executions: backend.executions, submissions: backend.submissions })}\n`);
    process.exit(0);
  })();
});

await client.start();
process.stdout.write(`started ${workerId}\n`);
