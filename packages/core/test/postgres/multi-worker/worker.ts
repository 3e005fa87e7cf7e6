// A worker process of the multi-worker test (../multi-worker.test.ts): opens the Postgres store
// (applying migrations, racing the other workers that start at the same moment), runs a job
// client on it until SIGTERM, and appends one line per backend execution to
// `<dir>/executions-<workerId>.log` (synchronously, before the work, so that a kill -9 cannot lose
// it). Outputs go to a shared @kiln/storage fs store: the second step of a run may run on another
// worker than the first and reads its input from there.
//
// argv: <connection string> <schema> <worker id> <dir> <lease ms>
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createJobClient, functionBackend, storageSink, type Logger } from '@kiln/core';
import { openPostgresStore } from '@kiln/core/postgres';
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
// KILN_MW_TRACE=1: every lease, renew and release with its time, to <dir>/trace-<workerId>.log.
const trace = process.env['KILN_MW_TRACE'] ? openSync(join(dir, `trace-${workerId}.log`), 'a') : undefined;
const store: typeof pgStore = trace === undefined ? pgStore : new Proxy(pgStore, {
  get(target, name, receiver) {
    const value = Reflect.get(target, name, receiver) as unknown;
    if (typeof value !== 'function') return value;
    if (name !== 'lease' && name !== 'renew' && name !== 'release' && name !== 'commit') return value.bind(target);
    return async (...args: unknown[]) => {
      const t0 = Date.now();
      const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
      const summary = name === 'lease' ? (result as { id: string; state: string }[]).map((s) => `${s.id}:${s.state}`).join(',') : name === 'commit' ? (result as { steps: { id: string; state: string; version: number }[] }).steps.map((s) => `${s.id}:${s.state}:${s.version}`).join(',') : String(result);
      const detail = name === 'lease' ? JSON.stringify({ ...(args[0] as object), exclude: undefined }) : name === 'commit' ? '' : JSON.stringify(args);
      writeSync(trace, `${t0} ${Date.now()} ${name} ${detail} => ${summary}\n`);
      return result;
    };
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
    process.stdout.write(`stopped ${JSON.stringify({ workerId, executions: backend.executions, submissions: backend.submissions })}\n`);
    process.exit(0);
  })();
});

await client.start();
process.stdout.write(`started ${workerId}\n`);
