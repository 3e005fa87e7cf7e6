#!/usr/bin/env node
// Entry point of README's two commands on a fresh machine that has only Node.js and npm:
//   npm test      installs pnpm, the dependencies and the Debian packages the test servers need,
//                 builds every package and runs the whole Vitest suite;
//   npm run demo  installs and builds what the demo needs, then runs it.
// Plain .mjs on purpose: it must run before any dependency (TypeScript included) is installed.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemPackages } from './system-packages.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [mode = 'test', ...rest] = process.argv.slice(2);

function step(title) {
  process.stdout.write(`\n▸ ${title}\n`);
}

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    process.stderr.write(`\n✖ ${cmd} ${args.join(' ')} exited with ${result.status ?? result.signal}\n`);
    process.exit(result.status ?? 1);
  }
}

function output(cmd, args) {
  try {
    return execFileSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

function ensurePnpm() {
  const wanted = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.split('@')[1];
  if (output('pnpm', ['--version']) === wanted) return;
  step(`installing pnpm ${wanted}`);
  run('npm', ['install', '--global', `pnpm@${wanted}`]);
}

function ensureSystemPackages(groups) {
  const needed = groups.flatMap((group) => systemPackages[group] ?? []);
  const missing = needed.filter((pkg) => output('dpkg-query', ['-W', '-f=${Status}', pkg]) !== 'install ok installed');
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    process.stderr.write(
      `\n✖ missing Debian packages: ${missing.join(' ')}\n  run as root, or install them: apt-get install --no-install-recommends ${missing.join(' ')}\n`,
    );
    process.exit(1);
  }
  step(`installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
}

ensurePnpm();
step('installing dependencies');
run('pnpm', ['install', '--frozen-lockfile', '--reporter=append-only']);

if (mode === 'test') {
  ensureSystemPackages(['s3', 'unity', 'browser', 'postgres']);
  step('building packages');
  run('pnpm', ['run', 'build']);
  step('type-checking');
  run('pnpm', ['run', 'typecheck']);
  step('running tests');
  run('pnpm', ['exec', 'vitest', 'run', '--config', 'test/vitest.config.ts', ...rest]);
} else if (mode === 'demo') {
  // The default demo needs nothing from apt; `--headless` renders the viewer in Chromium and
  // `--s3` runs against a private Ceph RGW, so those install their group first.
  ensureSystemPackages([...(rest.includes('--headless') ? ['browser'] : []), ...(rest.includes('--s3') ? ['s3'] : [])]);
  step('building packages');
  run('pnpm', ['run', 'build']);
  run('node', ['examples/demo/run.mjs', ...rest]);
} else {
  process.stderr.write(`unknown mode ${mode}: use "test" or "demo"\n`);
  process.exit(2);
}
