// The API reference: `npm run docs` (TypeDoc from the TSDoc comments, docs/typedoc.json) builds
// without warnings from Kiln's own comments, with one page per package entry point, and the
// configuration lists every entry point the packages export.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runToExit } from './servers/process.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const config = JSON.parse(readFileSync(join(root, 'docs/typedoc.json'), 'utf8')) as { entryPoints: string[]; out: string };

/** Every TypeScript entry point of every npm package: export name → source file. packages/unity is C#. */
function exportedEntryPoints(): Map<string, string> {
  const entries = new Map<string, string>();
  for (const dir of readdirSync(join(root, 'packages')).sort()) {
    const file = join(root, 'packages', dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name: string; exports?: Record<string, string | { source?: string }> };
    for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
      if (typeof target === 'string' || !target.source?.endsWith('.ts')) continue; // ./package.json, JSON schemas
      entries.set(subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`, resolve(root, 'packages', dir, target.source));
    }
  }
  return entries;
}

/** TypeDoc's page name of a module: `@kiln/storage/s3` → `modules/_kiln_storage_s3.html`. */
const pageOf = (name: string) => `modules/${name.replace(/[^a-z0-9]/gi, '_').toLowerCase()}.html`;

describe('API reference (TypeDoc)', () => {
  const entries = exportedEntryPoints();

  it('lists every exported entry point of every package, and nothing else', () => {
    expect([...entries.keys()]).toEqual(expect.arrayContaining(['@kiln/core', '@kiln/storage', '@kiln/storage/s3', '@kiln/storage/serve', '@kiln/three']));
    const configured = config.entryPoints.map((path) => resolve(root, 'docs', path)).sort();
    expect(configured).toEqual([...entries.values()].sort());
    expect(resolve(root, 'docs', config.out)).toBe(join(root, 'docs/api'));
    expect(readFileSync(join(root, '.gitignore'), 'utf8').split('\n')).toContain('docs/api/');
  });

  it('names each entry point file after its import path (@module), so its page is findable', () => {
    for (const [name, file] of entries) {
      expect(readFileSync(file, 'utf8'), `${file} should document itself as @module ${name}`).toMatch(new RegExp(`^ \\* @module ${name.replace(/[/]/g, '\\/')}$`, 'm'));
    }
  });

  describe('npm run docs', () => {
    let out: string;
    let run: { code: number | null; output: string };
    beforeAll(async () => {
      out = await mkdtemp(join(tmpdir(), 'kiln-typedoc-'));
      const bin = join(root, 'node_modules/typedoc/bin/typedoc');
      const exited = await runToExit(process.execPath, [bin, '--options', 'docs/typedoc.json', '--out', out, '--logLevel', 'Warn'], { cwd: root, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
      run = { code: exited.code, output: exited.stdout + exited.stderr };
    }, 600_000);
    afterAll(async () => {
      if (out) await rm(out, { recursive: true, force: true });
    });

    it('builds with no errors and no warnings from Kiln sources', () => {
      expect(run.code, run.output).toBe(0);
      const warnings = run.output
        .split('\n')
        // ANSI colours off or not, the level is in brackets.
        .map((line) => line.replace(/\x1b\[[0-9;]*m/g, ''))
        .filter((line) => /\[(warning|error)\]/.test(line))
        .filter((line) => !/Found \d+ errors and \d+ warnings/.test(line))
        // Comments inside third-party declarations (@types/three) are not ours to fix; with
        // --treatWarningsAsErrors those would fail the build, so the filter lives here.
        .filter((line) => !/ at \.?\/?node_modules\/\S+\.d\.ts:\d+$/.test(line));
      expect(warnings).toEqual([]);
    });

    it('has a page for each package entry point with its main exports', async () => {
      const expected: Record<string, string[]> = {
        '@kiln/manifest': ['createManifest', 'ManifestSchema'],
        '@kiln/storage': ['createAssetStore', 'fsDriver'],
        '@kiln/storage/s3': ['s3Driver', 'createS3Client', 'applyBucketSetup'],
        '@kiln/storage/serve': ['startCdnServer'],
        '@kiln/optimize': ['optimize', 'PRESETS'],
        '@kiln/cli': ['runCli'],
        '@kiln/three': ['createKilnLoader'],
        '@kiln/core': ['createJobClient', 'comfyUIBackend', 'openJsonlStore'],
      };
      for (const name of entries.keys()) {
        const page = join(out, pageOf(name));
        expect(existsSync(page), `${pageOf(name)} for ${name}`).toBe(true);
        const html = await readFile(page, 'utf8');
        for (const symbol of expected[name] ?? []) expect(html, `${name} page lists ${symbol}`).toContain(`>${symbol}<`);
      }
      const index = await readFile(join(out, 'index.html'), 'utf8');
      for (const name of entries.keys()) expect(index).toContain(name);
    });
  });
});
