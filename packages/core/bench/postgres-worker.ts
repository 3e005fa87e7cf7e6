// A worker process of `pnpm bench:core --store postgres`: opens the Postgres store, runs a job
// client with the in-process function backend (`latency` ms per task) until SIGTERM.
// argv: <connection string> <schema> <worker id> <latency ms> <concurrency>
import { createJobClient, functionBackend } from '../src/index.js';
import { openPostgresStore } from '../src/postgres.js';

const [url, schema, workerId, latencyArg, concurrencyArg] = process.argv.slice(2) as [string, string, string, string, string];
const latency = Number(latencyArg);
const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 64, 0, 0, 0, 64]);
const store = await openPostgresStore({ connectionString: url, schema, poolSize: 8 });
const client = createJobClient({
  store,
  workerId,
  backends: {
    fn: functionBackend({ name: 'fn', run: async () => (latency > 0 && (await new Promise((r) => setTimeout(r, latency))), [{ filename: 'o.png', contentType: 'image/png', data: png }]) }),
  },
  limits: { concurrency: Number(concurrencyArg) },
  quality: false,
  logger: { debug: () => {}, info: () => {}, warn: (m) => process.stderr.write(`[${workerId}] ${m}\n`), error: (m) => process.stderr.write(`[${workerId}] ${m}\n`) },
});
await client.start();
const keepAlive = setInterval(() => {}, 1 << 30);
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void (async () => {
    await client.close();
    await store.close();
    clearInterval(keepAlive);
  })();
});
