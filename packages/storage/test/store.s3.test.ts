import { s3Driver } from '@kiln/storage/s3';
import { createTestBucket, makeS3Client, s3Targets } from '../../../test/servers/targets.js';
import { testAssetStore } from './contract/store-contract.js';

for (const target of s3Targets()) {
  testAssetStore(`s3 driver on ${target.name}`, async () => {
    const client = makeS3Client(target);
    const bucket = await createTestBucket(client, 'contract');
    return {
      // s3rver ignores If-None-Match; RGW enforces it.
      driver: s3Driver({ client, bucket: bucket.name, conditionalWrites: target.strict }),
      cleanup: async () => {
        await bucket.cleanup();
        client.destroy();
      },
    };
  });
}
