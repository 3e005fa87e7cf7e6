import { defineConfig } from 'tsup';

const common = { sourcemap: true, target: 'node20', platform: 'node' } as const;

/**
 * Loaded at run time, not bundled: native (sharp), WASM read from their own files (draco3dgltf,
 * three's Basis transcoder), or large and only needed on a fallback path (gltf-validator, which
 * @kiln/optimize normally runs on its own worker thread). They are dependencies of this package.
 */
const RUNTIME = ['sharp', 'draco3dgltf', 'gltf-validator', 'three'];

export default defineConfig([
  {
    ...common,
    // The programmatic entry (`runCli`), for tests and tools that run kiln without a process.
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    shims: true,
  },
  {
    ...common,
    // The `kiln` executable: ESM only, keeps its shebang. One file with its dependencies inside
    // (zod, glTF Transform, @kiln/*): Node 20 resolves and links some 300 ES modules otherwise,
    // which cost about 70–85 ms of every run (measured A/B on a 12 KB model: 483 vs 568 ms, 0.66 vs 0.73 s median).
    // The worker scripts stay in @kiln/optimize's dist/, found through the installed package.
    entry: { bin: 'src/bin.ts' },
    format: ['esm'],
    noExternal: [new RegExp(`^(?!(${RUNTIME.join('|')})(/|$))`)],
    external: RUNTIME,
    // Bundled CommonJS modules (ndarray, via glTF Transform) call require() for the packages above.
    banner: { js: "import { createRequire as __kilnCreateRequire } from 'node:module';\nconst require = __kilnCreateRequire(import.meta.url);" },
  },
]);
