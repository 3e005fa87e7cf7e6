/**
 * @internal A worker script shipped beside a module: `<name>.mjs` next to the module when running
 * from the sources, `<name>.js` beside the bundle in dist/ (the ESM and CJS builds share it).
 */
export function workerUrl(name: string, moduleUrl: string): URL {
  return moduleUrl.endsWith('.ts') ? new URL(`./${name}.mjs`, moduleUrl) : new URL(`./${name}.js`, moduleUrl);
}
