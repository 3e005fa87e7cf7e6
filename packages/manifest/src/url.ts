import { KilnValidationError } from './errors.js';

/**
 * Joins a storage key to a CDN base URL, the way every Kiln reader does: trailing slashes of
 * the base are dropped, and each `/`-separated segment of the key is percent-encoded with
 * `encodeURIComponent` (so `#`, `?`, spaces and non-ASCII characters are escaped, while `/`
 * keeps separating segments). The base itself is used as is.
 *
 * @example
 * ```ts
 * joinCdnUrl('https://cdn.example.com/', 'acme/my chair #2.glb');
 * // 'https://cdn.example.com/acme/my%20chair%20%232.glb'
 * ```
 * @throws {@link KilnValidationError} (`invalid_input`) if the key is not well-formed Unicode.
 */
export function joinCdnUrl(baseUrl: string, key: string): string {
  let path: string;
  try {
    path = key.split('/').map(encodeURIComponent).join('/');
  } catch (error) {
    const message = 'must be well-formed Unicode (no lone surrogate)';
    throw new KilnValidationError(`joinCdnUrl: invalid input: key: ${message}`, [{ path: 'key', message }], {
      cause: error,
    });
  }
  return `${trimTrailingSlashes(baseUrl)}/${path}`;
}

/**
 * Removes the query string and fragment of a URL, for logs and cache keys: presigned URLs carry
 * credentials and expiry in their query string.
 *
 * @example
 * ```ts
 * stripQuery('https://bucket.s3.amazonaws.com/a.glb?X-Amz-Signature=abc#x'); // 'https://bucket.s3.amazonaws.com/a.glb'
 * ```
 */
export function stripQuery(url: string): string {
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

function trimTrailingSlashes(url: string): string {
  let end = url.length;
  while (end > 0 && url[end - 1] === '/') end--;
  return url.slice(0, end);
}
