import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * @internal A worker script shipped with this package: `<name>.mjs` next to the module when
 * running from the sources, `<name>.js` in dist/ (the ESM and CJS builds share it). When this code
 * is bundled into another file (the `kiln` binary bundles it for a faster start), dist/ is found
 * through the installed `@kiln/optimize` package instead of beside the bundle.
 */
export function workerUrl(name: string, moduleUrl: string): URL {
  if (moduleUrl.endsWith('.ts')) return new URL(`./${name}.mjs`, moduleUrl);
  const beside = new URL(`./${name}.js`, moduleUrl);
  if (existsSync(fileURLToPath(beside))) return beside;
  try {
    return new URL(`./${name}.js`, pathToFileURL(createRequire(moduleUrl).resolve('@kiln/optimize')));
  } catch {
    return beside; // not installed either: the worker fails to start, and callers fall back
  }
}
