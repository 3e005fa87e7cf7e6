import { describe, expect, it } from 'vitest';
import { joinCdnUrl, KilnValidationError, stripQuery } from '../src/index.js';

describe('joinCdnUrl', () => {
  it.each([
    ['https://cdn.example.com', 'a/b.glb', 'https://cdn.example.com/a/b.glb'],
    ['https://cdn.example.com/', 'a/b.glb', 'https://cdn.example.com/a/b.glb'],
    ['https://cdn.example.com/base//', 'a/b.glb', 'https://cdn.example.com/base/a/b.glb'],
    ['https://cdn.example.com', 'a b/c#d?e.glb', 'https://cdn.example.com/a%20b/c%23d%3Fe.glb'],
    ['https://cdn.example.com', 'ü/椅子.glb', 'https://cdn.example.com/%C3%BC/%E6%A4%85%E5%AD%90.glb'],
    ['https://cdn.example.com', '50%.glb', 'https://cdn.example.com/50%25.glb'],
    ['https://cdn.example.com', "a(1)!*'~.glb", "https://cdn.example.com/a(1)!*'~.glb"],
    ['https://cdn.example.com/with%20space', 'k', 'https://cdn.example.com/with%20space/k'],
  ])('joins %s and %j', (base, key, expected) => {
    expect(joinCdnUrl(base, key)).toBe(expected);
  });

  it('rejects a key that is not well-formed Unicode', () => {
    expect(() => joinCdnUrl('https://cdn.example.com', 'a/\udc00')).toThrow(KilnValidationError);
    expect(() => joinCdnUrl('https://cdn.example.com', 'a/\udc00')).toThrow('joinCdnUrl: invalid input: key: must be well-formed Unicode');
  });
});

describe('stripQuery', () => {
  it.each([
    ['https://a.example.com/x.glb?X-Amz-Signature=1', 'https://a.example.com/x.glb'],
    ['https://a.example.com/x.glb#frag', 'https://a.example.com/x.glb'],
    ['https://a.example.com/x.glb#frag?not-a-query', 'https://a.example.com/x.glb'],
    ['https://a.example.com/x.glb?', 'https://a.example.com/x.glb'],
    ['https://a.example.com/x.glb', 'https://a.example.com/x.glb'],
    ['', ''],
  ])('%s → %s', (url, expected) => {
    expect(stripQuery(url)).toBe(expected);
  });
});
