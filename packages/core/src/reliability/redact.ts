/** Field names whose values are secrets. */
export const SECRET_KEY_PATTERN = /(?:pass(?:word)?|secret|token|api[-_]?key|authorization|auth|credential|cookie|signature|private[-_]?key|session)/i;

const SECRET_VALUE_PATTERNS: [RegExp, string][] = [
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}/gi, '$1 [REDACTED]'],
  [/\b(sk|pk|rk|msy|tsk|key)[-_][A-Za-z0-9_-]{8,}/g, '[REDACTED]'],
  [/([?&](?:X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|signature|sig|token|key|api_key|apikey|access_token)=)[^&#\s"']+/gi, '$1[REDACTED]'],
  [/(\/\/[^/\s:@]+:)[^@\s/]+@/g, '$1[REDACTED]@'],
];

/** Removes secrets from a string: bearer tokens, API keys, signed URL parameters, URL passwords. */
export function redactText(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_VALUE_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/**
 * A copy of a JSON-like value with secrets redacted: values of secret-looking fields become
 * `[REDACTED]`, strings are passed through {@link redactText}. For DLQ entries and logs.
 */
export function redact<T>(value: T, depth = 0): T {
  if (depth > 8) return '[…]' as T;
  if (typeof value === 'string') return redactText(value) as T;
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1)) as T;
  if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = SECRET_KEY_PATTERN.test(key) && item !== undefined && item !== null ? '[REDACTED]' : redact(item, depth + 1);
    }
    return out as T;
  }
  return value;
}
