// The TypeScript snippets of the guides type-check against the packages' sources, so an API
// renamed in code cannot silently rot in the docs. Each ```ts block is its own module. Two
// markers, HTML comments right before a block (invisible on GitHub), help blocks that are not
// whole programs: `<!-- snippet: continues -->` appends the block to the previous one, and
// `<!-- snippet: declare … -->` adds declarations (of `scene`, `store`, …) before it.
import { existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const GUIDES = ['docs/getting-started.md', 'docs/architecture.md', 'docs/operations.md'];
// Gitignored (`.kiln-tmp/`) and outside the type-checked folders, but inside the repository so
// that `@types/node` and the AWS SDK resolve from its node_modules.
const out = join(root, '.kiln-tmp', `doc-snippets-${process.pid}`);

interface Snippet {
  file: string;
  line: number;
  code: string;
}

/** The ```ts blocks of a guide, with their markers applied. */
export function snippets(file: string, markdown: string): Snippet[] {
  const result: Snippet[] = [];
  const fence = /(?:<!-- snippet: ([\s\S]*?) -->\n)?^( *)```ts\n([\s\S]*?)^\2```/gm;
  for (const match of markdown.matchAll(fence)) {
    const marker = match[1]?.trim();
    const indent = match[2] ?? '';
    const code = (match[3] ?? '').replace(new RegExp(`^${indent}`, 'gm'), '');
    const line = markdown.slice(0, match.index).split('\n').length + (marker ? 1 : 0);
    const previous = result[result.length - 1];
    if (marker === 'continues' && previous) previous.code += `\n${code}`;
    else result.push({ file, line, code: `${marker?.startsWith('declare ') ? `${marker}\n` : ''}${code}` });
  }
  return result;
}

/** `@kiln/*` import paths → their TypeScript sources, from each package's `exports` (`source` condition). */
function kilnPaths(): Record<string, string[]> {
  const paths: Record<string, string[]> = {};
  for (const dir of ['manifest', 'storage', 'optimize', 'cli', 'three', 'core']) {
    const pkg = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')) as { name: string; exports: Record<string, string | { source?: string }> };
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      if (typeof target === 'string' || !target.source?.endsWith('.ts')) continue;
      paths[subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`] = [resolve(root, 'packages', dir, target.source)];
    }
  }
  return paths;
}

afterAll(() => {
  rmSync(out, { recursive: true, force: true });
  try {
    rmdirSync(dirname(out)); // only when empty: others may use .kiln-tmp too
  } catch {
    // not empty, or already gone
  }
});

describe('TypeScript snippets in the guides', () => {
  it('finds the snippets and applies the markers', () => {
    const sample = ['```ts', 'const a = 1;', '```', '<!-- snippet: continues -->', '```ts', 'a;', '```', '<!-- snippet: declare const s: string; -->', '   ```ts', '   s;', '   ```'].join('\n');
    expect(snippets('x.md', sample).map((s) => s.code)).toEqual(['const a = 1;\n\na;\n', 'declare const s: string;\ns;\n']);
  });

  it('type-check against the package sources (strict, as the repository)', () => {
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    // Snippets import an exported ComfyUI workflow from beside them.
    writeFileSync(join(out, 'workflow_api.json'), readFileSync(join(root, 'examples/comfyui/workflow_api.json')));
    const files: string[] = [];
    const origin = new Map<string, Snippet>();
    for (const guide of GUIDES) {
      for (const [index, snippet] of snippets(guide, readFileSync(join(root, guide), 'utf8')).entries()) {
        const path = join(out, `${guide.replace(/[/.]/g, '_')}_${index}.ts`);
        // Each snippet is a module of its own (top-level await, no shared names).
        writeFileSync(path, `${snippet.code}\nexport {};\n`);
        files.push(path);
        origin.set(path, snippet);
      }
    }
    expect(files.length).toBeGreaterThanOrEqual(6);

    const config = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile).config as object;
    const { options } = ts.parseJsonConfigFileContent(config, ts.sys, root);
    const threeTypes = join(root, 'examples/three-game-template/node_modules/@types/three/index.d.ts');
    expect(existsSync(threeTypes), 'the three-game-template example provides @types/three').toBe(true);
    const program = ts.createProgram(files, {
      ...options,
      noEmit: true,
      noUnusedLocals: false,
      paths: { ...kilnPaths(), three: [threeTypes] },
    });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file && files.includes(resolve(d.file.fileName)))
      .map((d) => {
        const snippet = origin.get(resolve(d.file!.fileName))!;
        const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
        return `${snippet.file}, block at line ${snippet.line}, line ${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      });
    expect(problems).toEqual([]);
  }, 300_000);
});
