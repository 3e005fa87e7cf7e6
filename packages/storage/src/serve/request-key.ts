/** The object key of a request path, or why the path names no object. */
export type KeyCheck = { ok: true; key: string } | { ok: false; status: 400 | 404; reason: string };

/** Top-level folder of the fs driver's internals (sidecars, temp files); never served. */
const INTERNAL_FOLDER = '.kiln';

// C0 controls (NUL included) and DEL.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this rejects
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Turns the path of a request (`/t/run/a%20b.glb`, without the query) into a key
 * (`t/run/a b.glb`). Each segment is percent-decoded on its own; the path is refused (400) when a
 * segment is `.` or `..` (also encoded, `%2e%2e`), decodes to a slash or backslash (`%2F`, `%5C`,
 * raw `\`), holds a control character (`%00`) or is badly encoded. Empty segments and the
 * `.kiln/` internals (any case) give 404.
 */
export function keyFromRequestPath(path: string): KeyCheck {
  if (!path.startsWith('/')) return { ok: false, status: 400, reason: 'the path must start with "/"' };
  const segments: string[] = [];
  for (const raw of path.slice(1).split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return { ok: false, status: 400, reason: 'malformed percent-encoding in the path' };
    }
    segments.push(segment);
  }
  return checkSegments(segments);
}

/** Applies the rules of {@link keyFromRequestPath} to a key (such as the blob key of a ref). */
export function checkObjectKey(key: string): KeyCheck {
  return checkSegments(key.split('/'));
}

function checkSegments(segments: readonly string[]): KeyCheck {
  for (const segment of segments) {
    if (segment === '') return { ok: false, status: 404, reason: 'empty path segment' };
    if (segment === '.' || segment === '..') return { ok: false, status: 400, reason: 'dot segments are not allowed' };
    if (segment.includes('/') || segment.includes('\\')) {
      return { ok: false, status: 400, reason: 'encoded slashes and backslashes are not allowed' };
    }
    if (CONTROL.test(segment)) return { ok: false, status: 400, reason: 'control characters are not allowed' };
  }
  if ((segments[0] ?? '').toLowerCase() === INTERNAL_FOLDER) return { ok: false, status: 404, reason: 'not found' };
  return { ok: true, key: segments.join('/') };
}
