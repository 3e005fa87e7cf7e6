// A private single-node Ceph cluster (one monitor, one memstore OSD, no mgr) with radosgw (beast)
// in front: the strict S3 test server. Recipe: shared notes §6. Every port is picked free at start,
// every file lives in a fresh temporary directory, and nothing reads /etc/ceph.
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeS3Client } from './client.js';
import {
  answersHttp,
  freePorts,
  hasExited,
  run,
  spawnDaemon,
  stopPids,
  tail,
  trackDirForExit,
  untrackDirForExit,
  waitFor,
  which,
} from './process.js';
import type { RunningServer, S3Target } from './types.js';

/** Executables the start needs, with the Debian package that ships each. */
const TOOLS = {
  'ceph-mon': 'ceph-mon',
  'ceph-osd': 'ceph-osd',
  radosgw: 'radosgw',
  ceph: 'ceph-common',
  'ceph-authtool': 'ceph-common',
  'radosgw-admin': 'ceph-common',
  monmaptool: 'ceph-base',
} as const;
type Tool = keyof typeof TOOLS;

/** Thrown when the Ceph executables are not installed. */
export class RgwUnavailableError extends Error {
  override name = 'RgwUnavailableError';
}

/** Memstore keeps every object in the OSD's RAM: cap it (the tests delete their buckets). */
const MEMSTORE_BYTES = 3 * 1024 ** 3;
/** The Ceph client name radosgw runs as (its own key, config section and log file). */
const RGW_NAME = 'client.rgw.kiln';

export interface RgwStartOptions {
  /** Called with each start phase and the milliseconds since the start (for timing reports). */
  onPhase?: (phase: string, elapsedMs: number) => void;
}

function locateTools(): Record<Tool, string> {
  const found: Partial<Record<Tool, string>> = {};
  const missing = new Set<string>();
  for (const tool of Object.keys(TOOLS) as Tool[]) {
    const path = which(tool);
    if (path) found[tool] = path;
    else missing.add(TOOLS[tool]);
  }
  if (missing.size > 0) {
    const packages = [...missing].join(' ');
    throw new RgwUnavailableError(
      `Ceph radosgw (the strict S3 test server) is not installed: missing ${Object.keys(TOOLS)
        .filter((tool) => !found[tool as Tool])
        .join(', ')} (Debian packages: ${packages}).\n` +
        `Run \`npm test\` as root (it installs the Debian packages listed in test/system-packages.mjs), ` +
        `or install them with \`apt-get install --no-install-recommends ceph-mon ceph-osd radosgw ceph-common ceph-base\`, ` +
        `or set KILN_TEST_S3=s3rver to run only against s3rver.`,
    );
  }
  return found as Record<Tool, string>;
}

