// Pure tests of the bucket setup builders, the cost estimate, and applyBucketSetup /
// readBucketSetup against a mocked S3Client.send (exact command inputs, error classification).
import { S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import { KilnValidationError, type ValidationIssue } from '@kiln/manifest';
import { describe, expect, it, vi } from 'vitest';
import {
  applyBucketSetup,
  BUCKET_SETUP_ORDER,
  cloudFrontCompression,
  cloudFrontOacBucketPolicy,
  cloudFrontResponseHeadersPolicy,
  corsRules,
  defaultEncryption,
  intelligentTieringConfiguration,
  LIFECYCLE_DEFAULTS,
  lifecycleRules,
  originProblem,
  publicAccessBlock,
  readBucketSetup,
  shouldCompress,
  versioningConfiguration,
} from '../src/bucket/index.js';
import { BYTES_PER_GB, DEFAULT_PRICING, estimateMonthlyCost } from '../src/cost.js';
import { StorageError } from '../src/errors.js';

/** The issues of the KilnValidationError `fn` throws (fails when it throws anything else). */
function issuesOf(fn: () => unknown): ValidationIssue[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof KilnValidationError) return [...error.issues];
    throw error;
  }
  throw new Error('expected a KilnValidationError, nothing was thrown');
}

const paths = (fn: () => unknown) => issuesOf(fn).map((issue) => issue.path);
const GiB = BYTES_PER_GB;

describe('corsRules', () => {
  it('builds one GET/HEAD rule with range + content-type, exposing the range and ETag headers', () => {
    expect(corsRules({ origins: ['https://game.example.com', 'http://localhost:*'] })).toEqual({
      CORSRules: [
        {
          ID: 'kiln-webgl',
          AllowedOrigins: ['https://game.example.com', 'http://localhost:*'],
          AllowedMethods: ['GET', 'HEAD'],
          AllowedHeaders: ['range', 'content-type'],
          ExposeHeaders: ['ETag', 'Content-Length', 'Content-Range', 'Accept-Ranges'],
          MaxAgeSeconds: 3600,
        },
      ],
    });
  });

  it('adds PUT for presigned uploads, extra headers (lower-cased, deduplicated) and maxAgeSeconds', () => {
    const rule = corsRules({
      origins: ['https://*.example.com', 'https://*.example.com'],
      allowPut: true,
      maxAgeSeconds: 600,
      extraAllowedHeaders: ['Cache-Control', 'content-type'],
    }).CORSRules?.[0];
    expect(rule).toEqual({
      ID: 'kiln-webgl',
      AllowedOrigins: ['https://*.example.com'],
      AllowedMethods: ['GET', 'HEAD', 'PUT'],
      AllowedHeaders: ['range', 'content-type', 'cache-control'],
      ExposeHeaders: ['ETag', 'Content-Length', 'Content-Range', 'Accept-Ranges'],
      MaxAgeSeconds: 600,
    });
  });

  it('accepts the origin forms S3 matches', () => {
    for (const origin of ['*', 'http://localhost:*', 'https://*.example.com', 'http://127.0.0.1:5173', 'http://[::1]:3000', 'https://a-b.example.co.uk']) {
      expect(originProblem(origin, { wildcards: 's3' }), origin).toBeUndefined();
    }
  });

  it.each([
    ['https://game.example.com/', 'must not have a path, query or fragment (got "/")'],
    ['https://game.example.com/app', 'must not have a path, query or fragment (got "/app")'],
    ['https://game.example.com?x=1', 'must not have a path, query or fragment (got "?x=1")'],
    ['ftp://game.example.com', 'must use http or https (got "ftp:")'],
    ['game.example.com', 'must be an absolute http(s) origin such as "https://game.example.com" (got "game.example.com")'],
    ['https://Game.example.com', 'must be lower case, as browsers send it in the Origin header'],
    ['https://game.example.com:443', 'must leave out the default port :443, as browsers do'],
    ['http://localhost:70000', 'must have a port in 1-65535 or "*" (got "70000")'],
    ['https://*.example.com:*', 'must contain at most one "*" wildcard'],
    ['https://*.com', 'may only use "*" as a whole leftmost host label under a domain, such as "https://*.example.com"'],
    ['https://game*.example.com', 'may only use "*" as a whole leftmost host label under a domain, such as "https://*.example.com"'],
    ['https://user@game.example.com', 'must not contain credentials'],
    ['https://bad_host.example.com', 'must have a valid host name (got "bad_host.example.com")'],
  ])('refuses origin %s and names the field', (origin, message) => {
    expect(issuesOf(() => corsRules({ origins: ['https://ok.example.com', origin] }))).toEqual([{ path: 'origins.1', message }]);
  });

  it('names every other invalid field', () => {
    expect(paths(() => corsRules({ origins: [] }))).toEqual(['origins']);
    expect(paths(() => corsRules({ origins: ['*'], maxAgeSeconds: -1 }))).toEqual(['maxAgeSeconds']);
    expect(paths(() => corsRules({ origins: ['*'], maxAgeSeconds: 86_401 }))).toEqual(['maxAgeSeconds']);
    expect(paths(() => corsRules({ origins: ['*'], extraAllowedHeaders: ['bad header'] }))).toEqual(['extraAllowedHeaders.0']);
    expect(() => corsRules({ origins: ['ftp://x.example.com'] })).toThrow(/^storage\.corsRules: invalid input: origins\.0: must use http or https/);
  });
});

