import { z } from 'zod';

/** What {@link originProblem} accepts besides exact origins. */
export interface OriginRules {
  /**
   * Which wildcards are allowed. `'s3'`: the forms S3 accepts in `AllowedOrigin`, `*` alone, a
   * whole leftmost host label (`https://*.example.com`) or a whole port (`http://localhost:*`),
   * one `*` at most. `'any-origin'`: only `*` alone (CloudFront). `'none'`: exact origins only.
   */
  wildcards: 's3' | 'any-origin' | 'none';
}

const DEFAULT_PORTS: Readonly<Record<string, string>> = { http: '80', https: '443' };
const ORIGIN_PATTERN = /^(?<scheme>[^:/]+):\/\/(?<host>\[[^\]]*\]|[^/:?#]*)(?::(?<port>[^/?#]*))?(?<rest>.*)$/s;
const HOST_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const IPV6_HOST = /^\[[0-9a-f:.]+\]$/;

/**
 * Why `value` is not an origin a browser could send (scheme, host and optional port, lower case,
 * no path), or `undefined` when it is one. Default ports are refused because browsers leave them
 * out of the `Origin` header, so a rule naming `:443` would never match.
 *
 * @example
 * ```ts
 * originProblem('https://game.example.com/', { wildcards: 'none' }); // 'must not have a path, query or fragment (got "/")'
 * originProblem('http://localhost:*', { wildcards: 's3' }); // undefined
 * ```
 */
export function originProblem(value: string, rules: OriginRules): string | undefined {
  if (value === '*') return rules.wildcards === 'none' ? 'must be an exact origin; "*" is not allowed here' : undefined;
  const match = ORIGIN_PATTERN.exec(value);
  if (!match?.groups) return `must be an absolute http(s) origin such as "https://game.example.com" (got "${value}")`;
  const { scheme = '', host = '', port, rest = '' } = match.groups;
  if (scheme !== 'http' && scheme !== 'https') return `must use http or https (got "${scheme}:")`;
  if (rest !== '') return `must not have a path, query or fragment (got "${rest}")`;
  if (host.includes('@')) return 'must not contain credentials';
  if (value !== value.toLowerCase()) return 'must be lower case, as browsers send it in the Origin header';
  const stars = (value.match(/\*/g) ?? []).length;
  if (stars > 0 && rules.wildcards !== 's3') return 'must be an exact origin or "*" alone; partial wildcards are not allowed here';
  if (stars > 1) return 'must contain at most one "*" wildcard';
  if (!IPV6_HOST.test(host)) {
    const labels = host.split('.');
    const checked = labels[0] === '*' && labels.length >= 3 ? labels.slice(1) : labels;
    if (checked.some((label) => !HOST_LABEL.test(label))) {
      return host.includes('*')
        ? 'may only use "*" as a whole leftmost host label under a domain, such as "https://*.example.com"'
        : `must have a valid host name (got "${host}")`;
    }
  }
  if (port !== undefined) {
    if (port === '*') return undefined;
    if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) return `must have a port in 1-65535 or "*" (got "${port}")`;
    if (port === DEFAULT_PORTS[scheme]) return `must leave out the default port :${port}, as browsers do`;
    if (port.startsWith('0')) return `must not have leading zeros in the port (got "${port}")`;
  }
  return undefined;
}

/** zod schema of one origin under `rules`; the issue message comes from {@link originProblem}. */
export function originSchema(rules: OriginRules): z.ZodType<string> {
  return z.string({ error: 'must be a string' }).superRefine((value, ctx) => {
    const problem = originProblem(value, rules);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

/** Request header names (`token` characters, RFC 9110), normalised to lower case. */
export const HeaderNameSchema = z
  .string({ error: 'must be a string' })
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'must be an HTTP header name')
  .transform((name) => name.toLowerCase());
