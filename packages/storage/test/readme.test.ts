import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'kiln-storage-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('README', () => {
  it('has a runnable example whose output is what its comments say', async () => {
    const match = /## Example\n\n```ts\n([\s\S]*?)```/.exec(readme);
    expect(match).not.toBeNull();
    const src = (path: string) => JSON.stringify(fileURLToPath(new URL(`../src/${path}`, import.meta.url)));
    const code = (match?.[1] ?? '')
      .replace("from '@kiln/storage/serve'", `from ${src('serve/index.ts')}`)
      .replace("from '@kiln/storage'", `from ${src('index.ts')}`)
      .replace("'./assets'", JSON.stringify(join(dir, 'assets')))
      .replaceAll('console.log(', 'globalThis.__readmeLog(');
    const logged: unknown[][] = [];
    (globalThis as { __readmeLog?: (...args: unknown[]) => void }).__readmeLog = (...args) => logged.push(args);
    const file = join(dir, 'example.ts');
    writeFileSync(file, code);
    await import(/* @vite-ignore */ pathToFileURL(file).href);
    expect(logged[0]?.[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/acme\/_blobs\/[0-9a-f]{64}\.txt$/);
    expect(logged[1]).toEqual([true, 0]);
    expect(logged[2]?.[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/acme\/run-1\/bundle\/manifest\.json$/);
  });
});