describe('lifecycleRules', () => {
  it('defaults to the runbook preset: IA at 30, GLACIER at 90, expiry at 400, multipart abort after 7', () => {
    expect(LIFECYCLE_DEFAULTS).toEqual({
      id: 'kiln-assets',
      prefix: '',
      standardIaAfterDays: 30,
      glacierAfterDays: 90,
      expireAfterDays: 400,
      abortIncompleteMultipartUploadAfterDays: 7,
    });
    const expected = {
      Rules: [
        {
          ID: 'kiln-assets',
          Status: 'Enabled',
          Filter: { Prefix: '' },
          Transitions: [
            { Days: 30, StorageClass: 'STANDARD_IA' },
            { Days: 90, StorageClass: 'GLACIER' },
          ],
          Expiration: { Days: 400 },
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
        },
      ],
    };
    expect(lifecycleRules()).toEqual(expected);
    expect(lifecycleRules({})).toEqual(expected);
    // undefined means "default", not "leave out"
    expect(lifecycleRules({ glacierAfterDays: undefined } as never)).toEqual(expected);
  });

  it('takes a prefix and overrides, and leaves out steps set to false', () => {
    expect(lifecycleRules({ id: 'runs', prefix: 'tenants/', standardIaAfterDays: 60, glacierAfterDays: 180, expireAfterDays: 730 })).toEqual({
      Rules: [
        {
          ID: 'runs',
          Status: 'Enabled',
          Filter: { Prefix: 'tenants/' },
          Transitions: [
            { Days: 60, StorageClass: 'STANDARD_IA' },
            { Days: 180, StorageClass: 'GLACIER' },
          ],
          Expiration: { Days: 730 },
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
        },
      ],
    });
    expect(lifecycleRules({ standardIaAfterDays: false, glacierAfterDays: false })).toEqual({
      Rules: [
        {
          ID: 'kiln-assets',
          Status: 'Enabled',
          Filter: { Prefix: '' },
          Expiration: { Days: 400 },
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
        },
      ],
    });
    expect(lifecycleRules({ standardIaAfterDays: false, glacierAfterDays: 0, expireAfterDays: false, abortIncompleteMultipartUploadAfterDays: false })).toEqual({
      Rules: [{ ID: 'kiln-assets', Status: 'Enabled', Filter: { Prefix: '' }, Transitions: [{ Days: 0, StorageClass: 'GLACIER' }] }],
    });
  });

  it('enforces the S3 ordering rules and names the field', () => {
    expect(issuesOf(() => lifecycleRules({ standardIaAfterDays: 29 }))).toEqual([{ path: 'standardIaAfterDays', message: 'must be at least 30' }]);
    expect(issuesOf(() => lifecycleRules({ standardIaAfterDays: 30, glacierAfterDays: 59 }))).toEqual([
      {
        path: 'glacierAfterDays',
        message: 'must be at least 30 days after standardIaAfterDays (30); S3 keeps objects 30 days in STANDARD_IA before GLACIER',
      },
    ]);
    expect(issuesOf(() => lifecycleRules({ expireAfterDays: 90 }))).toEqual([
      { path: 'expireAfterDays', message: 'must be greater than glacierAfterDays (90)' },
    ]);
    expect(issuesOf(() => lifecycleRules({ glacierAfterDays: false, expireAfterDays: 30 }))).toEqual([
      { path: 'expireAfterDays', message: 'must be greater than standardIaAfterDays (30)' },
    ]);
    expect(paths(() => lifecycleRules({ glacierAfterDays: 90.5 }))).toEqual(['glacierAfterDays']);
    expect(paths(() => lifecycleRules({ abortIncompleteMultipartUploadAfterDays: 0 }))).toEqual(['abortIncompleteMultipartUploadAfterDays']);
    expect(paths(() => lifecycleRules({ id: '' }))).toEqual(['id']);
    expect(
      paths(() => lifecycleRules({ standardIaAfterDays: false, glacierAfterDays: false, expireAfterDays: false, abortIncompleteMultipartUploadAfterDays: false })),
    ).toEqual(['']);
  });
});

