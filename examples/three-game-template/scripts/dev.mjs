// `pnpm dev`: makes the sample assets, serves them from the local CDN server (another origin than
// the page, so CORS is exercised as in production), copies @kiln/three's decoders into public/,
// and starts Vite with the manifest URL.
import { startCdnServer } from '@kiln/storage/serve';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';
import { ASSETS_DIR, CDN_PORT, makeAssets } from './make-assets.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const decoders = join(dirname(require.resolve('@kiln/three/package.json')), 'decoders');
if (!existsSync(decoders)) {
  process.stderr.write('@kiln/three has no decoders/ yet: run `pnpm build` at the workspace root first\n');
  process.exit(1);
}
rmSync(join(root, 'public', 'kiln-decoders'), { recursive: true, force: true });
cpSync(decoders, join(root, 'public', 'kiln-decoders'), { recursive: true });

const manifestUrl = await makeAssets();
const cdn = await startCdnServer({ root: ASSETS_DIR, port: CDN_PORT });
process.env.VITE_KILN_MANIFEST_URL = manifestUrl;
const vite = await createServer({ root, server: { host: '127.0.0.1' } });
await vite.listen();
vite.printUrls();
process.stdout.write(`assets: ${cdn.url} (manifest ${manifestUrl})\n`);
const stop = async () => {
  await vite.close();
  await cdn.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
