/**
 * `Range` request header (RFC 9110 §14) for a single byte range.
 *
 * Multiple ranges (`bytes=0-1,5-6`) are answered with the whole object (200), which RFC 9110
 * allows: a server may ignore `Range`. Asset loaders ask for one range at a time, and multipart
 * /byteranges bodies would only complicate the server.
 */

/** What to send for a `Range` header. `start` and `end` are inclusive byte offsets. */
export type RangeDecision =
  | { kind: 'full' }
  | { kind: 'partial'; start: number; end: number }
  | { kind: 'unsatisfiable' };

const FULL: RangeDecision = { kind: 'full' };
const UNSATISFIABLE: RangeDecision = { kind: 'unsatisfiable' };

/**
 * Decides how to answer `header` for an object of `size` bytes: `full` when there is no header,
 * it is malformed, uses another unit or asks for several ranges; `unsatisfiable` (416) when the
 * range starts at or after the end (every range of an empty object); else the clamped range.
 *
 * @example
 * ```ts
 * parseRangeHeader('bytes=-5', 100); // { kind: 'partial', start: 95, end: 99 }
 * ```
 */
export function parseRangeHeader(header: string | undefined, size: number): RangeDecision {
  if (header === undefined) return FULL;
  const match = /^\s*bytes\s*=(.*)$/i.exec(header);
  if (!match) return FULL;
  const specs = (match[1] ?? '')
    .split(',')
    .map((spec) => spec.trim())
    .filter((spec) => spec !== '');
  if (specs.length !== 1) return FULL;
  const spec = /^(\d*)-(\d*)$/.exec(specs[0] ?? '');
  if (!spec) return FULL;
  const first = spec[1] ?? '';
  const last = spec[2] ?? '';
  if (first === '' && last === '') return FULL;
  if (first === '') {
    // Suffix range: the last `n` bytes.
    const n = Number(last);
    if (n === 0 || size === 0) return UNSATISFIABLE;
    return { kind: 'partial', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? Number.POSITIVE_INFINITY : Number(last);
  if (end < start) return FULL; // invalid range-spec: ignore the header
  if (start >= size) return UNSATISFIABLE;
  return { kind: 'partial', start, end: Math.min(end, size - 1) };
}
