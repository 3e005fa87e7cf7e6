import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { startRgw } from './servers/rgw.js';
import { startS3rver } from './servers/s3rver.js';
import { makeS3Client } from './servers/client.js';
import * as b from '../packages/storage/src/bucket/index.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const which = process.argv[2];
const server = which === 'rgw' ? await startRgw() : await startS3rver();
try {
  const client = makeS3Client(server.target);
  const full = {
    cors: b.corsRules({ origins: ['https://game.example.com', 'http://localhost:*'], allowPut: true }),
    lifecycle: b.lifecycleRules(),
    intelligentTiering: b.intelligentTieringConfiguration({ id: 'archive', archiveAfterDays: 90, deepArchiveAfterDays: 180 }),
    versioning: b.versioningConfiguration(),
    encryption: b.defaultEncryption({ algorithm: 'AES256' }),
    publicAccessBlock: b.publicAccessBlock(),
    policy: b.cloudFrontOacBucketPolicy({ bucket: 'explore-full', distributionArn: 'arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE' }),
  };
  await client.send(new CreateBucketCommand({ Bucket: 'explore-pol' }));
  const oac = b.cloudFrontOacBucketPolicy({ bucket: 'explore-pol', distributionArn: 'arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE' });
  const tryIt = async (label: string, bucket: string, setup: b.BucketSetup) => { try { console.log(label, JSON.stringify(await b.applyBucketSetup(client, bucket, setup))); } catch (e) { console.log(label, 'THROW', (e as Error).message); } };
  await tryIt('OAC-no-PAB', 'explore-pol', { policy: oac });
  console.log('READ-POL', JSON.stringify((await b.readBucketSetup(client, 'explore-pol')).policy));
  await tryIt('PAB', 'explore-pol', { publicAccessBlock: b.publicAccessBlock() });
  await tryIt('OAC-after-PAB', 'explore-pol', { policy: oac });
  const nocond = { Version: '2012-10-17' as const, Statement: [{ Effect: 'Allow' as const, Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::explore-pol/*' }] };
  await tryIt('ACCOUNT-after-PAB', 'explore-pol', { policy: nocond });
  await tryIt('ENC-KMS', 'explore-pol', { encryption: b.defaultEncryption({ algorithm: 'aws:kms', kmsKeyId: 'testkey' }) });
  await tryIt('LC-IA-only', 'explore-pol', { lifecycle: b.lifecycleRules({ glacierAfterDays: false }) });
  await tryIt('LC-GLACIER-only', 'explore-pol', { lifecycle: b.lifecycleRules({ standardIaAfterDays: false }) });
  await tryIt('VERS-SUSP', 'explore-pol', { versioning: b.versioningConfiguration(false) });
  console.log('READ-POL2', JSON.stringify(await b.readBucketSetup(client, 'explore-pol')));
  await client.send(new CreateBucketCommand({ Bucket: 'explore-full' }));
  full.publicAccessBlock = undefined as never; delete (full as Partial<typeof full>).publicAccessBlock;
  console.log('APPLY', JSON.stringify(await b.applyBucketSetup(client, 'explore-full', full), null, 1));
  console.log('READ', JSON.stringify(await b.readBucketSetup(client, 'explore-full'), null, 1));
  await client.send(new CreateBucketCommand({ Bucket: 'explore-min' }));
  console.log('APPLY-MIN', JSON.stringify(await b.applyBucketSetup(client, 'explore-min', { lifecycle: b.lifecycleRules({ standardIaAfterDays: false, glacierAfterDays: false }), encryption: b.defaultEncryption({ algorithm: 'aws:kms' }), policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: ['*'] }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::explore-min/*' }] } }), null, 1));
  console.log('READ-MIN', JSON.stringify(await b.readBucketSetup(client, 'explore-min'), null, 1));
  try { await b.applyBucketSetup(client, 'explore-missing', { versioning: b.versioningConfiguration() }); } catch (e) { console.log('MISSING', (e as Error).message); }
  await client.send(new PutObjectCommand({ Bucket: 'explore-full', Key: 'a.glb', Body: 'x', ContentType: 'model/gltf-binary' }));
  const url = `${server.target.endpoint}/explore-full/a.glb`;
  for (const origin of ['https://game.example.com', 'https://evil.example.com', 'http://localhost:5173']) {
    const r = await fetch(url, { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'range' } });
    console.log('PREFLIGHT', origin, r.status, JSON.stringify(Object.fromEntries(r.headers)));
  }
  const bad = makeS3Client(server.target, { secretAccessKey: 'wrong' });
  try { await b.applyBucketSetup(bad, 'explore-full', { versioning: b.versioningConfiguration() }); } catch (e) { console.log('BADKEY', (e as Error).message); }
} finally {
  await server.stop();
}
