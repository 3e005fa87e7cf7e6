import { describe, expect, it } from 'vitest';
import { contentTypeFor, resolveContentType, sniffFormat, StorageError } from '@kiln/storage';
import { bodyFor } from './fixtures/bodies.js';

describe('content types', () => {
  it('uses its own table where mime-types is wrong or silent', () => {
    expect(contentTypeFor('studio.exr')).toBe('image/x-exr'); // mime-types says image/aces
    expect(contentTypeFor('sky.hdr')).toBe('image/vnd.radiance'); // mime-types has none
    expect(contentTypeFor('water.glsl')).toBe('text/plain'); // mime-types has none
    expect(contentTypeFor('MODEL.GLB')).toBe('model/gltf-binary');
  });

  it('falls back to mime-types, then octet-stream', () => {
    expect(contentTypeFor('readme.md')).toBe('text/markdown');
    expect(contentTypeFor('font.woff2')).toBe('font/woff2');
    expect(contentTypeFor('blob.unknownext')).toBe('application/octet-stream');
    expect(contentTypeFor('noextension')).toBe('application/octet-stream');
  });

  it.each(['glb', 'ktx2', 'png', 'jpeg', 'webp', 'exr'] as const)('sniffs %s from its magic bytes', (format) => {
    expect(sniffFormat(bodyFor(format === 'jpeg' ? 'jpg' : format, 32))).toBe(format);
  });

  it('sniffs nothing from short or unknown heads', () => {
    expect(sniffFormat(new Uint8Array([0x67, 0x6c]))).toBeUndefined();
    expect(sniffFormat(new TextEncoder().encode('{"asset":{}}'))).toBeUndefined();
    expect(sniffFormat(new TextEncoder().encode('RIFF....WAVE'))).toBeUndefined();
  });

  it('needs a GLB version (1 or 2) after the magic, so text starting with "glTF" is not a GLB', () => {
    expect(sniffFormat(new TextEncoder().encode('glTF export notes: …'))).toBeUndefined();
    expect(sniffFormat(new Uint8Array([0x67, 0x6c, 0x54, 0x46, 1, 0, 0, 0]))).toBe('glb');
    expect(sniffFormat(new Uint8Array([0x67, 0x6c, 0x54, 0x46, 3, 0, 0, 0]))).toBeUndefined();
    expect(resolveContentType('notes.txt', new TextEncoder().encode('glTF export notes'), 'test')).toBe('text/plain');
    expect(resolveContentType('notes.md', new TextEncoder().encode('glTF: the format'), 'test')).toBe('text/markdown');
  });

  it('refuses bodies that contradict a sniffable extension, in both directions', () => {
    const mismatch = (name: string, ext: string) => {
      try {
        resolveContentType(name, bodyFor(ext, 32), 'test');
      } catch (error) {
        return (error as StorageError).code;
      }
      return 'accepted';
    };
    expect(mismatch('a.png', 'glb')).toBe('content_mismatch');
    expect(mismatch('a.glb', 'txt')).toBe('content_mismatch');
    expect(mismatch('a.ktx2', 'png')).toBe('content_mismatch');
    expect(mismatch('a.jpg', 'webp')).toBe('content_mismatch');
    expect(mismatch('a.exr', 'hdr')).toBe('content_mismatch');
    expect(mismatch('a.html', 'glb')).toBe('content_mismatch');
    expect(mismatch('a.jpeg', 'jpg')).toBe('accepted');
  });

  it('takes the sniffed type for an extension that says nothing', () => {
    expect(resolveContentType('mesh.bin', bodyFor('glb', 32), 'test')).toBe('model/gltf-binary');
    expect(resolveContentType('noext', bodyFor('png', 32), 'test')).toBe('image/png');
    expect(resolveContentType('data.bin', bodyFor('xyz', 32), 'test')).toBe('application/octet-stream');
  });
});
