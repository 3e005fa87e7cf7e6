/** A stream the CLI writes to: `process.stdout`, `process.stderr`, or a test double. */
export interface CliStream {
  write(chunk: string): unknown;
  /** True on a terminal: progress is drawn in place. */
  isTTY?: boolean;
  columns?: number;
}

/** Everything the CLI touches outside itself, injected so tests run it in-process. */
export interface CliIO {
  stdout: CliStream;
  stderr: CliStream;
  /** Folder that relative paths are resolved from. */
  cwd: string;
}

/** Exit codes: 0 success, 1 failure (bad input, failed file), 2 bad usage. */
export const EXIT = Object.freeze({ ok: 0, failure: 1, usage: 2 });
