// Small process helpers shared by the test servers: free ports, daemons whose output goes to a log
// file, polling, and stopping by PID. Everything runs through execFile/spawn with argument arrays.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

/** Ports handed out by this process, so two servers started in parallel never get the same one. */
const reservedPorts = new Set<number>();

/** Asks the kernel for `count` distinct free TCP ports on 127.0.0.1 (held open together, then released). */
export async function freePorts(count: number): Promise<number[]> {
  const servers: ReturnType<typeof createServer>[] = [];
  const ports: number[] = [];
  try {
    while (ports.length < count) {
      const server = createServer();
      servers.push(server);
      const port = await new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
          const address = server.address();
          if (address === null || typeof address === 'string') reject(new Error('no TCP address'));
          else resolve(address.port);
        });
      });
      if (reservedPorts.has(port)) continue;
      reservedPorts.add(port);
      ports.push(port);
    }
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
  return ports;
}

export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}

/** Finds an executable on PATH (plus the sbin directories, which a non-root PATH may lack). */
export function which(command: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const candidate = join(dir, command);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Milliseconds before the command is killed; default 60 s. */
  timeout?: number;
}

/** Runs a command to completion and returns its stdout; the error carries the command, stdout and stderr. */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {
        encoding: 'utf8',
        env: options.env ?? process.env,
        cwd: options.cwd,
        timeout: options.timeout ?? 60_000,
        killSignal: 'SIGKILL',
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error) {
          const how = error.killed ? `killed after ${options.timeout ?? 60_000} ms` : `exit ${String(error.code)}`;
          const output = [stderr.trim(), stdout.trim()].filter(Boolean).join('\n');
          reject(new Error(`${command} ${args.join(' ')} failed (${how})${output ? `:\n${output}` : ''}`));
        } else {
          resolve(stdout);
        }
      },
    );
  });
}

/** What {@link runToExit} returns: the exit code (`null` when killed by a signal) and the output. */
export interface Exited {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion and returns its exit code and output, whatever the code (for tests of CLIs). */
export function runToExit(command: string, args: readonly string[], options: Omit<RunOptions, 'timeout'> = {}): Promise<Exited> {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Starts a long-running process with stdout and stderr appended to `logFile` (never the test output).
 * It stays in the caller's process group, so a Ctrl-C in the terminal reaches it as well.
 */
export function spawnDaemon(
  command: string,
  args: readonly string[],
  logFile: string,
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): ChildProcess {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(command, args, {
      stdio: ['ignore', fd, fd],
      env: options.env ?? process.env,
      cwd: options.cwd,
    });
    child.on('error', () => {
      // A failed spawn: reported through hasExited(); an unhandled 'error' event would crash the runner.
      failedToSpawn.add(child);
    });
    child.unref();
    if (child.pid !== undefined) trackForExit(child.pid);
    return child;
  } finally {
    closeSync(fd);
  }
}

const failedToSpawn = new WeakSet<ChildProcess>();

/** Whether a daemon from spawnDaemon() has ended (or never started). */
export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null || failedToSpawn.has(child);
}

/** Whether a PID names a live (not zombie) process. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // A zombie still accepts signal 0; /proc tells it apart (state Z).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** SIGTERM, then SIGKILL for whatever is still alive after `graceMs`; resolves once every PID is gone. */
export async function stopPids(pids: Iterable<number>, graceMs = 4_000): Promise<void> {
  const live = [...new Set(pids)].filter((pid) => pid > 1 && pid !== process.pid && isAlive(pid));
  for (const pid of live) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (live.some(isAlive) && Date.now() < deadline) await sleep(50);
  const stubborn = live.filter(isAlive);
  for (const pid of stubborn) signal(pid, 'SIGKILL');
  const killDeadline = Date.now() + 5_000;
  while (stubborn.some(isAlive) && Date.now() < killDeadline) await sleep(50);
  const left = stubborn.filter(isAlive);
  for (const pid of live) untrackForExit(pid);
  if (left.length > 0) throw new Error(`processes ${left.join(', ')} survived SIGKILL`);
}

/** Polls `check` until it returns a value other than undefined; `fail` may throw to stop early. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  { timeoutMs, intervalMs = 200, fail }: { timeoutMs: number; intervalMs?: number; fail?: () => void },
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    fail?.();
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await sleep(intervalMs);
  }
}

/** The last `lines` lines of a text file, or a note that it does not exist. */
export function tail(file: string, lines = 40): string {
  try {
    const text = readFileSync(file, 'utf8').trimEnd();
    return text.split('\n').slice(-lines).join('\n');
  } catch {
    return `(no ${file})`;
  }
}

/** Whether anything answers HTTP at `url` (any status). */
export async function answersHttp(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

// Safety net: if the runner ends without running the teardown (a crash, process.exit, or SIGINT /
// SIGTERM / SIGHUP while the global setup is still starting the servers, when Vitest has no signal
// handler yet), SIGKILL what is left and remove the temporary directories synchronously.
const exitPids = new Set<number>();
const exitDirs = new Set<string>();
let exitHookInstalled = false;

function cleanupNow(): void {
  for (const pid of exitPids) signal(pid, 'SIGKILL');
  exitPids.clear();
  for (const dir of exitDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
  exitDirs.clear();
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Prepended: Vitest's own SIGINT/SIGTERM/exit listeners call process.exit(), which ends the process
  // before any listener registered after them runs.
  process.prependOnceListener('exit', cleanupNow);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      cleanupNow();
      process.off(sig, onSignal);
      // A listener replaces Node's default action (exit): when nobody else handles the signal,
      // raise it again so the process still ends the way it would have without us.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.prependListener(sig, onSignal);
  }
}

export function trackForExit(pid: number): void {
  installExitHook();
  exitPids.add(pid);
}

function untrackForExit(pid: number): void {
  exitPids.delete(pid);
}

export function trackDirForExit(dir: string): void {
  installExitHook();
  exitDirs.add(dir);
}

export function untrackDirForExit(dir: string): void {
  exitDirs.delete(dir);
}
