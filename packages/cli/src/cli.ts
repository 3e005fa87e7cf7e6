import { isKilnError } from '@kiln/manifest';
import { COMMANDS, type CommandName } from './commands/index.js';
import { EXIT, type CliIO } from './io.js';
import { UsageError } from './usage.js';

/** The `kiln` command's top-level help. */
export function kilnHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return [
    'Usage: kiln <command> [options]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Run "kiln <command> --help" for the options of a command.',
  ].join('\n');
}

/**
 * Runs the `kiln` command line (`argv` without the node and script paths) and resolves to the
 * exit code: 0 ok, 1 failure, 2 bad usage, 130 interrupted (`io.signal`). Never throws and never
 * calls `process.exit`.
 */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout).write(`${kilnHelp()}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name as CommandName] : undefined;
  if (!command) {
    io.stderr.write(`kiln: unknown command "${name}" (commands: ${Object.keys(COMMANDS).join(', ')}; see kiln --help)\n`);
    return EXIT.usage;
  }
  const verbose = rest.includes('--verbose');
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`kiln ${name}: ${error.message} (see kiln ${name} --help)\n`);
      return EXIT.usage;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`kiln ${name}: ${message}${isKilnError(error) ? ` [${error.code}]` : ''}\n`);
    if (verbose && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    return EXIT.failure;
  }
}
