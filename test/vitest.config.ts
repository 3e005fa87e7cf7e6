import { fileURLToPath } from 'node:url';
import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('..', import.meta.url));

// Workspace packages resolve to their TypeScript sources through the `source` export condition,
// so tests never need a build (the packaging tests check the built output separately).
// Without `module`, as in Vitest's own default: Node loads externalized dependencies itself, and
// `module` picks bundler-only ESM builds it cannot load (@aws-sdk/* dist-es: extensionless imports,
// "Cannot find module .../dist-es/submodules/flexible-checksums/NODE_REQUEST_CHECKSUM_...").
const conditions = ['source', ...defaultServerConditions.filter((condition) => condition !== 'module')];

export default defineConfig({
  root,
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    globalSetup: ['test/setup/servers.ts'],
    setupFiles: ['test/setup/fail-on-console.ts'],
    env: {
      // The AWS SDK's documented switch for its one-time "versions published after the first week of
      // January 2027 will require node >=22" process warning (aws/aws-sdk-js-v3#7983); the global
      // setup sets it for the main process too.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
