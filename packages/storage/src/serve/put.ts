import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { StorageDriver } from '../driver.js';
import { FS_TMP_DIR } from '../drivers/fs.js';
import { SHA256_META } from '../ref.js';
import type { CdnConfig } from './options.js';
import { sendError } from './responses.js';

class UploadTooLarge extends Error {
  override name = 'UploadTooLarge';
}

const HEADER_VALUE = /^[\t\x20-\x7e]*$/;

/**
 * Stores the body of an (already authorised) PUT at `key`: streams it to a temp file under
 * `<root>/.kiln/tmp/` while hashing it (SHA-256) and counting it against `maxUploadBytes`, then
 * writes it atomically through the fs driver. Answers 200 with the ETag (the SHA-256), 413 when
 * too large, 412 when `If-None-Match: *` and the key exists.
 *
 * The stored Content-Type is the request's (`application/octet-stream` when absent) and the
 * request's `Cache-Control` is kept; no other metadata is taken from the request, because the
 * signature does not cover headers (a client could otherwise forge ref metadata).
 */
export async function receiveUpload(
  config: CdnConfig,
  driver: StorageDriver,
  req: IncomingMessage,
  res: ServerResponse,
  key: string,
): Promise<void> {
  const tooLarge = () =>
    sendError(req, res, 413, 'EntityTooLarge', `The upload exceeds the maximum of ${config.maxUploadBytes} bytes.`, {
      Connection: 'close',
    });
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > config.maxUploadBytes) {
    tooLarge();
    return;
  }
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
    sendError(req, res, 400, 'InvalidRequest', 'Content-Encoding is not supported on uploads; send the bytes as they are.');
    return;
  }
  const cacheControl = req.headers['cache-control'] ?? '';
  if (!HEADER_VALUE.test(cacheControl) || cacheControl.length > 1024) {
    sendError(req, res, 400, 'InvalidRequest', 'Invalid Cache-Control header.');
    return;
  }

  const tmp = join(config.root, FS_TMP_DIR, `upload-${randomUUID()}`);
  let outcome: UploadOutcome;
  try {
    outcome = await storeUpload(driver, req, key, tmp, config.maxUploadBytes, cacheControl);
  } finally {
    await rm(tmp, { force: true }); // before any answer: a client never sees leftovers
  }
  switch (outcome.kind) {
    case 'too_large':
      tooLarge();
      return;
    case 'gone':
      res.destroy(); // the client went away: nobody to answer
      return;
    case 'exists':
      sendError(req, res, 412, 'PreconditionFailed', 'An object already exists at this key (If-None-Match: *).');
      return;
    case 'stored':
      res.writeHead(200, { ETag: `"${outcome.sha256}"`, 'Content-Length': '0', 'Cache-Control': 'no-store' });
      res.end();
  }
}

type UploadOutcome = { kind: 'stored'; sha256: string } | { kind: 'exists' | 'too_large' | 'gone' };

async function storeUpload(
  driver: StorageDriver,
  req: IncomingMessage,
  key: string,
  tmp: string,
  maxBytes: number,
  cacheControl: string,
): Promise<UploadOutcome> {
  await mkdir(dirname(tmp), { recursive: true });
  let received;
  try {
    received = await receiveToFile(req, tmp, maxBytes);
  } catch (error) {
    if (error instanceof UploadTooLarge) return { kind: 'too_large' };
    if (!req.complete) return { kind: 'gone' };
    throw error;
  }
  const result = await driver.putObject({
    key,
    body: { kind: 'file', path: tmp },
    bytes: received.bytes,
    contentType: req.headers['content-type'] || 'application/octet-stream',
    cacheControl,
    metadata: { [SHA256_META]: received.sha256 },
    sha256: received.sha256,
    ifNoneMatch: req.headers['if-none-match']?.trim() === '*',
  });
  return result.created ? { kind: 'stored', sha256: received.sha256 } : { kind: 'exists' };
}

async function receiveToFile(req: IncomingMessage, path: string, maxBytes: number): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (bytes > maxBytes) {
        callback(new UploadTooLarge());
        return;
      }
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  // `req` is piped rather than put in the pipeline, so an error does not destroy the socket
  // and the server can still answer (413).
  const onError = (error: Error) => meter.destroy(error);
  const onClose = () => {
    if (!req.complete) meter.destroy(new Error('the client closed the connection during the upload'));
  };
  req.on('error', onError);
  req.on('close', onClose);
  req.pipe(meter);
  try {
    await pipeline(meter, createWriteStream(path, { flags: 'wx' }));
  } finally {
    req.unpipe(meter);
    req.off('error', onError);
    req.off('close', onClose);
  }
  return { bytes, sha256: hash.digest('hex') };
}
