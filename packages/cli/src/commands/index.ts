import type { CliIO } from '../io.js';
import { runOptimizeCommand } from './optimize/run.js';

/** One `kiln` subcommand. Later issues add `serve`, `upload` and `demo` here. */
export interface Command {
  summary: string;
  run(argv: readonly string[], io: CliIO): Promise<number>;
}

/** The subcommands of `kiln`. */
export const COMMANDS = {
  optimize: {
    summary: 'Optimise glTF/GLB files: meshopt or Draco, WebP or KTX2, budgets, LODs, validation',
    run: runOptimizeCommand,
  },
} satisfies Record<string, Command>;

/** Name of a `kiln` subcommand. */
export type CommandName = keyof typeof COMMANDS;