/** Like Promise.all, but waits for every command to finish before rejecting (no stray process). */
async function settleAll<T extends readonly unknown[]>(promises: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

function cephConf(d: string, fsid: string, monV2: number, monV1: number, rgwPort: number): string {
  return `[global]
fsid = ${fsid}
mon host = v2:127.0.0.1:${monV2},v1:127.0.0.1:${monV1}
mon initial members = a
public addr = 127.0.0.1
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
osd crush chooseleaf type = 0
run dir = ${d}/run
# $pid: the CLI tools must not take over a daemon's admin socket
admin socket = ${d}/run/$name.$pid.asok
log file = ${d}/log/$name.log
mon data = ${d}/mon/$cluster-$id
osd data = ${d}/osd/$cluster-$id
keyring = ${d}/keyring
osd objectstore = memstore
memstore device bytes = ${MEMSTORE_BYTES}

[mon]
mon data avail warn = 1
mon data avail crit = 0
# Commit map changes at once instead of batching them for 1 s: radosgw creates its pools one after
# the other, and each creation waits for two osdmap commits.
paxos propose interval = 0.05

[osd]
keyring = ${d}/osd/$cluster-$id/keyring

[${RGW_NAME}]
rgw frontends = beast endpoint=127.0.0.1:${rgwPort}
rgw data = ${d}/rgw
rgw dns name = 127.0.0.1
rgw thread pool size = 64
`;
}

export async function startRgw(options: RgwStartOptions = {}): Promise<RunningServer> {
  const tools = locateTools();
  const started = performance.now();
  const phase = (name: string) => options.onPhase?.(name, Math.round(performance.now() - started));

  const d = await mkdtemp(join(tmpdir(), 'kiln-rgw-'));
  trackDirForExit(d);
  const conf = join(d, 'ceph.conf');
  /** Spawned daemons by pid-file name (radosgw, osd.0, mon.a). */
  const children = new Map<string, ChildProcess>();
  const env = { ...process.env, CEPH_CONF: conf, CEPH_ARGS: '' };
  /** Every Ceph command gets `-c <d>/ceph.conf`. */
  const ceph = (tool: Tool, args: readonly string[], timeout = 60_000) =>
    run(tools[tool], ['-c', conf, ...args], { env, cwd: d, timeout });
  /** The `ceph` CLI, with a bounded wait for the monitor. */
  const cephCli = (args: readonly string[], timeout = 60_000) =>
    ceph('ceph', ['--connect-timeout', String(Math.ceil(timeout / 1000)), ...args], timeout + 5_000);
  /** Starts a daemon in the foreground (-f), its stdout/stderr in log/<name>.stdout.log. */
  const daemon = (name: string, tool: Tool, args: readonly string[]) => {
    const pidFile = join(d, 'run', `${name}.pid`);
    const logFile = join(d, 'log', `${name}.stdout.log`);
    const child = spawnDaemon(tools[tool], ['-c', conf, '-f', ...args, '--pid-file', pidFile], logFile, { env, cwd: d });
    children.set(name, child);
    return child;
  };

  let stopped = false;
  /**
   * Stops radosgw, then the OSD, then the monitor (each SIGTERM, SIGKILL after 4 s): signalled all at
   * once, the monitor goes first and radosgw and the OSD then hang in shutdown waiting for it.
   */
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      const byName = new Map<string, number>();
      for (const file of await readdir(join(d, 'run')).catch(() => [] as string[])) {
        if (!file.endsWith('.pid')) continue;
        const pid = Number.parseInt(await readFile(join(d, 'run', file), 'utf8').catch(() => ''), 10);
        if (Number.isInteger(pid) && pid > 1) byName.set(file.slice(0, -'.pid'.length), pid);
      }
      // Also the PIDs we spawned, in case a daemon died before its pid file was written.
      for (const [name, child] of children) if (child.pid !== undefined && !byName.has(name)) byName.set(name, child.pid);
      const order = ['radosgw', 'osd.0', 'mon.a'];
      const rest = [...byName.keys()].filter((name) => !order.includes(name));
      for (const group of [...order.map((name) => [name]), rest]) {
        await stopPids(group.flatMap((name) => byName.get(name) ?? []), 4_000);
      }
    } finally {
      await rm(d, { recursive: true, force: true });
      untrackDirForExit(d);
    }
  };

  const logs = {
    mon: join(d, 'log', 'mon.a.log'),
    osd: join(d, 'log', 'osd.0.log'),
    rgw: join(d, 'log', `${RGW_NAME}.log`),
    admin: join(d, 'log', 'client.admin.log'),
  };
  let step = 'setup';
  let stepLog = logs.admin;
  const begin = (name: string, log: string) => {
    step = name;
    stepLog = log;
  };
  /** Fails fast when a daemon died while we wait for it, and points the error at that daemon's log. */
  const alive = (child: ChildProcess, what: string, log: string) => () => {
    if (hasExited(child)) {
      stepLog = log;
      throw new Error(`${what} exited with ${child.exitCode ?? child.signalCode}`);
    }
  };

  try {
    begin('keys and monmap', logs.mon);
    await Promise.all(['run', 'log', 'mon', 'osd/ceph-0', 'rgw'].map((sub) => mkdir(join(d, sub), { recursive: true })));
    const [monV2, monV1, rgwPort] = (await freePorts(3)) as [number, number, number];
    const fsid = randomUUID();
    await writeFile(conf, cephConf(d, fsid, monV2, monV1, rgwPort));
    const keyring = join(d, 'keyring');
    await ceph('ceph-authtool', ['--create-keyring', keyring, '--gen-key', '-n', 'mon.', '--cap', 'mon', 'allow *']);
    await ceph('ceph-authtool', [
      keyring,
      '--gen-key',
      '-n',
      'client.admin',
      ...['--cap', 'mon', 'allow *', '--cap', 'osd', 'allow *', '--cap', 'mgr', 'allow *', '--cap', 'mds', 'allow *'],
    ]);
    await ceph('ceph-authtool', [keyring, '--gen-key', '-n', RGW_NAME, '--cap', 'mon', 'allow rw', '--cap', 'osd', 'allow rwx']);
    const monmap = join(d, 'monmap');
    await ceph('monmaptool', [
      '--create',
      '--addv',
      'a',
      `[v2:127.0.0.1:${monV2},v1:127.0.0.1:${monV1}]`,
      '--fsid',
      fsid,
      monmap,
    ]);

    begin('monitor', logs.mon);
    await ceph('ceph-mon', ['--mkfs', '-i', 'a', '--monmap', monmap, '--keyring', keyring]);
    const mon = daemon('mon.a', 'ceph-mon', ['-i', 'a']);
    phase('mon started');

    begin('OSD', logs.osd);
    // `osd create` needs the monitor; the OSD's mkfs does not (--no-mon-config), so both run at once.
    const [osdId] = await settleAll([
      cephCli(['osd', 'create'], 30_000).then((out) => out.trim()),
      ceph('ceph-osd', ['-i', '0', '--mkfs', '--mkkey', '--no-mon-config']),
    ]);
    alive(mon, 'ceph-mon', logs.mon)();
    if (osdId !== '0') throw new Error(`ceph osd create returned ${JSON.stringify(osdId)}, expected 0`);
    phase('osd created');
    await settleAll([
      cephCli(['auth', 'add', 'osd.0', 'osd', 'allow *', 'mon', 'allow profile osd', '-i', join(d, 'osd', 'ceph-0', 'keyring')]),
      cephCli(['osd', 'crush', 'add', 'osd.0', '1.0', 'host=localhost', 'root=default']),
    ]);
    const osd = daemon('osd.0', 'ceph-osd', ['-i', '0']);
    phase('osd started');

    begin('radosgw', logs.rgw);
    // radosgw waits for the OSD on its own (it creates its pools once PGs are active): start it now
    // and watch both.
    const rgw = daemon('radosgw', 'radosgw', ['-n', RGW_NAME]);
    // radosgw 16.2 ignores --pid-file in the foreground: record its PID like the other daemons'.
    if (rgw.pid !== undefined) await writeFile(join(d, 'run', 'radosgw.pid'), `${rgw.pid}\n`);
    const endpoint = `http://127.0.0.1:${rgwPort}`;

    begin('OSD up', logs.osd);
    await waitFor(
      'osd.0 up',
      async () => {
        const stat = JSON.parse(await cephCli(['osd', 'stat', '-f', 'json'], 10_000)) as { num_up_osds?: number };
        return (stat.num_up_osds ?? 0) >= 1 ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250, fail: alive(osd, 'ceph-osd', logs.osd) },
    );
    phase('osd up');

    begin('radosgw HTTP', logs.rgw);
    await waitFor('radosgw HTTP', async () => ((await answersHttp(`${endpoint}/`)) ? true : undefined), {
      timeoutMs: 90_000,
      intervalMs: 200,
      fail: () => {
        alive(rgw, 'radosgw', logs.rgw)();
        alive(osd, 'ceph-osd', logs.osd)();
        alive(mon, 'ceph-mon', logs.mon)();
      },
    });
    phase('rgw answers');

    begin('S3 user', logs.admin);
    const accessKeyId = `KILN${randomBytes(8).toString('hex').toUpperCase()}`;
    const secretAccessKey = randomBytes(30).toString('base64url');
    await ceph('radosgw-admin', [
      'user',
      'create',
      '--uid=kiln-test',
      '--display-name=Kiln tests',
      `--access-key=${accessKeyId}`,
      `--secret=${secretAccessKey}`,
    ]);
    phase('user created');

    const target: S3Target = { name: 'rgw', endpoint, region: 'us-east-1', accessKeyId, secretAccessKey, strict: true };
    begin('authenticated ListBuckets', logs.rgw);
    const client = makeS3Client(target);
    try {
      await waitFor(
        'an authenticated ListBuckets',
        async () => {
          await client.send(new ListBucketsCommand({}));
          return true;
        },
        { timeoutMs: 30_000, intervalMs: 200, fail: alive(rgw, 'radosgw', logs.rgw) },
      );
    } finally {
      client.destroy();
    }
    phase('ready');
    return { target, stop };
  } catch (error) {
    const log = tail(stepLog, 40);
    await stop().catch(() => {});
    throw new Error(
      `radosgw test server failed at step "${step}": ${(error as Error).message}\n` +
        `--- tail of ${stepLog} (the directory has been removed) ---\n${log}`,
      { cause: error },
    );
  }
}
