// A private PostgreSQL cluster for @kiln/core's Postgres JobStore: `initdb` into a fresh temporary
// directory, `pg_ctl start` with the server on 127.0.0.1 and a free port (no Unix socket, no system
// service), trust authentication for the one superuser. Stopped by PID (immediate shutdown, SIGKILL
// as the fallback), directory removed. initdb refuses to run as root: as root, every PostgreSQL
// command runs as `nobody` (setpriv), which then owns the directory.
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, isAlive, run, sleep, stopPids, tail, trackDirForExit, trackForExit, untrackDirForExit, which } from './process.js';

/** Thrown when the PostgreSQL server executables are not installed. */
export class PostgresUnavailableError extends Error {
  override name = 'PostgresUnavailableError';
}

/** A running private PostgreSQL. */
export interface RunningPostgres {
  /** `postgres://kiln@127.0.0.1:PORT/postgres` (trust authentication, 127.0.0.1 only). */
  connectionString: string;
  port: number;
  /** Server major version, e.g. `15`. */
  version: string;
  /** Immediate shutdown, then removes the directory. Idempotent. */
  stop(): Promise<void>;
}

export interface PostgresStartOptions {
  /**
   * Keep fsync and synchronous commit on (the defaults of a real server). Default false: the tests
   * turn them off for speed; the benchmark turns them on so that its numbers mean something.
   */
  durable?: boolean;
}

/** The Debian package that ships initdb, pg_ctl and postgres (test/system-packages.mjs, group `postgres`). */
const PACKAGE = 'postgresql';
/** The unprivileged user the server runs as when we are root. */
const NOBODY = { uid: 65534, gid: 65534 };

/** Finds `initdb`/`pg_ctl` of the newest installed major version (Debian keeps them off PATH). */
function locateBin(): { bin: string; version: string } {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'initdb')) && existsSync(join(root, v, 'bin', 'pg_ctl')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions[0]) return { bin: join(root, versions[0], 'bin'), version: versions[0] };
  const initdb = which('initdb');
  const pgCtl = which('pg_ctl');
  if (initdb && pgCtl) return { bin: join(initdb, '..'), version: 'unknown' };
  throw new PostgresUnavailableError(
    `PostgreSQL is not installed (no initdb/pg_ctl under /usr/lib/postgresql/*/bin or on PATH; Debian package: ${PACKAGE}).\n` +
      `Run \`npm test\` as root (it installs the Debian packages listed in test/system-packages.mjs), ` +
      `or install it with \`apt-get install --no-install-recommends ${PACKAGE}\`, ` +
      `or set KILN_TEST_PG=none to skip the Postgres tests.`,
  );
}

/** Starts a private PostgreSQL; see the file comment. */
export async function startPostgres(options: PostgresStartOptions = {}): Promise<RunningPostgres> {
  const { bin, version } = locateBin();
  const asRoot = process.getuid?.() === 0;
  /** Runs a PostgreSQL tool, as `nobody` when we are root (initdb and postgres refuse root). */
  const pg = (tool: string, args: readonly string[], timeout = 60_000) =>
    asRoot
      ? run(which('setpriv') ?? '/usr/bin/setpriv', [`--reuid=${NOBODY.uid}`, `--regid=${NOBODY.gid}`, '--clear-groups', '--', join(bin, tool), ...args], { timeout, env: pgEnv() })
      : run(join(bin, tool), args, { timeout, env: pgEnv() });

  const d = await mkdtemp(join(tmpdir(), 'kiln-pg-'));
  trackDirForExit(d);
  const data = join(d, 'data');
  const log = join(d, 'server.log');
  let pid: number | undefined;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      pid ??= await postmasterPid(data);
      if (pid !== undefined && isAlive(pid)) {
        // SIGQUIT is PostgreSQL's immediate shutdown; stopPids escalates to SIGKILL.
        process.kill(pid, 'SIGQUIT');
        const deadline = Date.now() + 5_000;
        while (isAlive(pid) && Date.now() < deadline) await sleep(25);
        await stopPids([pid], 2_000);
      }
    } finally {
      await rm(d, { recursive: true, force: true });
      untrackDirForExit(d);
    }
  };

  try {
    if (asRoot) await chown(d, NOBODY.uid, NOBODY.gid);
    await pg('initdb', ['-D', data, '-U', 'kiln', '--auth=trust', '--no-locale', '-E', 'UTF8', '--no-sync', '--no-instructions']);
    const port = await freePort();
    const settings = [
      '-c listen_addresses=127.0.0.1',
      `-p ${port}`,
      "-c unix_socket_directories=''",
      '-c max_connections=200',
      ...(options.durable ? [] : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']),
    ].join(' ');
    await pg('pg_ctl', ['start', '-w', '-t', '60', '-D', data, '-l', log, '-o', settings], 90_000);
    pid = await postmasterPid(data);
    if (pid === undefined) throw new Error('pg_ctl start returned, but there is no postmaster.pid');
    trackForExit(pid);
    return { connectionString: `postgres://kiln@127.0.0.1:${port}/postgres`, port, version, stop };
  } catch (error) {
    const logTail = tail(log, 30);
    await stop().catch(() => {});
    throw new Error(`PostgreSQL test server did not start: ${(error as Error).message}\n--- tail of ${log} (removed) ---\n${logTail}`, { cause: error });
  }
}

async function postmasterPid(data: string): Promise<number | undefined> {
  const text = await readFile(join(data, 'postmaster.pid'), 'utf8').catch(() => '');
  const pid = Number.parseInt(text.split('\n')[0] ?? '', 10);
  return Number.isInteger(pid) && pid > 1 ? pid : undefined;
}

/** Environment of the PostgreSQL tools: no PG* variables of the caller leak in. */
function pgEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PG')) env[k] = v;
  env['LC_ALL'] = 'C';
  return env;
}
