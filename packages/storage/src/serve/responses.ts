import type { IncomingMessage, ServerResponse } from 'node:http';

/** S3-style error codes of the server's error bodies. */
export type CdnErrorCode =
  | 'InvalidRequest'
  | 'AccessDenied'
  | 'NoSuchKey'
  | 'MethodNotAllowed'
  | 'PreconditionFailed'
  | 'EntityTooLarge'
  | 'InvalidRange'
  | 'InternalError';

const escapeXml = (text: string): string =>
  text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c);

/**
 * Ends `res` with an error: status, `Cache-Control: no-store` and a short S3-style XML body
 * (`<Error><Code>AccessDenied</Code><Message>…</Message></Error>`; none for HEAD). Headers
 * already set on `res` (CORS, CORP) are kept.
 */
export function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  code: CdnErrorCode,
  message: string,
  headers: Record<string, string> = {},
): void {
  const body = Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error>\n`,
  );
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/xml; charset=utf-8',
    'Content-Length': String(body.length),
    'Cache-Control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Adds `token` to the response's `Vary` header. */
export function addVary(res: ServerResponse, token: string): void {
  const current = res.getHeader('Vary');
  const list = typeof current === 'string' && current !== '' ? current.split(/\s*,\s*/) : [];
  if (!list.some((t) => t.toLowerCase() === token.toLowerCase())) list.push(token);
  res.setHeader('Vary', list.join(', '));
}
