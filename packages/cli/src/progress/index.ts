import type { OptimizeProgress } from '@kiln/optimize';
import type { CliStream } from '../io.js';
import { PlainProgress } from './plain.js';
import { TtyProgress } from './tty.js';

/** Progress of a batch of files. */
export interface Progress {
  start(file: string): void;
  event(file: string, event: OptimizeProgress): void;
  /** A finished file: `line` is its one-line summary (or error). */
  finish(file: string, line: string): void;
  close(): void;
}

/** No progress output (`--quiet`). */
export const NO_PROGRESS: Progress = { start() {}, event() {}, finish() {}, close() {} };

/** Bars redrawn in place on a terminal, plain lines otherwise. */
export function createProgress(stream: CliStream, total: number, quiet: boolean): Progress {
  if (quiet) return NO_PROGRESS;
  return stream.isTTY ? new TtyProgress(stream, total) : new PlainProgress(stream);
}
