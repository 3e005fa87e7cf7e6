import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import { createCompressor, isCompressibleType, negotiateEncoding } from './compression.js';
import { ifNoneMatchMatches, ifRangeAllows, notModifiedSince, quoteEtag } from './conditional.js';
import { parseRangeHeader } from './http-range.js';
import { openObject } from './object-source.js';
import type { CdnConfig } from './options.js';
import { addVary, sendError } from './responses.js';

/** Cache-Control of content-addressed keys (under `_blobs/`) whose sidecar has none. */
export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable';
/** Cache-Control of other keys (mutable names, refs) whose sidecar has none. */
export const MUTABLE_CACHE_CONTROL = 'public, max-age=60';

const headerText = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value.join(', ') : value;

/** The Cache-Control of `key` when its sidecar sets none. */
export function defaultCacheControl(key: string): string {
  return /(?:^|\/)_blobs\//.test(key) ? IMMUTABLE_CACHE_CONTROL : MUTABLE_CACHE_CONTROL;
}

/**
 * Answers a GET or HEAD of `key`: 404, 304 (`If-None-Match`, else `If-Modified-Since`), 416, 206
 * for one satisfiable range (subject to `If-Range`), else 200, compressed on the fly for text
 * types when the client accepts br or gzip (never for ranges).
 */
export async function serveObject(
  config: CdnConfig,
  req: IncomingMessage,
  res: ServerResponse,
  key: string,
  overrides: { contentType?: string; contentDisposition?: string },
): Promise<void> {
  const object = await openObject(config.root, key, config.logger);
  if (!object) {
    sendError(req, res, 404, 'NoSuchKey', 'The specified key does not exist.');
    return;
  }
  let streaming = false;
  try {
    const contentType = overrides.contentType ?? object.contentType;
    const compressible = isCompressibleType(contentType) && object.size > 0;
    const strongEtag = quoteEtag(object.etag);
    const headers: Record<string, string> = {
      'Content-Type': contentType,
      'Cache-Control': object.cacheControl ?? defaultCacheControl(key),
      'Accept-Ranges': 'bytes',
    };
    if (overrides.contentDisposition !== undefined) headers['Content-Disposition'] = overrides.contentDisposition;
    if (object.lastModified) headers['Last-Modified'] = object.lastModified.toUTCString();
    if (compressible) addVary(res, 'Accept-Encoding');

    const rangeHeader = req.headers.range;
    let range = parseRangeHeader(rangeHeader, object.size);
    const ifRange = headerText(req.headers['if-range']);
    if (range.kind !== 'full' && ifRange !== undefined && !ifRangeAllows(ifRange, strongEtag, object.lastModified)) {
      range = { kind: 'full' };
    }
    // A compressed body is another representation: its entity tag is weak (as nginx does).
    const encoding = compressible && range.kind === 'full' ? negotiateEncoding(headerText(req.headers['accept-encoding'])) : undefined;
    const etag = strongEtag && encoding ? `W/${strongEtag}` : strongEtag;
    if (etag) headers.ETag = etag;

    const ifNoneMatch = req.headers['if-none-match'];
    const ifModifiedSince = req.headers['if-modified-since'];
    const notModified =
      ifNoneMatch !== undefined
        ? ifNoneMatchMatches(ifNoneMatch, etag)
        : ifModifiedSince !== undefined && notModifiedSince(ifModifiedSince, object.lastModified);
    if (notModified) {
      const { 'Content-Type': _type, 'Accept-Ranges': _ranges, ...kept } = headers;
      res.writeHead(304, kept);
      res.end();
      return;
    }

    if (range.kind === 'unsatisfiable') {
      sendError(req, res, 416, 'InvalidRange', 'The requested range is not satisfiable.', {
        'Content-Range': `bytes */${object.size}`,
        'Accept-Ranges': 'bytes',
      });
      return;
    }

    let start = 0;
    let end = object.size - 1;
    if (range.kind === 'partial') {
      ({ start, end } = range);
      headers['Content-Range'] = `bytes ${start}-${end}/${object.size}`;
    }
    if (encoding) headers['Content-Encoding'] = encoding;
    else headers['Content-Length'] = String(end - start + 1);
    res.writeHead(range.kind === 'partial' ? 206 : 200, headers);
    if (req.method === 'HEAD' || object.size === 0) {
      res.end();
      return;
    }

    const body = object.handle.createReadStream({ start, end, autoClose: true });
    streaming = true;
    const onDone = (error: NodeJS.ErrnoException | null) => {
      if (error && error.code !== 'ERR_STREAM_PREMATURE_CLOSE') {
        config.logger.warn(`cdnServer: ${req.method} /${key}: stream failed: ${error.message}`);
      }
      if (error) res.destroy();
    };
    if (encoding) pipeline(body, createCompressor(encoding, object.size), res, onDone);
    else pipeline(body, res, onDone);
  } finally {
    if (!streaming) await object.handle.close();
  }
}
