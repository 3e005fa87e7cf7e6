/** Response headers browsers may read from a cross-origin response, besides the safelisted ones. */
export const CORS_EXPOSE_HEADERS = 'ETag, Content-Length, Content-Range, Accept-Ranges';
/** Methods announced in preflight answers. */
export const CORS_ALLOW_METHODS = 'GET, HEAD, PUT';
/** Request headers announced in preflight answers. */
export const CORS_ALLOW_HEADERS = 'Range, Content-Type, If-None-Match, If-Range, If-Modified-Since, Cache-Control';
/** How long browsers may cache a preflight answer, in seconds (browsers cap it: Chromium at 2 h). */
export const CORS_MAX_AGE = 86_400;

/** CORS headers of a response to a request from `origin`. */
export function corsHeaders(origin: string | undefined, allowed: readonly string[] | '*'): { allowed: boolean; headers: Record<string, string> } {
  if (allowed === '*') {
    return { allowed: true, headers: { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': CORS_EXPOSE_HEADERS } };
  }
  if (origin !== undefined && allowed.includes(origin)) {
    return {
      allowed: true,
      headers: { 'Access-Control-Allow-Origin': origin, 'Access-Control-Expose-Headers': CORS_EXPOSE_HEADERS },
    };
  }
  return { allowed: false, headers: {} };
}

/** The headers of an allowed preflight answer (on top of {@link corsHeaders}). */
export function preflightHeaders(): Record<string, string> {
  return {
    'Access-Control-Allow-Methods': CORS_ALLOW_METHODS,
    'Access-Control-Allow-Headers': CORS_ALLOW_HEADERS,
    'Access-Control-Max-Age': String(CORS_MAX_AGE),
  };
}
