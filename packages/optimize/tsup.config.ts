import { defineConfig } from 'tsup';

const common = { sourcemap: true, target: 'node20', platform: 'node' } as const;

export default defineConfig([
  {
    ...common,
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    // `import.meta.url` in the CJS build (KTX2 worker path, createRequire for three's Basis
    // transcoder) comes from tsup's shim.
    shims: true,
  },
  {
    ...common,
    // The workers: worker_threads loads dist/ktx2-worker.js (src/textures/ktx2-pool.ts) and
    // dist/validate-worker.js (src/validator-thread.ts) by path, from the ESM and the CJS build
    // alike, so one ESM file each serves both.
    entry: { 'ktx2-worker': 'src/textures/ktx2-worker.mjs', 'validate-worker': 'src/validate-worker.mjs' },
    format: ['esm'],
  },
]);
