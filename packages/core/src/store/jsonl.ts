import { closeSync, fsyncSync, ftruncateSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync, existsSync, fstatSync, mkdirSync, fsync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CoreError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { crc32 } from './crc32.js';
import { StateStore } from './memory.js';
import { StoreState, type JournalEntry, type StateSnapshot } from './state.js';
import type { JobStore } from './types.js';

/** How commits reach the disk. */
export type JournalDurability = 'fsync' | 'group' | 'none';

/** Options of {@link openJsonlStore}. */
export interface JsonlStoreOptions {
  /** Folder of the journal, snapshot and lock file; created if missing. */
  dir: string;
  /**
   * - `fsync` (default): each commit is written and fsynced before it resolves; survives power loss.
   * - `group`: commits arriving within `groupCommitMs` share one write and one fsync; each still
   *   resolves only once durable. Far more commits per second under concurrency.
   * - `none`: written, never fsynced; survives a process crash, not a power loss. For tests.
   */
  durability?: JournalDurability;
  /**
   * Longest wait for more commits to share an fsync (`group`). Default 0: the first commit is
   * written at once, and commits that arrive while its fsync runs share the next one.
   */
  groupCommitMs?: number;
  /** Flush a group at this many commits without waiting. Default 512. */
  groupCommitMax?: number;
  /** Write a snapshot and empty the journal once it is this large. Default 64 MiB. */
  compactBytes?: number;
  /** Events kept in snapshots beyond the slowest consumer cursor. Default 10000. */
  retainEvents?: number;
  /** Clock. Default `Date.now`. */
  now?: () => number;
  logger?: Logger;
}

/** Defaults of {@link JsonlStoreOptions}. */
export const JSONL_STORE_DEFAULTS = {
  durability: 'fsync',
  groupCommitMs: 0,
  groupCommitMax: 512,
  compactBytes: 64 * 1024 * 1024,
  retainEvents: 10_000,
} as const;

/** File names inside the store folder. */
export const JSONL_FILES = { journal: 'journal.jsonl', snapshot: 'snapshot.json', lock: 'LOCK' } as const;

/** A JSONL store: a {@link JobStore} with compaction and statistics. */
export interface JsonlStore extends JobStore {
  /** Writes a snapshot and empties the journal. */
  compact(): Promise<void>;
  /** What the last open found and what was written since. */
  stats(): { commits: number; journalBytes: number; recoveredCommits: number; truncatedBytes: number; fsyncs: number };
}

/**
 * Frames one record: `<byte length> <crc32 hex> <json>\n`. A torn or altered line fails its
 * length or checksum. @internal
 */
export function frameLine(json: string): Buffer {
  const body = Buffer.from(json, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} ${crc32(body).toString(16).padStart(8, '0')} `, 'latin1'), body, Buffer.from('\n')]);
}

/** Parses one framed line; `undefined` if torn or corrupt. @internal */
export function readLine(buffer: Buffer, start: number): { json: string; next: number } | undefined {
  const sp1 = buffer.indexOf(0x20, start);
  if (sp1 < 0 || sp1 - start > 12) return undefined;
  const length = Number(buffer.toString('latin1', start, sp1));
  if (!Number.isInteger(length) || length < 0) return undefined;
  const crcStart = sp1 + 1;
  if (buffer[crcStart + 8] !== 0x20) return undefined;
  const crc = parseInt(buffer.toString('latin1', crcStart, crcStart + 8), 16);
  const bodyStart = crcStart + 9;
  const bodyEnd = bodyStart + length;
  if (bodyEnd >= buffer.length || buffer[bodyEnd] !== 0x0a) return undefined;
  const body = buffer.subarray(bodyStart, bodyEnd);
  if (crc32(body) !== crc) return undefined;
  return { json: body.toString('utf8'), next: bodyEnd + 1 };
}

/**
 * Opens (or creates) the embedded JSONL store: an append-only journal of commits, one framed
 * JSON line each (length + CRC-32), with a snapshot for compaction and a lock file so that one
 * process writes at a time. On open it loads the snapshot, replays the journal and truncates a
 * torn last line (a write cut short by a crash: never acknowledged). Pure JavaScript, no native
 * build.
 *
 * @example
 * ```ts
 * const store = await openJsonlStore({ dir: './.kiln/jobs', durability: 'group' });
 * const client = createJobClient({ store, backends: { procedural: proceduralBackend() } });
 * ```
 * @throws {@link CoreError} `store_locked` if another live process holds the lock,
 *   `store_corrupt` if a line before the tail fails its checksum.
 */
export async function openJsonlStore(options: JsonlStoreOptions): Promise<JsonlStore> {
  const durability = options.durability ?? JSONL_STORE_DEFAULTS.durability;
  const groupMs = options.groupCommitMs ?? JSONL_STORE_DEFAULTS.groupCommitMs;
  const groupMax = options.groupCommitMax ?? JSONL_STORE_DEFAULTS.groupCommitMax;
  const compactBytes = options.compactBytes ?? JSONL_STORE_DEFAULTS.compactBytes;
  const retainEvents = options.retainEvents ?? JSONL_STORE_DEFAULTS.retainEvents;
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  if (typeof options.dir !== 'string' || options.dir === '') throw new CoreError('store_failed', 'openJsonlStore: dir must be a folder path');
  mkdirSync(options.dir, { recursive: true });
  const lockPath = join(options.dir, JSONL_FILES.lock);
  const journalPath = join(options.dir, JSONL_FILES.journal);
  const snapshotPath = join(options.dir, JSONL_FILES.snapshot);
  acquireLock(lockPath, logger);

  const state = new StoreState();
  let recoveredCommits = 0;
  let truncatedBytes = 0;
  let fd: number;
  try {
    if (existsSync(snapshotPath)) {
      const buffer = readFileSync(snapshotPath);
      const line = readLine(buffer, 0);
      if (!line) throw new CoreError('store_corrupt', `openJsonlStore: ${snapshotPath} fails its checksum`);
      state.restore(JSON.parse(line.json) as StateSnapshot);
    }
    fd = openSync(journalPath, 'a+');
    const buffer = existsSync(journalPath) ? readFileSync(journalPath) : Buffer.alloc(0);
    let offset = 0;
    while (offset < buffer.length) {
      const line = readLine(buffer, offset);
      if (!line) {
        if (hasValidLineAfter(buffer, offset)) {
          throw new CoreError('store_corrupt', `openJsonlStore: ${journalPath} is corrupt at byte ${offset} (a line before the tail fails its checksum)`, {
            details: { offset },
          });
        }
        truncatedBytes = buffer.length - offset;
        logger.warn(`jsonl: truncating a torn tail of ${truncatedBytes} bytes at byte ${offset} of ${journalPath}`);
        ftruncateSync(fd, offset);
        fsyncSync(fd);
        break;
      }
      const entry = JSON.parse(line.json) as JournalEntry;
      if (entry.c > state.commitNo) {
        if (entry.c !== state.commitNo + 1) {
          throw new CoreError('store_corrupt', `openJsonlStore: commit ${entry.c} follows ${state.commitNo} at byte ${offset}: a commit is missing`);
        }
        state.apply(entry);
        recoveredCommits++;
      }
      offset = line.next;
    }
  } catch (error) {
    releaseLock(lockPath);
    throw error;
  }

  let journalBytes = fstatSync(fd).size;
  let fsyncs = 0;
  let commits = 0;
  let failed: unknown;
  let pending: { line: Buffer; resolve: () => void; reject: (e: unknown) => void }[] = [];
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> | undefined;
  let compacting = false;

  const clearTimer = () => {
    if (timer) {
      clearTimeout(timer);
      clearImmediate(timer as unknown as NodeJS.Immediate);
    }
    timer = undefined;
  };

  const fail = (error: unknown): CoreError => {
    failed ??= error;
    return new CoreError('store_failed', `jsonl: an earlier journal write failed; reopen the store (${String(failed)})`, { cause: failed });
  };

  const writeAll = (lines: Buffer[]) => {
    const data = lines.length === 1 ? (lines[0] as Buffer) : Buffer.concat(lines);
    let written = 0;
    while (written < data.length) written += writeSync(fd, data, written, data.length - written);
    journalBytes += data.length;
  };

  const flushGroup = async (): Promise<void> => {
    timer = undefined;
    if (flushing) {
      await flushing;
      if (pending.length > 0 && !timer) await flushGroup();
      return;
    }
    const group = pending;
    pending = [];
    if (group.length === 0) return;
    flushing = (async () => {
      try {
        writeAll(group.map((g) => g.line));
        await new Promise<void>((resolve, reject) => fsync(fd, (error) => (error ? reject(error) : resolve())));
        fsyncs++;
        for (const g of group) g.resolve();
      } catch (error) {
        const e = fail(error);
        for (const g of group) g.reject(e);
      } finally {
        flushing = undefined;
      }
    })();
    await flushing;
    if (pending.length > 0 && !timer) timer = setImmediate(() => void flushGroup()) as unknown as NodeJS.Timeout;
  };

  const persist = (entry: JournalEntry): Promise<void> => {
    if (failed !== undefined) return Promise.reject(fail(failed));
    commits++;
    const line = frameLine(JSON.stringify(entry));
    if (durability === 'group') {
      const promise = new Promise<void>((resolve, reject) => pending.push({ line, resolve, reject }));
      if (pending.length >= groupMax) {
        clearTimer();
        void flushGroup();
      } else if (!timer) {
        timer = groupMs > 0 ? setTimeout(() => void flushGroup(), groupMs) : (setImmediate(() => void flushGroup()) as unknown as NodeJS.Timeout);
      }
      return promise.then(maybeCompact);
    }
    try {
      writeAll([line]);
    } catch (error) {
      return Promise.reject(fail(error));
    }
    if (durability === 'fsync') return syncToDisk().then(maybeCompact);
    return maybeCompact();
  };

  // fsync per commit, off the event loop: the write above already fixed the commit's place in
  // the journal, and an fsync makes every write before it durable, so concurrent commits may each
  // wait on their own fsync while timers and I/O keep running (a blocking fsyncSync stalled every
  // in-flight step for its whole duration).
  const inFlightSyncs = new Set<Promise<void>>();
  const syncToDisk = (): Promise<void> => {
    const sync = new Promise<void>((resolve, reject) =>
      fsync(fd, (error) => {
        if (error) return reject(fail(error));
        fsyncs++;
        resolve();
      }),
    );
    inFlightSyncs.add(sync);
    const settle = () => void inFlightSyncs.delete(sync);
    sync.then(settle, settle);
    return sync;
  };

  const compact = async (): Promise<void> => {
    if (compacting) return;
    compacting = true;
    try {
      clearTimer();
      await flushGroup();
      if (flushing) await flushing;
      await Promise.allSettled([...inFlightSyncs]);
      const minCursor = Math.min(state.seq, ...state.cursors.values());
      state.trimEvents(Math.min(minCursor, state.seq - retainEvents));
      const tmp = `${snapshotPath}.tmp`;
      const snapFd = openSync(tmp, 'w');
      try {
        writeSync(snapFd, frameLine(JSON.stringify(state.snapshot())));
        fsyncSync(snapFd);
      } finally {
        closeSync(snapFd);
      }
      renameSync(tmp, snapshotPath);
      fsyncDir(options.dir);
      // Commits up to the snapshot are skipped on replay, so a crash before this truncation is safe.
      ftruncateSync(fd, 0);
      fsyncSync(fd);
      journalBytes = 0;
      logger.debug(`jsonl: compacted to a snapshot at commit ${state.commitNo}`, { commit: state.commitNo });
    } finally {
      compacting = false;
    }
  };

  async function maybeCompact(): Promise<void> {
    if (journalBytes >= compactBytes && !compacting) await compact();
  }

  const base = new StateStore('jsonl', state, now, persist, async () => {
    clearTimer();
    await flushGroup().catch(() => {});
    await Promise.allSettled([...inFlightSyncs]);
    closeSync(fd);
    releaseLock(lockPath);
  });
  const store = base as unknown as JsonlStore;
  store.compact = async () => {
    if (failed !== undefined) throw fail(failed);
    await compact();
  };
  store.stats = () => ({ commits, journalBytes, recoveredCommits, truncatedBytes, fsyncs });
  return store;
}

function hasValidLineAfter(buffer: Buffer, offset: number): boolean {
  let at = buffer.indexOf(0x0a, offset);
  while (at >= 0 && at + 1 < buffer.length) {
    if (readLine(buffer, at + 1)) return true;
    at = buffer.indexOf(0x0a, at + 1);
  }
  return false;
}

function fsyncDir(dir: string): void {
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // Some platforms (Windows) cannot fsync a folder; the rename is still atomic.
  }
}

function acquireLock(path: string, logger: Logger): void {
  const content = JSON.stringify({ pid: process.pid, hostname: hostname(), at: new Date().toISOString() });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, content, { flag: 'wx' });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let holder: { pid?: number; hostname?: string } = {};
    try {
      holder = JSON.parse(readFileSync(path, 'utf8')) as typeof holder;
    } catch {
      // An empty or torn lock file: its writer died while writing it.
    }
    if (holder.pid !== undefined && holder.hostname === hostname() && holder.pid !== process.pid && isAlive(holder.pid)) {
      throw new CoreError('store_locked', `openJsonlStore: ${path} is held by live process ${holder.pid}; one process writes a journal at a time`, {
        details: { pid: holder.pid },
      });
    }
    if (holder.pid === process.pid) {
      throw new CoreError('store_locked', `openJsonlStore: ${path} is already open in this process; close the other store first`, {
        details: { pid: holder.pid },
      });
    }
    logger.warn(`jsonl: taking over the stale lock of process ${holder.pid ?? 'unknown'} at ${path}`);
    try {
      unlinkSync(path);
    } catch {
      // Raced with another process taking it over; the retry settles it.
    }
  }
  throw new CoreError('store_locked', `openJsonlStore: could not take the lock ${path}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function releaseLock(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}