describe('intelligentTieringConfiguration', () => {
  it('builds the archive tiers asked for, with an optional prefix filter', () => {
    expect(intelligentTieringConfiguration({ id: 'archive', archiveAfterDays: 90, deepArchiveAfterDays: 180 })).toEqual({
      Id: 'archive',
      Status: 'Enabled',
      Tierings: [
        { AccessTier: 'ARCHIVE_ACCESS', Days: 90 },
        { AccessTier: 'DEEP_ARCHIVE_ACCESS', Days: 180 },
      ],
    });
    expect(intelligentTieringConfiguration({ id: 'deep', deepArchiveAfterDays: 730, prefix: 'sources/' })).toEqual({
      Id: 'deep',
      Status: 'Enabled',
      Filter: { Prefix: 'sources/' },
      Tierings: [{ AccessTier: 'DEEP_ARCHIVE_ACCESS', Days: 730 }],
    });
  });

  it('enforces the S3 day ranges and names the field', () => {
    expect(issuesOf(() => intelligentTieringConfiguration({ id: 'a', archiveAfterDays: 89 }))).toEqual([
      { path: 'archiveAfterDays', message: 'must be 90-730 days (S3 limit)' },
    ]);
    expect(paths(() => intelligentTieringConfiguration({ id: 'a', archiveAfterDays: 731 }))).toEqual(['archiveAfterDays']);
    expect(issuesOf(() => intelligentTieringConfiguration({ id: 'a', deepArchiveAfterDays: 179 }))).toEqual([
      { path: 'deepArchiveAfterDays', message: 'must be 180-730 days (S3 limit)' },
    ]);
    expect(paths(() => intelligentTieringConfiguration({ id: 'a', archiveAfterDays: 200, deepArchiveAfterDays: 200 }))).toEqual(['deepArchiveAfterDays']);
    expect(paths(() => intelligentTieringConfiguration({ id: 'a' }))).toEqual(['archiveAfterDays']);
    expect(paths(() => intelligentTieringConfiguration({ id: 'has space', archiveAfterDays: 90 }))).toEqual(['id']);
    expect(paths(() => intelligentTieringConfiguration({ id: 'a', archiveAfterDays: 90, prefix: '' }))).toEqual(['prefix']);
  });
});

describe('versioning, encryption, public access block', () => {
  it('versioningConfiguration', () => {
    expect(versioningConfiguration()).toEqual({ Status: 'Enabled' });
    expect(versioningConfiguration(true)).toEqual({ Status: 'Enabled' });
    expect(versioningConfiguration(false)).toEqual({ Status: 'Suspended' });
    expect(paths(() => versioningConfiguration('yes' as never))).toEqual(['']);
  });

  it('defaultEncryption', () => {
    expect(defaultEncryption({ algorithm: 'AES256' })).toEqual({ Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] });
    expect(defaultEncryption({ algorithm: 'aws:kms', kmsKeyId: 'arn:aws:kms:eu-north-1:123456789012:alias/kiln' })).toEqual({
      Rules: [
        {
          ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'arn:aws:kms:eu-north-1:123456789012:alias/kiln' },
          BucketKeyEnabled: true,
        },
      ],
    });
    expect(defaultEncryption({ algorithm: 'aws:kms', bucketKeyEnabled: false })).toEqual({
      Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' }, BucketKeyEnabled: false }],
    });
    expect(issuesOf(() => defaultEncryption({ algorithm: 'AES256', kmsKeyId: 'k' }))).toEqual([
      { path: 'kmsKeyId', message: 'only applies to algorithm "aws:kms"' },
    ]);
    expect(paths(() => defaultEncryption({ algorithm: 'aws:kms:dsse' as never }))).toEqual(['algorithm']);
  });

  it('publicAccessBlock sets all four', () => {
    expect(publicAccessBlock()).toEqual({ BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
  });
});

