import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { glob } from 'tinyglobby';
import { UsageError } from '../../usage.js';

/** One file to optimise. */
export interface InputFile {
  /** Absolute path. */
  path: string;
  /** Path as shown in messages (relative to the working folder when inside it). */
  display: string;
  /** The folder it was found in (folder or glob input), whose layout the output mirrors. */
  root: string | null;
}

const GLOB_CHARS = /[*?[\]{}]/;
const MODEL = /\.(glb|gltf)$/i;
/** Our own outputs, skipped when scanning folders so that a second run does not re-optimise them. */
const OUTPUT = /\.(opt|lod\d+)\.glb$/i;

function display(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

async function walk(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map(async (entry) => {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name.startsWith('.') ? [] : walk(path);
      return entry.isFile() && MODEL.test(entry.name) && !OUTPUT.test(entry.name) ? [path] : [];
    }),
  );
  return nested.flat();
}

/**
 * Expands the command's inputs: files as given, folders to every .glb/.gltf inside (recursively,
 * skipping node_modules, dot folders and Kiln's own `.opt.glb`/`.lodN.glb` outputs), globs to
 * their matches. A path that does not exist or a pattern that matches nothing is a usage error.
 */
export async function expandInputs(inputs: readonly string[], cwd: string): Promise<InputFile[]> {
  const found = new Map<string, InputFile>();
  for (const input of inputs) {
    const path = resolve(cwd, input);
    const info = await stat(path).catch(() => null);
    if (info?.isDirectory()) {
      const files = (await walk(path)).sort();
      if (files.length === 0) throw new UsageError(`no .glb or .gltf file in folder ${input}`);
      for (const file of files) if (!found.has(file)) found.set(file, { path: file, display: display(file, cwd), root: path });
    } else if (info) {
      if (!found.has(path)) found.set(path, { path, display: display(path, cwd), root: null });
    } else if (GLOB_CHARS.test(input)) {
      const matches = (await glob(input, { cwd, absolute: true, onlyFiles: true })).filter((f) => MODEL.test(f)).sort();
      if (matches.length === 0) throw new UsageError(`no .glb or .gltf file matches ${input}`);
      // The folders before the first glob segment: the layout below it is kept in -o.
      const fixed: string[] = [];
      for (const part of input.split(/[\\/]/).slice(0, -1)) {
        if (GLOB_CHARS.test(part)) break;
        fixed.push(part);
      }
      const root = resolve(cwd, fixed.join('/') || '.');
      for (const file of matches) if (!found.has(file)) found.set(file, { path: file, display: display(file, cwd), root });
    } else {
      throw new UsageError(`no such file or folder: ${input}`);
    }
  }
  return [...found.values()];
}
