// Every relative link in the guides and READMEs points at a file that exists, and every
// `#fragment` into a Markdown file names one of its headings (GitHub's anchor rules).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

function markdownFiles(): string[] {
  const inDir = (dir: string) => readdirSync(join(root, dir)).filter((f) => f.endsWith('.md')).map((f) => join(dir, f));
  const readmes = (dir: string) =>
    readdirSync(join(root, dir))
      .map((name) => join(dir, name, 'README.md'))
      .filter((path) => existsSync(join(root, path)));
  return ['README.md', ...inDir('docs'), ...readmes('examples'), ...readmes('packages')].sort();
}

/** Markdown without fenced code blocks and inline code spans, where links are not links. */
function prose(markdown: string): string {
  return markdown
    .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '')
    .replace(/(`+)[\s\S]*?\1/g, '');
}

/** Link targets: inline `[text](target "title")`, `<target>` inside, and reference definitions. */
export function linkTargets(markdown: string): string[] {
  const text = prose(markdown);
  const targets: string[] = [];
  for (const match of text.matchAll(/\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+"[^"]*")?\s*\)/g)) targets.push((match[1] as string).replace(/^<|>$/g, ''));
  for (const match of text.matchAll(/^\s{0,3}\[[^\]]+\]:\s*(\S+)/gm)) targets.push(match[1] as string);
  return targets;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const code = /^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm;
  for (const match of markdown.replace(code, '').matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = (match[1] as string)
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Problems with one file's relative links, as `file: target (why)`. */
function brokenLinks(file: string): string[] {
  const source = join(root, file);
  const markdown = readFileSync(source, 'utf8');
  const problems: string[] = [];
  for (const target of linkTargets(markdown)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue; // https:, mailto:, …
    const [pathPart = '', fragment] = target.split('#', 2);
    const path = decodeURIComponent(pathPart.split('?')[0] as string);
    const resolved = path === '' ? source : resolve(dirname(source), path);
    if (!resolved.startsWith(root)) {
      problems.push(`${file}: ${target} (outside the repository)`);
      continue;
    }
    if (!existsSync(resolved)) {
      problems.push(`${file}: ${target} (no such file: ${relative(root, resolved)})`);
      continue;
    }
    if (fragment && resolved.endsWith('.md') && statSync(resolved).isFile() && !headingAnchors(readFileSync(resolved, 'utf8')).has(fragment)) {
      problems.push(`${file}: ${target} (no heading #${fragment} in ${relative(root, resolved)})`);
    }
  }
  return problems;
}

describe('relative links in the docs and READMEs', () => {
  const files = markdownFiles();

  it('finds the guides and READMEs to check', () => {
    expect(files).toEqual(expect.arrayContaining(['README.md', 'docs/README.md', 'docs/getting-started.md', 'examples/build-script/README.md', 'examples/comfyui/README.md']));
  });

  it.each(files)('%s: every relative link resolves', (file) => {
    expect(brokenLinks(file)).toEqual([]);
  });

  it('parses links and anchors the way GitHub renders them (so a broken one is caught)', () => {
    const sample = [
      '# Bucket setup & CORS',
      '## Bucket setup & CORS',
      'See [ops](operations.md#costs "Costs"), [x](<a b.md>), and `[not](a-link.md)`.',
      '```md',
      '[not either](missing.md)',
      '```',
      '[ref]: ../README.md',
    ].join('\n');
    expect(linkTargets(sample)).toEqual(['operations.md#costs', 'a b.md', '../README.md']);
    expect([...headingAnchors(sample)]).toEqual(['bucket-setup--cors', 'bucket-setup--cors-1']);
  });
});
