import { defineConfig } from 'tsup';

export default defineConfig({
  // One entry per subpath: the AWS SDK is only loaded by `@kiln/storage/s3`, Node's http server
  // only by `@kiln/storage/serve`.
  entry: { index: 'src/index.ts', s3: 'src/s3.ts', serve: 'src/serve/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  platform: 'node',
});