describe('CloudFront', () => {
  const distributionArn = 'arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE';

  it('cloudFrontOacBucketPolicy is the documented OAC policy', () => {
    expect(cloudFrontOacBucketPolicy({ bucket: 'kiln-assets', distributionArn })).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'AllowCloudFrontServicePrincipalReadOnly',
          Effect: 'Allow',
          Principal: { Service: 'cloudfront.amazonaws.com' },
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::kiln-assets/*',
          Condition: { StringEquals: { 'AWS:SourceArn': distributionArn } },
        },
      ],
    });
    const cn = cloudFrontOacBucketPolicy({ bucket: 'kiln-assets', distributionArn: 'arn:aws-cn:cloudfront::123456789012:distribution/E1' });
    expect(cn.Statement[0]?.Resource).toBe('arn:aws-cn:s3:::kiln-assets/*');
  });

  it('cloudFrontOacBucketPolicy validates the ARN and the bucket name', () => {
    for (const arn of [
      'arn:aws:cloudfront::12345678901:distribution/E1',
      'arn:aws:s3:::kiln-assets',
      'arn:aws:cloudfront:us-east-1:123456789012:distribution/E1',
      'arn:aws:cloudfront::123456789012:distribution/',
      'arn:aws:cloudfront::123456789012:origin-access-control/E1',
      'EDFDVBD6EXAMPLE',
    ]) {
      expect(paths(() => cloudFrontOacBucketPolicy({ bucket: 'kiln-assets', distributionArn: arn })), arn).toEqual(['distributionArn']);
    }
    for (const bucket of ['Kiln', 'ab', 'kiln..assets', '192.168.1.1', '-kiln', 'kiln/x']) {
      expect(paths(() => cloudFrontOacBucketPolicy({ bucket, distributionArn })), bucket).toContain('bucket');
    }
  });

  it('cloudFrontResponseHeadersPolicy adds CORP cross-origin and CORS, in the CloudFront API shape', () => {
    expect(cloudFrontResponseHeadersPolicy({ name: 'kiln-assets' })).toEqual({
      Name: 'kiln-assets',
      Comment: 'Kiln assets: Cross-Origin-Resource-Policy cross-origin and CORS for WebGL loaders',
      CorsConfig: {
        AccessControlAllowOrigins: { Quantity: 1, Items: ['*'] },
        AccessControlAllowHeaders: { Quantity: 1, Items: ['range'] },
        AccessControlAllowMethods: { Quantity: 2, Items: ['GET', 'HEAD'] },
        AccessControlAllowCredentials: false,
        AccessControlExposeHeaders: { Quantity: 4, Items: ['ETag', 'Content-Length', 'Content-Range', 'Accept-Ranges'] },
        AccessControlMaxAgeSec: 3600,
        OriginOverride: true,
      },
      CustomHeadersConfig: { Quantity: 1, Items: [{ Header: 'Cross-Origin-Resource-Policy', Value: 'cross-origin', Override: true }] },
    });
    const policy = cloudFrontResponseHeadersPolicy({ name: 'p', origins: ['https://a.example.com', 'http://localhost:5173'], maxAgeSeconds: 60, comment: 'c' });
    expect(policy.CorsConfig?.AccessControlAllowOrigins).toEqual({ Quantity: 2, Items: ['https://a.example.com', 'http://localhost:5173'] });
    expect(policy.CorsConfig?.AccessControlMaxAgeSec).toBe(60);
    expect(policy.Comment).toBe('c');
  });

  it('cloudFrontResponseHeadersPolicy validates and names the field', () => {
    expect(issuesOf(() => cloudFrontResponseHeadersPolicy({ name: 'p', origins: ['http://localhost:*'] }))).toEqual([
      { path: 'origins.0', message: 'must be an exact origin or "*" alone; partial wildcards are not allowed here' },
    ]);
    expect(paths(() => cloudFrontResponseHeadersPolicy({ name: 'p', origins: ['*', 'https://a.example.com'] }))).toEqual(['origins']);
    expect(paths(() => cloudFrontResponseHeadersPolicy({ name: 'has space' }))).toEqual(['name']);
    expect(paths(() => cloudFrontResponseHeadersPolicy({ name: 'p', comment: 'x'.repeat(129) }))).toEqual(['comment']);
  });

  it('cloudFrontCompression lists what to compress and what CloudFront compresses by Content-Type', () => {
    expect(cloudFrontCompression()).toEqual({
      compress: ['gltf', 'glsl', 'json', 'html'],
      neverCompress: ['glb', 'ktx2', 'mp4', 'mp3', 'png', 'jpg', 'jpeg'],
      contentTypes: {
        gltf: 'model/gltf+json',
        glsl: 'text/plain',
        json: 'application/json',
        html: 'text/html',
        glb: 'model/gltf-binary',
        ktx2: 'image/ktx2',
        mp4: 'video/mp4',
        mp3: 'audio/mpeg',
        png: 'image/png',
        jpg: 'image/jpeg',
        jpeg: 'image/jpeg',
      },
      compressedByCloudFront: ['glsl', 'json', 'html'],
      minBytes: 1000,
      maxBytes: 10_000_000,
    });
  });

  it.each([
    ['gltf', true],
    ['.GLTF', true],
    ['tenants/t/runs/r/scene.gltf', true],
    ['shader.glsl', true],
    ['json', true],
    ['index.html', true],
    ['model/gltf+json', true],
    ['text/plain; charset=utf-8', true],
    ['application/json', true],
    ['text/html;charset=UTF-8', true],
    ['glb', false],
    ['model/gltf-binary', false],
    ['image/ktx2', false],
    ['clip.mp4', false],
    ['audio/mpeg', false],
    ['texture.png', false],
    ['photo.jpg', false],
    ['image/jpeg', false],
    ['unknown.xyz', false],
    ['application/octet-stream', false],
  ])('shouldCompress(%s) is %s', (value, expected) => {
    expect(shouldCompress(value)).toBe(expected);
  });
});

describe('estimateMonthlyCost', () => {
  it('prices storage by class, requests per 1000 and transfer per GB of 2^30 bytes', () => {
    const estimate = estimateMonthlyCost({
      storedBytesByClass: { STANDARD: 100 * GiB, STANDARD_IA: 200 * GiB, GLACIER: 1024 * GiB, DEEP_ARCHIVE: 10_240 * GiB },
      putRequests: 250_000,
      getRequests: 3_000_000,
      transferOutBytes: 1024 * GiB,
    });
    // By hand: 100 × 0.0245 = 2.45; 200 × 0.0125 = 2.5; 1024 × 0.004 = 4.096; 10240 × 0.0018 = 18.432
    // storage 27.478; PUT 250 × 0.005 = 1.25; GET 3000 × 0.0004 = 1.2; transfer 1024 × 0.09 = 92.16
    expect(estimate.storage).toBeCloseTo(27.478, 10);
    expect(estimate.requests).toBeCloseTo(2.45, 10);
    expect(estimate.transfer).toBeCloseTo(92.16, 10);
    expect(estimate.total).toBeCloseTo(122.088, 10);
    expect(estimate.currency).toBe('USD');
    expect(estimate.lines.map(({ kind, name, quantity, unit, unitPrice }) => ({ kind, name, quantity, unit, unitPrice }))).toEqual([
      { kind: 'storage', name: 'STANDARD', quantity: 100, unit: 'GB-month', unitPrice: 0.0245 },
      { kind: 'storage', name: 'STANDARD_IA', quantity: 200, unit: 'GB-month', unitPrice: 0.0125 },
      { kind: 'storage', name: 'GLACIER', quantity: 1024, unit: 'GB-month', unitPrice: 0.004 },
      { kind: 'storage', name: 'DEEP_ARCHIVE', quantity: 10_240, unit: 'GB-month', unitPrice: 0.0018 },
      { kind: 'requests', name: 'PUT', quantity: 250, unit: '1000 requests', unitPrice: 0.005 },
      { kind: 'requests', name: 'GET', quantity: 3000, unit: '1000 requests', unitPrice: 0.0004 },
      { kind: 'transfer', name: 'out', quantity: 1024, unit: 'GB', unitPrice: 0.09 },
    ]);
    expect(estimate.lines.map((line) => line.cost)).toEqual([
      expect.closeTo(2.45, 10),
      expect.closeTo(2.5, 10),
      expect.closeTo(4.096, 10),
      expect.closeTo(18.432, 10),
      expect.closeTo(1.25, 10),
      expect.closeTo(1.2, 10),
      expect.closeTo(92.16, 10),
    ]);
  });

  it('uses binary GB: 10^9 bytes is 0.931 GB', () => {
    const estimate = estimateMonthlyCost({ storedBytesByClass: { STANDARD: 1e9, GLACIER_IR: 1e9 } });
    // 1e9 / 1073741824 = 0.9313225746154785; × 0.0245 = 0.022817403078079224; × 0.004 = 0.003725290298461914
    expect(estimate.lines[0]?.quantity).toBeCloseTo(0.9313225746154785, 15);
    expect(estimate.storage).toBeCloseTo(0.022817403078079224 + 0.003725290298461914, 15);
    expect(estimate.requests).toBe(0);
    expect(estimate.transfer).toBe(0);
    expect(estimate.lines).toHaveLength(2);
  });

  it('takes other prices', () => {
    const pricing = { ...DEFAULT_PRICING, region: 'x', transferOutPerGb: 0 };
    expect(estimateMonthlyCost({ storedBytesByClass: {}, transferOutBytes: 5 * GiB }, pricing).total).toBe(0);
  });

  it('validates and names the field', () => {
    expect(issuesOf(() => estimateMonthlyCost({ storedBytesByClass: { STANDARD: -1 } }))).toEqual([
      { path: 'storedBytesByClass.STANDARD', message: 'must not be negative' },
    ]);
    expect(paths(() => estimateMonthlyCost({ storedBytesByClass: { ONEZONE_IA: 1 } as never }))).toEqual(['storedBytesByClass']);
    expect(paths(() => estimateMonthlyCost({ storedBytesByClass: {}, getRequests: 1.5 }))).toEqual(['getRequests']);
    expect(paths(() => estimateMonthlyCost({ storedBytesByClass: {}, putRequests: -1 }))).toEqual(['putRequests']);
    expect(paths(() => estimateMonthlyCost({ storedBytesByClass: {}, transferOutBytes: Number.POSITIVE_INFINITY }))).toEqual(['transferOutBytes']);
    expect(paths(() => estimateMonthlyCost({ storedBytesByClass: {} }, { ...DEFAULT_PRICING, putPer1000: -0.005 }))).toEqual(['putPer1000']);
  });
});

/** An SDK-shaped service error, as the deserializer builds it from an S3 error answer. */
function serviceError(name: string, httpStatusCode: number, message = `${name} message`): S3ServiceException {
  return new S3ServiceException({ name, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode }, message });
}

/** A client whose `send` answers per command name; records the commands. */
function fakeClient(answers: Record<string, unknown> = {}) {
  const sent: { command: string; input: unknown }[] = [];
  const send = vi.fn(async (command: { constructor: { name: string }; input: unknown }) => {
    const name = command.constructor.name;
    sent.push({ command: name, input: command.input });
    const answer = answers[name];
    if (answer instanceof Error) throw answer;
    return answer ?? {};
  });
  return { client: { send } as unknown as S3Client, sent };
}

describe('applyBucketSetup (mocked client)', () => {
  const full = {
    cors: corsRules({ origins: ['https://game.example.com'] }),
    lifecycle: lifecycleRules(),
    intelligentTiering: intelligentTieringConfiguration({ id: 'archive', archiveAfterDays: 90 }),
    versioning: versioningConfiguration(),
    encryption: defaultEncryption({ algorithm: 'AES256' }),
    publicAccessBlock: publicAccessBlock(),
    policy: cloudFrontOacBucketPolicy({ bucket: 'kiln-assets', distributionArn: 'arn:aws:cloudfront::123456789012:distribution/E1' }),
  };

  it('checks the bucket, then sends each item with its command and exact input, in BUCKET_SETUP_ORDER', async () => {
    const { client, sent } = fakeClient();
    const report = await applyBucketSetup(client, 'kiln-assets', full);
    expect(report).toEqual(BUCKET_SETUP_ORDER.map((item) => ({ item, status: 'applied' })));
    expect(sent).toEqual([
      { command: 'HeadBucketCommand', input: { Bucket: 'kiln-assets' } },
      { command: 'PutBucketVersioningCommand', input: { Bucket: 'kiln-assets', VersioningConfiguration: full.versioning } },
      { command: 'PutBucketEncryptionCommand', input: { Bucket: 'kiln-assets', ServerSideEncryptionConfiguration: full.encryption } },
      { command: 'PutPublicAccessBlockCommand', input: { Bucket: 'kiln-assets', PublicAccessBlockConfiguration: full.publicAccessBlock } },
      { command: 'PutBucketPolicyCommand', input: { Bucket: 'kiln-assets', Policy: JSON.stringify(full.policy) } },
      { command: 'PutBucketCorsCommand', input: { Bucket: 'kiln-assets', CORSConfiguration: full.cors } },
      { command: 'PutBucketLifecycleConfigurationCommand', input: { Bucket: 'kiln-assets', LifecycleConfiguration: full.lifecycle } },
      {
        command: 'PutBucketIntelligentTieringConfigurationCommand',
        input: { Bucket: 'kiln-assets', Id: 'archive', IntelligentTieringConfiguration: full.intelligentTiering },
      },
    ]);
  });

  it('sends only the items present; a policy string goes as is', async () => {
    const { client, sent } = fakeClient();
    const report = await applyBucketSetup(client, 'b', { policy: '{"Version":"2012-10-17","Statement":[]}' });
    expect(report).toEqual([{ item: 'policy', status: 'applied' }]);
    expect(sent).toEqual([
      { command: 'HeadBucketCommand', input: { Bucket: 'b' } },
      { command: 'PutBucketPolicyCommand', input: { Bucket: 'b', Policy: '{"Version":"2012-10-17","Statement":[]}' } },
    ]);
  });

  it('reports 501 / 405 as unsupported and other refusals as failed, and goes on', async () => {
    const { client } = fakeClient({
      PutBucketLifecycleConfigurationCommand: serviceError('NotImplemented', 501, 'A header you provided implies functionality that is not implemented'),
      PutBucketIntelligentTieringConfigurationCommand: serviceError('MethodNotAllowed', 405),
      PutBucketEncryptionCommand: serviceError('InvalidArgument', 400, 'bad storage class'),
    });
    const report = await applyBucketSetup(client, 'b', full);
    expect(report).toEqual([
      { item: 'versioning', status: 'applied' },
      { item: 'encryption', status: 'failed', error: { code: 'InvalidArgument', httpStatus: 400, message: 'bad storage class' } },
      { item: 'publicAccessBlock', status: 'applied' },
      { item: 'policy', status: 'applied' },
      { item: 'cors', status: 'applied' },
      {
        item: 'lifecycle',
        status: 'unsupported',
        error: { code: 'NotImplemented', httpStatus: 501, message: 'A header you provided implies functionality that is not implemented' },
      },
      { item: 'intelligentTiering', status: 'unsupported', error: { code: 'MethodNotAllowed', httpStatus: 405, message: 'MethodNotAllowed message' } },
    ]);
  });

  it('throws bucket_not_found for NoSuchBucket, with the items done so far', async () => {
    const { client, sent } = fakeClient({ PutBucketPolicyCommand: serviceError('NoSuchBucket', 404) });
    const error = await applyBucketSetup(client, 'gone', full).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({
      code: 'bucket_not_found',
      message: 'storage.applyBucketSetup: bucket "gone" does not exist',
      details: {
        bucket: 'gone',
        item: 'policy',
        httpStatus: 404,
        serverCode: 'NoSuchBucket',
        report: [
          { item: 'versioning', status: 'applied' },
          { item: 'encryption', status: 'applied' },
          { item: 'publicAccessBlock', status: 'applied' },
        ],
      },
    });
    expect(sent).toHaveLength(5);
  });

  it('throws bucket_not_found / access_denied from the HeadBucket check (404 / 403 without a code)', async () => {
    const missing = fakeClient({ HeadBucketCommand: serviceError('NotFound', 404, 'UnknownError') });
    await expect(applyBucketSetup(missing.client, 'gone', full)).rejects.toMatchObject({ code: 'bucket_not_found', details: { item: 'bucket' } });
    expect(missing.sent.map((entry) => entry.command)).toEqual(['HeadBucketCommand']);
    const forbidden = fakeClient({ HeadBucketCommand: serviceError('Forbidden', 403, 'UnknownError') });
    await expect(applyBucketSetup(forbidden.client, 'b', full)).rejects.toMatchObject({ code: 'access_denied' });
    const moved = fakeClient({ HeadBucketCommand: serviceError('PermanentRedirect', 301) });
    await expect(applyBucketSetup(moved.client, 'b', full)).rejects.toMatchObject({ code: 'io', details: { httpStatus: 301 } });
  });

  it('reports a CreateBucket answer to a configuration PUT as unsupported (the server ignored the subresource)', async () => {
    const { client } = fakeClient({
      PutBucketVersioningCommand: serviceError('BucketAlreadyExists', 409, 'The requested bucket already exists'),
      PutBucketIntelligentTieringConfigurationCommand: serviceError('BucketAlreadyOwnedByYou', 409),
    });
    const report = await applyBucketSetup(client, 'b', { versioning: full.versioning, intelligentTiering: full.intelligentTiering });
    expect(report).toEqual([
      { item: 'versioning', status: 'unsupported', error: { code: 'BucketAlreadyExists', httpStatus: 409, message: 'The requested bucket already exists' } },
      {
        item: 'intelligentTiering',
        status: 'unsupported',
        error: { code: 'BucketAlreadyOwnedByYou', httpStatus: 409, message: 'BucketAlreadyOwnedByYou message' },
      },
    ]);
  });

  it('reports AccessDenied on policy after this call applied BlockPublicPolicy as failed, with a hint', async () => {
    const { client } = fakeClient({ PutBucketPolicyCommand: serviceError('AccessDenied', 403) });
    const report = await applyBucketSetup(client, 'b', full);
    expect(report.find((entry) => entry.item === 'policy')).toEqual({
      item: 'policy',
      status: 'failed',
      error: { code: 'AccessDenied', httpStatus: 403, message: 'AccessDenied message', hint: expect.stringMatching(/^Block Public Access \(BlockPublicPolicy\)/) },
    });
    expect(report.map((entry) => entry.status)).toEqual(['applied', 'applied', 'applied', 'failed', 'applied', 'applied', 'applied']);
    // Without a block applied in the same call, AccessDenied on the policy is a permissions problem.
    const alone = fakeClient({ PutBucketPolicyCommand: serviceError('AccessDenied', 403) });
    await expect(applyBucketSetup(alone.client, 'b', { policy: full.policy })).rejects.toMatchObject({ code: 'access_denied' });
  });

  it.each(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch'])('throws access_denied for %s', async (code) => {
    const { client } = fakeClient({ PutBucketVersioningCommand: serviceError(code, 403) });
    await expect(applyBucketSetup(client, 'b', full)).rejects.toMatchObject({ name: 'StorageError', code: 'access_denied', details: { serverCode: code } });
  });

  it('throws io when the request got no answer, aborted when the signal fires', async () => {
    const { client } = fakeClient({ PutBucketVersioningCommand: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }) });
    await expect(applyBucketSetup(client, 'b', full)).rejects.toMatchObject({ code: 'io' });

    const controller = new AbortController();
    controller.abort();
    const { client: idle, sent } = fakeClient();
    await expect(applyBucketSetup(idle, 'b', full, { signal: controller.signal })).rejects.toMatchObject({ code: 'aborted' });
    expect(sent).toHaveLength(0);

    const later = new AbortController();
    const { client: aborting } = fakeClient({ PutBucketVersioningCommand: Object.assign(new Error('Request aborted'), { name: 'AbortError' }) });
    await expect(applyBucketSetup(aborting, 'b', full, { signal: later.signal })).rejects.toMatchObject({ code: 'aborted' });
  });

  it('passes the signal to send', async () => {
    const { client } = fakeClient();
    const controller = new AbortController();
    await applyBucketSetup(client, 'b', { versioning: versioningConfiguration() }, { signal: controller.signal });
    expect((client.send as ReturnType<typeof vi.fn>).mock.calls[0]?.[1]).toEqual({ abortSignal: controller.signal });
  });

  it('validates the bucket and the setup keys', async () => {
    const { client } = fakeClient();
    await expect(applyBucketSetup(client, '', {})).rejects.toBeInstanceOf(KilnValidationError);
    const error = await applyBucketSetup(client, 'b', { lifeCycle: {} } as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KilnValidationError);
    expect((error as KilnValidationError).issues.map((issue) => issue.path)).toEqual(['setup']);
    expect((error as KilnValidationError).message).toMatch(/lifeCycle/);
    const bad = await applyBucketSetup(client, 'b', { intelligentTiering: { Status: 'Enabled' } } as never).catch((e: unknown) => e);
    expect((bad as KilnValidationError).issues.map((issue) => issue.path)).toEqual(['setup.intelligentTiering.Id']);
  });
});

