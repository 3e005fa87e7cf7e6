import { defineConfig } from 'tsup';

const common = { sourcemap: true, target: 'node20', platform: 'node' } as const;

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
    // The `kiln` executable: ESM only, keeps its shebang.
    entry: { bin: 'src/bin.ts' },
    format: ['esm'],
  },
]);
