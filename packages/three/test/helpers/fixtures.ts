// Generated assets, cached under packages/three/.kiln-tmp/ by the generator's hash.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FixtureFile } from '../fixtures/generate.js';

const here = dirname(fileURLToPath(import.meta.url));
const generator = join(here, '..', 'fixtures', 'generate.ts');
export const packageDir = join(here, '..', '..');
const workspaceRoot = join(packageDir, '..', '..');

/** Generates the fixtures once (in a child process: the KTX2 encoder prints to stdout) and returns their folder. */
export async function ensureFixtures(options: { bench?: boolean } = {}): Promise<{ dir: string; files: FixtureFile[] }> {
  const hash = createHash('sha256').update(readFileSync(generator)).update(options.bench ? 'bench' : 'test').digest('hex').slice(0, 12);
  const dir = join(packageDir, '.kiln-tmp', `fixtures-${options.bench ? 'bench-' : ''}${hash}`);
  const list = join(dir, 'fixtures.json');
  if (!existsSync(list)) {
    const tsx = join(workspaceRoot, 'node_modules', '.bin', 'tsx');
    await new Promise<void>((resolve, reject) => {
      const child = spawn(tsx, [generator, dir, ...(options.bench ? ['--bench'] : [])], { stdio: ['ignore', 'ignore', 'pipe'], cwd: packageDir });
      let stderr = '';
      child.stderr.on('data', (data: Buffer) => {
        stderr += data.toString();
      });
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`fixture generation failed (${code}):\n${stderr}`))));
    });
  }
  return { dir, files: JSON.parse(readFileSync(list, 'utf8')) as FixtureFile[] };
}
