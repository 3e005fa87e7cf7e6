import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'browser',
  // `three` (peer) and `@kiln/manifest` stay imports; the meshopt decoder is imported lazily from
  // `three`. `shims` gives the CJS build an `import.meta.url` for the default decoder path.
  external: ['three', /^three\//],
  shims: true,
});
