#!/usr/bin/env node
// Builds and tests the Unity package outside Vitest, with the same code as test/unity.test.ts:
//   node packages/unity/Tools~/run-tests.mjs [--keep] [--seed N]
// Needs Debian's mono-mcs, mono-devel, libnunit-cil-dev and nunit-console (`npm test` installs them).
// Prints the report and a final "N passed, N failed" line; exits 1 on any failure.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { formatReport, PACKAGE_DIR, runUnityChecks } from './harness.mjs';

const args = process.argv.slice(2);
const keepWorkDir = args.includes('--keep');
const seedIndex = args.indexOf('--seed');
const seed = seedIndex >= 0 ? Number(args[seedIndex + 1]) : undefined;

// The differential cases need @kiln/manifest's build (Vitest uses its TypeScript source instead).
let kiln;
const built = join(PACKAGE_DIR, '..', 'manifest', 'dist', 'index.js');
if (existsSync(built)) kiln = await import(pathToFileURL(built).href);

try {
  const result = await runUnityChecks({
    kiln,
    keepWorkDir,
    ...(Number.isFinite(seed) ? { seed } : {}),
    log: (line) => process.stdout.write(`▸ ${line}\n`),
  });
  process.stdout.write(`${formatReport(result)}\n`);
  if (keepWorkDir) process.stdout.write(`build output kept in ${result.workDir}\n`);
  process.exitCode = result.ok ? 0 : 1;
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
