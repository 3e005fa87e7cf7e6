import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { UsageError } from '../../usage.js';
import type { InputFile } from './inputs.js';

/** Where one input's results go. */
export interface OutputPlan {
  glb: string;
  lod(level: number): string;
}

function stem(path: string): string {
  return basename(path, extname(path));
}

function plan(glb: string): OutputPlan {
  const base = glb.replace(/\.glb$/i, '');
  return { glb, lod: (level) => `${base}.lod${level}.glb` };
}

/**
 * Output paths: without `-o`, `<name>.opt.glb` beside each input; `-o x.glb` for a single file
 * input; otherwise `-o` is a folder, and inputs found in a folder or by a glob keep their layout
 * relative to it. Two inputs that would write the same file are a usage error.
 */
export function planOutputs(files: readonly InputFile[], out: string | null, cwd: string): OutputPlan[] {
  const single = files.length === 1 && files[0]?.root === null;
  const plans = files.map((file) => {
    if (out === null) return plan(join(dirname(file.path), `${stem(file.path)}.opt.glb`));
    const target = resolve(cwd, out);
    if (/\.glb$/i.test(out)) {
      if (!single) throw new UsageError(`-o ${out} names a file, but there are ${files.length} inputs: give a folder`);
      return plan(target);
    }
    const sub = file.root ? relative(file.root, dirname(file.path)) : '';
    return plan(join(target, sub, `${stem(file.path)}.glb`));
  });
  const seen = new Map<string, string>();
  plans.forEach((p, i) => {
    const other = seen.get(p.glb);
    if (other) throw new UsageError(`${other} and ${files[i]?.display} would both write ${p.glb}`);
    seen.set(p.glb, files[i]?.display ?? '');
  });
  return plans;
}

/**
 * Writes files all-or-nothing: each to a temporary name beside its target first, then renamed.
 * On any failure, the temporary files are removed and no target is touched.
 */
export async function commitFiles(files: readonly { path: string; data: Uint8Array }[]): Promise<void> {
  const suffix = `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const written: string[] = [];
  try {
    for (const { path, data } of files) {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path + suffix, data);
      written.push(path + suffix);
    }
    for (const { path } of files) await rename(path + suffix, path);
  } catch (error) {
    await Promise.all(written.map((p) => rm(p, { force: true })));
    throw error;
  }
}
