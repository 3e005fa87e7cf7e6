// Test buckets: created with a unique name, emptied and deleted afterwards. Free of any `vitest`
// import so benchmarks can use it too.
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';

/** The HTTP status of a failed SDK call, if the server answered. */
export function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

export interface TestBucket {
  name: string;
  /** Deletes every object, aborts open multipart uploads and deletes the bucket. */
  cleanup(): Promise<void>;
}

/** A DNS-compatible bucket name: `<prefix>-<time>-<random>`, lowercase, at most 63 characters. */
function bucketName(prefix: string): string {
  const clean =
    prefix
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'test';
  return `${clean}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

export async function createTestBucket(client: S3Client, prefix: string): Promise<TestBucket> {
  const name = bucketName(prefix);
  await client.send(new CreateBucketCommand({ Bucket: name }));

  const cleanup = async () => {
    // Multipart uploads first: s3rver has neither ListMultipartUploads (501) nor Abort (405).
    try {
      let keyMarker: string | undefined;
      let uploadIdMarker: string | undefined;
      for (;;) {
        const page = await client.send(
          new ListMultipartUploadsCommand({ Bucket: name, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
        );
        for (const upload of page.Uploads ?? []) {
          await client.send(new AbortMultipartUploadCommand({ Bucket: name, Key: upload.Key, UploadId: upload.UploadId }));
        }
        if (!page.IsTruncated) break;
        keyMarker = page.NextKeyMarker;
        uploadIdMarker = page.NextUploadIdMarker;
      }
    } catch (error) {
      const status = httpStatus(error);
      if (status !== 405 && status !== 501) throw error;
    }

    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: name, ContinuationToken: token }));
      const keys = (page.Contents ?? []).flatMap((object) => (object.Key === undefined ? [] : [{ Key: object.Key }]));
      if (keys.length > 0) {
        const result = await client.send(new DeleteObjectsCommand({ Bucket: name, Delete: { Objects: keys, Quiet: true } }));
        if (result.Errors?.length) {
          const first = result.Errors[0]!;
          throw new Error(`could not delete ${result.Errors.length} objects in ${name}: ${first.Key}: ${first.Code} ${first.Message}`);
        }
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);

    await client.send(new DeleteBucketCommand({ Bucket: name }));
  };

  return { name, cleanup };
}
