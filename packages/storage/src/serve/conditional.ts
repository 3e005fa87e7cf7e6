/**
 * Conditional requests (RFC 9110 §13): `If-None-Match`, `If-Modified-Since`, `If-Range`.
 * Entity tags are passed quoted, as sent (`"abc"` or `W/"abc"`).
 */

const ETAG_CHARS = /^[\x21\x23-\x7e\x80-\xff]*$/;

/** `"<etag>"` for a sidecar etag, or `undefined` when it holds characters an entity tag cannot. */
export function quoteEtag(etag: string | undefined): string | undefined {
  return etag !== undefined && etag !== '' && ETAG_CHARS.test(etag) ? `"${etag}"` : undefined;
}

/** The entity tags of an `If-None-Match` / `If-Match` list. */
function listEtags(header: string): string[] {
  return header.match(/(?:W\/)?"[^"]*"/g) ?? [];
}

const opaque = (etag: string): string => (etag.startsWith('W/') ? etag.slice(2) : etag);

/** True when `If-None-Match` matches `etag` (weak comparison, `*` matches any). */
export function ifNoneMatchMatches(header: string, etag: string | undefined): boolean {
  if (etag === undefined) return false;
  if (header.trim() === '*') return true;
  return listEtags(header).some((candidate) => opaque(candidate) === opaque(etag));
}

/** True when `If-Modified-Since` says the client's copy is current. Ignored when unparseable. */
export function notModifiedSince(header: string, lastModified: Date | undefined): boolean {
  if (lastModified === undefined) return false;
  const since = Date.parse(header);
  if (Number.isNaN(since)) return false;
  return Math.floor(lastModified.getTime() / 1000) <= Math.floor(since / 1000);
}

/**
 * True when a `Range` may be honoured under `If-Range`: the header names the current strong
 * `etag` exactly (strong comparison, so a weak tag never matches), or is the current
 * `Last-Modified` date. Otherwise the whole object must be sent.
 */
export function ifRangeAllows(header: string, etag: string | undefined, lastModified: Date | undefined): boolean {
  const value = header.trim();
  if (value.startsWith('"') || value.startsWith('W/')) {
    return etag !== undefined && !etag.startsWith('W/') && !value.startsWith('W/') && value === etag;
  }
  if (lastModified === undefined) return false;
  const date = Date.parse(value);
  return !Number.isNaN(date) && Math.floor(date / 1000) === Math.floor(lastModified.getTime() / 1000);
}
