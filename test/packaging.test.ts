// Packaging checks on every built workspace package: publint (package.json, exports, files) and
// Are The Types Wrong (types resolve for ESM and CJS consumers under node16 resolution). They read
// the built `dist/`, which `npm test` builds before running Vitest.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { publint } from 'publint';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const packagesDir = join(root, 'packages');

const packages = readdirSync(packagesDir)
  .map((name) => join(packagesDir, name))
  .filter((dir) => existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'tsup.config.ts')))
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, unknown> }));

describe('packaging', () => {
  it('finds the workspace packages', () => {
    expect(packages.map((p) => p.manifest['name'])).toEqual(expect.arrayContaining(['@kiln/manifest', '@kiln/storage']));
  });

  // The bundled `kiln` binary loads these at run time from @kiln/cli's own dependencies
  // (packages/cli/tsup.config.ts), while @kiln/optimize declares them too: one range for both,
  // so that an install has one copy of each.
  it("gives @kiln/cli's run-time dependencies the same ranges as @kiln/optimize's", () => {
    const deps = (name: string) => packages.find((p) => p.manifest['name'] === name)?.manifest['dependencies'] as Record<string, string>;
    const cli = deps('@kiln/cli');
    const optimize = deps('@kiln/optimize');
    for (const dep of ['sharp', 'draco3dgltf', 'gltf-validator']) expect(cli[dep], dep).toBe(optimize[dep]);
  });

  for (const { dir, manifest } of packages) {
    const name = String(manifest['name']);
    describe(name, () => {
      it('follows the workspace conventions', () => {
        expect(name).toMatch(/^@kiln\/[a-z0-9-]+$/);
        expect(manifest['sideEffects']).toBe(false);
        expect(manifest['type']).toBe('module');
        expect((manifest['engines'] as Record<string, string>)['node']).toBe('>=20');
        const exportsMap = manifest['exports'] as Record<string, Record<string, unknown>>;
        for (const [subpath, conditions] of Object.entries(exportsMap)) {
          if (subpath === './package.json' || subpath.endsWith('.json')) continue;
          expect(Object.keys(conditions)[0], `${subpath}: "source" must come first`).toBe('source');
          expect(conditions).toHaveProperty('import');
          expect(conditions).toHaveProperty('require');
        }
      });

      it('is built (dist/ exists; npm test runs the build first)', () => {
        expect(existsSync(join(dir, 'dist')), `${name} has no dist/: run pnpm build`).toBe(true);
      });

      it('passes publint', async () => {
        const { messages } = await publint({ pkgDir: dir, level: 'warning', strict: true });
        expect(messages.map((m) => `${m.type}: ${m.code} ${JSON.stringify(m.args)} at ${m.path.join('.')}`)).toEqual([]);
      });

      it('passes Are The Types Wrong (node16 profile: ESM and CJS)', async () => {
        const bin = join(root, 'node_modules', '.bin', 'attw');
        const result = await run(bin, ['--pack', dir, '--profile', 'node16', '--format', 'json', '--no-color'], { cwd: root, maxBuffer: 32 << 20 }).catch(
          (error: { stdout?: string; stderr?: string }) => error,
        );
        type Problem = { resolutionKind?: string };
        const report = JSON.parse(String(result.stdout)) as { analysis?: { problems?: Problem[] }; problems?: Problem[] };
        // The JSON lists node10 problems even under the node16 profile: subpath exports need a
        // resolver that reads `exports`, which every supported runtime and bundler has.
        const problems = (report.analysis?.problems ?? report.problems ?? []).filter((p) => p.resolutionKind !== 'node10');
        expect(problems).toEqual([]);
      }, 120_000);
    });
  }
});
