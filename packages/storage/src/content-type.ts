import mime from 'mime-types';
import { StorageError } from './errors.js';

/**
 * Content-Types Kiln sets itself, by lower-case extension. `mime-types` answers for everything
 * else, but gets `exr` wrong (`image/aces`) and has no entry for `hdr` or shaders.
 */
export const CONTENT_TYPE_OVERRIDES: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  mp4: 'video/mp4',
  webm: 'video/webm',
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  ogg: 'audio/ogg',
  zip: 'application/zip',
  html: 'text/html',
  glb: 'model/gltf-binary',
  gltf: 'model/gltf+json',
  ktx2: 'image/ktx2',
  hdr: 'image/vnd.radiance',
  exr: 'image/x-exr',
  glsl: 'text/plain',
  vert: 'text/plain',
  frag: 'text/plain',
  json: 'application/json',
  bin: 'application/octet-stream',
};

/** The fallback for unknown extensions. */
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** The lower-case extension of a filename, without the dot; `''` when there is none. */
export function extensionOf(filename: string): string {
  const dot = filename.lastIndexOf('.');
  return dot <= 0 ? '' : filename.slice(dot + 1).toLowerCase();
}

/** The Content-Type for a filename: Kiln's table first, then `mime-types`, then octet-stream. */
export function contentTypeFor(filename: string): string {
  const ext = extensionOf(filename);
  return CONTENT_TYPE_OVERRIDES[ext] ?? (ext ? mime.lookup(ext) || DEFAULT_CONTENT_TYPE : DEFAULT_CONTENT_TYPE);
}

/** Formats Kiln can recognise by their first bytes. */
export type SniffedFormat = 'glb' | 'ktx2' | 'png' | 'jpeg' | 'webp' | 'exr';

const SNIFFED_CONTENT_TYPE: Record<SniffedFormat, string> = {
  glb: 'model/gltf-binary',
  ktx2: 'image/ktx2',
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  exr: 'image/x-exr',
};

/** How many leading bytes {@link sniffFormat} needs. */
export const SNIFF_BYTES = 16;

const KTX2_MAGIC = [0xab, 0x4b, 0x54, 0x58, 0x20, 0x32, 0x30, 0xbb, 0x0d, 0x0a, 0x1a, 0x0a];
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(head: Uint8Array, magic: readonly number[], offset = 0): boolean {
  return head.length >= offset + magic.length && magic.every((byte, i) => head[offset + i] === byte);
}

function ascii(text: string): number[] {
  return [...text].map((c) => c.charCodeAt(0));
}

/**
 * Recognises GLB, KTX2, PNG, JPEG, WebP and OpenEXR from their magic bytes (the first
 * {@link SNIFF_BYTES}); `undefined` for anything else. A handful of fixed signatures, so no
 * dependency: `file-type` would pull in a stream tokenizer for six comparisons.
 */
export function sniffFormat(head: Uint8Array): SniffedFormat | undefined {
  // The magic and a version of 1 or 2 (little-endian uint32): text that merely starts with "glTF"
  // (export notes, a CSV) is not a GLB.
  if (startsWith(head, ascii('glTF')) && head.length >= 8 && (head[4] === 1 || head[4] === 2) && head[5] === 0 && head[6] === 0 && head[7] === 0) return 'glb';
  if (startsWith(head, KTX2_MAGIC)) return 'ktx2';
  if (startsWith(head, PNG_MAGIC)) return 'png';
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8)) return 'webp';
  if (startsWith(head, [0x76, 0x2f, 0x31, 0x01])) return 'exr';
  return undefined;
}

const EXTENSION_FORMAT: Readonly<Record<string, SniffedFormat>> = {
  glb: 'glb',
  ktx2: 'ktx2',
  png: 'png',
  jpg: 'jpeg',
  jpeg: 'jpeg',
  webp: 'webp',
  exr: 'exr',
};

/**
 * The Content-Type to store for `filename` whose body starts with `head`.
 *
 * - A sniffable extension (glb, ktx2, png, jpg/jpeg, webp, exr) must match the magic bytes, else
 *   `StorageError('content_mismatch')`: a body that lies about its type is refused, never stored.
 * - A body with a recognised signature and another extension (say `.glb` bytes named `.png`) is
 *   refused the same way.
 * - An extension that gives no specific type (octet-stream) takes the sniffed type when there is one.
 */
export function resolveContentType(filename: string, head: Uint8Array, operation: string): string {
  const ext = extensionOf(filename);
  const byName = contentTypeFor(filename);
  const sniffed = sniffFormat(head);
  const expected = EXTENSION_FORMAT[ext];
  if (expected !== undefined && sniffed !== expected) {
    throw new StorageError(
      'content_mismatch',
      `${operation}: ${filename} has the extension .${ext} but its bytes are ${sniffed ? `a ${sniffed.toUpperCase()} file` : `not a ${expected.toUpperCase()} file`}`,
      { details: { filename, extension: ext, sniffed: sniffed ?? null } },
    );
  }
  if (sniffed !== undefined && expected === undefined && byName !== DEFAULT_CONTENT_TYPE) {
    throw new StorageError(
      'content_mismatch',
      `${operation}: ${filename} is named as ${byName} but its bytes are a ${sniffed.toUpperCase()} file`,
      { details: { filename, extension: ext, sniffed } },
    );
  }
  if (sniffed !== undefined && byName === DEFAULT_CONTENT_TYPE) return SNIFFED_CONTENT_TYPE[sniffed];
  return byName;
}
