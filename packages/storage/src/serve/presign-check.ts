import { FS_PRESIGN_PARAMS, verifyFsPresignSignature } from '../drivers/fs.js';

/** Outcome of checking the presigned-URL parameters of a request. */
export type PresignCheck =
  | { kind: 'unsigned' }
  | { kind: 'valid'; responseContentType?: string; responseContentDisposition?: string }
  | { kind: 'invalid'; reason: string };

/** What {@link checkPresignedRequest} looks at. */
export interface PresignRequest {
  query: URLSearchParams;
  /** Request method; HEAD is checked as GET (a HEAD is a GET without a body). */
  method: string;
  /** Decoded object key of the path. */
  key: string;
  /** PUT: the request's Content-Type (empty when absent). */
  contentType: string;
  secret: string | undefined;
  /** Current time, Unix seconds. */
  now: number;
}

const HEX_SIGNATURE = /^[0-9a-f]{64}$/i;
const EXPIRES = /^\d{1,15}$/;
const HEADER_VALUE = /^[\x20-\x7e]+$/;
const MEDIA_TYPE = /^[\w!#$&^.+-]+\/[\w!#$&^.+-]+(?:\s*;[\x20-\x7e]*)?$/;

/**
 * Checks a request against the fs driver's presigned-URL scheme (`X-Kiln-Method`,
 * `X-Kiln-Expires`, `X-Kiln-Signature`; see `fsPresignSignature`). The signature is checked
 * before the expiry, so an expired URL only says so when it is genuine.
 *
 * A PUT must carry the Content-Type the URL was signed with; a URL signed without one accepts
 * any. A signed GET may override the response Content-Type with `response-content-type` and its
 * Content-Disposition with `response-content-disposition`, both signed.
 */
export function checkPresignedRequest(request: PresignRequest): PresignCheck {
  const { query } = request;
  const signature = query.get(FS_PRESIGN_PARAMS.signature);
  if (signature === null) return { kind: 'unsigned' };
  const secret = request.secret;
  if (secret === undefined) {
    return { kind: 'invalid', reason: 'presigned URLs are not enabled on this server (no signingSecret)' };
  }
  const signedMethod = query.get(FS_PRESIGN_PARAMS.method);
  const expiresParam = query.get(FS_PRESIGN_PARAMS.expires);
  if (signedMethod === null || expiresParam === null || !EXPIRES.test(expiresParam)) {
    return { kind: 'invalid', reason: `the URL lacks ${FS_PRESIGN_PARAMS.method} or a valid ${FS_PRESIGN_PARAMS.expires}` };
  }
  const method = request.method === 'HEAD' ? 'GET' : request.method;
  if (signedMethod !== method) return { kind: 'invalid', reason: `the URL is signed for ${signedMethod}, not ${request.method}` };
  const expires = Number(expiresParam);
  const disposition = method === 'GET' ? (query.get('response-content-disposition') ?? '') : '';
  const verify = (contentType: string) =>
    HEX_SIGNATURE.test(signature) &&
    verifyFsPresignSignature(secret, { method, key: request.key, expires, contentType, contentDisposition: disposition, signature });
  // GET URLs sign their `response-content-type` and `response-content-disposition` overrides.
  const matches =
    method === 'PUT'
      ? verify(request.contentType) || (request.contentType !== '' && verify(''))
      : verify(query.get('response-content-type') ?? '');
  if (!matches) {
    return {
      kind: 'invalid',
      reason:
        method === 'PUT'
          ? 'the signature does not match (the Content-Type header must be the one the URL was signed with)'
          : 'the signature does not match',
    };
  }
  if (request.now > expires) return { kind: 'invalid', reason: 'the request has expired' };
  const responseContentType = method === 'GET' ? query.get('response-content-type') : null;
  return {
    kind: 'valid',
    ...(responseContentType !== null && MEDIA_TYPE.test(responseContentType) ? { responseContentType } : {}),
    // Signed, and a header value only when it is printable ASCII (no CR/LF can reach the response).
    ...(disposition !== '' && HEADER_VALUE.test(disposition) ? { responseContentDisposition: disposition } : {}),
  };
}
