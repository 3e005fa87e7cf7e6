import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fsDriver } from '@kiln/storage';
import { startCdnServer } from '@kiln/storage/serve';
import { testAssetStore } from './contract/store-contract.js';

testAssetStore('fs driver behind the local CDN server', async () => {
  const root = await mkdtemp(join(tmpdir(), 'kiln-fs-store-'));
  const signingSecret = 'contract-test-secret-0123456789';
  const server = await startCdnServer({ root, signingSecret });
  return {
    driver: fsDriver({ root, baseUrl: server.url, signingSecret }),
    storeOptions: { cdnBaseUrl: server.url },
    cleanup: async () => {
      await server.close();
      await rm(root, { recursive: true, force: true });
    },
  };
});
