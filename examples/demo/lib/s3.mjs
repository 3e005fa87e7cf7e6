// --s3: the same flow against S3, here a private single-node Ceph RGW started for the demo (the
// test suite's launcher, test/servers/rgw.ts, run through tsx) and stopped at the end. The
// bucket is private: the manifest and every asset in it are presigned GET URLs, and the bucket's
// CORS rule lets the viewer page (http://127.0.0.1:<any port>) fetch them.
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { createAssetStore } from '@kiln/storage';
import { applyBucketSetup, corsRules, createS3Client, s3Driver } from '@kiln/storage/s3';
import { seconds } from './terminal.mjs';

export const BUCKET = 'kiln-demo';

/** Starts RGW, creates the bucket with its CORS rule, and returns the backend (see storage.mjs). */
export async function openS3Backend({ say }) {
  const { tsImport } = await import('tsx/esm/api');
  const { startRgw } = await tsImport('../../../test/servers/rgw.ts', import.meta.url);
  const started = performance.now();
  const rgw = await startRgw();
  try {
    const { endpoint, region, accessKeyId, secretAccessKey } = rgw.target;
    say(`  Ceph RGW (private, memstore) started in ${seconds(performance.now() - started)} on ${endpoint}`);
    const client = createS3Client({ endpoint, region, credentials: { accessKeyId, secretAccessKey } });
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const report = await applyBucketSetup(client, BUCKET, { cors: corsRules({ origins: ['http://127.0.0.1:*', 'http://localhost:*'] }) });
    const cors = report.find((item) => item.item === 'cors');
    if (cors?.status !== 'applied') throw new Error(`--s3: the bucket's CORS rule was not applied: ${JSON.stringify(cors)}`);
    return {
      kind: 's3',
      where: `s3://${BUCKET} on ${endpoint}`,
      cdnUrl: undefined,
      // No cdnBaseUrl: delivery URLs are presigned (an hour by default).
      open: () => createAssetStore({ driver: s3Driver({ client, bucket: BUCKET }) }),
      manifestLocation: (key) => `s3://${BUCKET}/${key}`,
      close: async () => {
        client.destroy();
        await rgw.stop();
      },
    };
  } catch (error) {
    await rgw.stop();
    throw error;
  }
}
