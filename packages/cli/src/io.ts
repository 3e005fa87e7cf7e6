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
  /**
   * Interrupts the command (the `kiln` binary fires it on Ctrl-C or SIGTERM): work under way stops
   * at its next boundary, nothing more is written, and the command resolves to `EXIT.interrupted`.
   */
  signal?: AbortSignal;
}

/** Exit codes: 0 success, 1 failure (bad input, failed file), 2 bad usage, 130 interrupted (128 + SIGINT, as shells report it). */
export const EXIT = Object.freeze({ ok: 0, failure: 1, usage: 2, interrupted: 130 });