describe('readBucketSetup (mocked client)', () => {
  it('maps answers to present / absent / unsupported / failed', async () => {
    const policy = { Version: '2012-10-17', Statement: [] };
    const { client } = fakeClient({
      GetBucketVersioningCommand: { Status: 'Enabled', $metadata: {} },
      GetBucketEncryptionCommand: serviceError('ServerSideEncryptionConfigurationNotFoundError', 404),
      GetPublicAccessBlockCommand: serviceError('NotImplemented', 501),
      GetBucketPolicyCommand: { Policy: JSON.stringify(policy) },
      GetBucketCorsCommand: { CORSRules: [{ AllowedMethods: ['GET'], AllowedOrigins: ['*'] }], $metadata: {} },
      GetBucketLifecycleConfigurationCommand: serviceError('NoSuchLifecycleConfiguration', 404),
      ListBucketIntelligentTieringConfigurationsCommand: serviceError('InvalidRequest', 400, 'nope'),
    });
    expect(await readBucketSetup(client, 'b')).toEqual({
      versioning: { status: 'present', value: { Status: 'Enabled' } },
      encryption: { status: 'absent' },
      publicAccessBlock: { status: 'unsupported', error: { code: 'NotImplemented', httpStatus: 501, message: 'NotImplemented message' } },
      policy: { status: 'present', value: policy },
      cors: { status: 'present', value: { CORSRules: [{ AllowedMethods: ['GET'], AllowedOrigins: ['*'] }] } },
      lifecycle: { status: 'absent' },
      intelligentTiering: { status: 'failed', error: { code: 'InvalidRequest', httpStatus: 400, message: 'nope' } },
    });
  });

  it('throws bucket_not_found for a missing bucket', async () => {
    const { client } = fakeClient({ GetBucketVersioningCommand: serviceError('NoSuchBucket', 404) });
    await expect(readBucketSetup(client, 'gone')).rejects.toMatchObject({ code: 'bucket_not_found' });
  });
});
