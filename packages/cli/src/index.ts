/**
 * `@kiln/cli`: the `kiln` command. `runCli` runs it in-process with injected streams, which is
 * what the `kiln` binary and the tests call.
 *
 * @module @kiln/cli
 */

export { runCli, kilnHelp } from './cli.js';
export { COMMANDS } from './commands/index.js';
export type { Command, CommandName } from './commands/index.js';
export { EXIT } from './io.js';
export type { CliIO, CliStream } from './io.js';
export { UsageError } from './usage.js';
export { parseOptimizeArgs, OPTIMIZE_HELP } from './commands/optimize/args.js';
export type { OptimizeCommandOptions } from './commands/optimize/args.js';
