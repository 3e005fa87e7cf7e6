// s3rver 3.7.1 as a child process: the lenient, fast S3 test server (see shared notes §2-3).
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  answersHttp,
  freePort,
  hasExited,
  spawnDaemon,
  stopPids,
  tail,
  trackDirForExit,
  untrackDirForExit,
  waitFor,
} from './process.js';
import type { RunningServer } from './types.js';

const require = createRequire(import.meta.url);

export async function startS3rver(): Promise<RunningServer> {
  const bin = join(require.resolve('s3rver/package.json'), '..', 'bin', 's3rver.js');
  const dir = await mkdtemp(join(tmpdir(), 'kiln-s3rver-'));
  trackDirForExit(dir);
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 's3rver.log');
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;

  // --openssl-legacy-provider: s3rver encrypts ListObjectsV2 continuation tokens with single DES,
  // which OpenSSL 3 refuses otherwise (500 ERR_OSSL_EVP_UNSUPPORTED on the second page).
  const child = spawnDaemon(
    process.execPath,
    ['--openssl-legacy-provider', bin, '-a', '127.0.0.1', '-p', String(port), '-d', dataDir, '--silent'],
    logFile,
  );

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      if (child.pid !== undefined) await stopPids([child.pid], 3_000);
    } finally {
      await rm(dir, { recursive: true, force: true });
      untrackDirForExit(dir);
    }
  };

  try {
    await waitFor(`s3rver on ${endpoint}`, async () => ((await answersHttp(`${endpoint}/`)) ? true : undefined), {
      timeoutMs: 20_000,
      intervalMs: 100,
      fail: () => {
        if (hasExited(child)) throw new Error(`s3rver exited with ${child.exitCode ?? child.signalCode}`);
      },
    });
  } catch (error) {
    const log = tail(logFile);
    await stop();
    throw new Error(`s3rver did not start: ${(error as Error).message}\n--- tail of ${logFile} ---\n${log}`);
  }

  return {
    target: {
      name: 's3rver',
      endpoint,
      region: 'us-east-1',
      // s3rver's built-in account; it checks the access key but never the signature.
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      strict: false,
    },
    stop,
  };
}
