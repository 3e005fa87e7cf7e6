import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'kiln-manifest-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('README', () => {
  it('has a runnable example (createManifest → parseManifest → resolveAsset) that passes its asserts', async () => {
    const match = /## Example\n\n```ts\n([\s\S]*?)```/.exec(readme);
    expect(match).not.toBeNull();
    const code = match?.[1] ?? '';
    for (const name of ['createManifest(', 'parseManifest(', 'resolveAsset(', 'assert.equal(']) expect(code).toContain(name);
    const source = fileURLToPath(new URL('../src/index.ts', import.meta.url));
    const file = join(dir, 'example.ts');
    writeFileSync(file, code.replace("from '@kiln/manifest'", `from ${JSON.stringify(source)}`));
    await expect(import(/* @vite-ignore */ pathToFileURL(file).href)).resolves.toBeDefined();
  });

  it('documents every error code the package throws', () => {
    for (const code of [
      'manifest_invalid',
      'manifest_version_unsupported',
      'asset_not_found',
      'lod_not_found',
      'manifest_unresolvable',
      'invalid_input',
    ]) {
      expect(readme).toContain(`\`${code}\``);
    }
  });
});
