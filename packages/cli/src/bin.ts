#!/usr/bin/env node
import { runCli } from './cli.js';

// The first Ctrl-C (or SIGTERM) lets the command stop cleanly: what is under way stops at its next
// boundary and no half-written file is left. A second one quits at once (Node's default).
const controller = new AbortController();
const interrupt = (signal: NodeJS.Signals) => {
  process.stderr.write(`\nkiln: ${signal}: stopping after the steps under way (again to quit at once)\n`);
  controller.abort(new Error(`interrupted by ${signal}`));
};
process.once('SIGINT', interrupt);
process.once('SIGTERM', interrupt);

void runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), signal: controller.signal }).then((code) => {
  process.exitCode = code;
  process.removeListener('SIGINT', interrupt);
  process.removeListener('SIGTERM', interrupt);
});
