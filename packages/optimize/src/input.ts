import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { Document, GLTF, JSONDocument } from '@gltf-transform/core';
import { GLB_BUFFER } from '@gltf-transform/core';
import { ALL_EXTENSIONS } from '@gltf-transform/extensions';
import { parseInput as validate } from '@kiln/manifest';
import { z } from 'zod';
import { OptimizeError } from './errors.js';
import { CHUNK_BIN, CHUNK_JSON, GLB_MAGIC } from './glb.js';

/** A `.gltf` (or GLB) with its external resources, keyed by the URI written in the JSON. */
export interface GltfFiles {
  /** The glTF JSON (text, bytes or parsed), or GLB bytes. */
  gltf: string | Uint8Array | Record<string, unknown>;
  /** External buffers and images, keyed by URI as written in the JSON (or percent-decoded). */
  resources?: Record<string, Uint8Array>;
}

/** What {@link optimize} accepts: GLB bytes, a `.gltf` with its resources, or a glTF Transform Document. */
export type OptimizeInput = Uint8Array | GltfFiles | Document;

/** @internal An input parsed and checked, ready for glTF Transform and the validator. */
export interface ParsedInput {
  format: 'glb' | 'gltf';
  jsonDoc: JSONDocument;
  /** Bytes of the input: the GLB, or the JSON plus every external resource. */
  bytes: number;
  /** Bytes of the images (each image once). */
  textureBytes: number;
  /** What the validator reads. */
  validatorBytes: Uint8Array;
  resources: Record<string, Uint8Array>;
  /** Bytes of each image, in `json.images` order, with its declared or sniffed MIME type. */
  images: { index: number; label: string; uri: string | null; bytes: Uint8Array; mimeType: string }[];
  /** What was changed to let glTF Transform read the input (for the report's warnings). */
  warnings: string[];
}

/** Texture extensions that give a texture its image in place of `source`, as glTF Transform reads them. */
const SOURCE_EXTENSIONS = ['EXT_texture_webp', 'EXT_texture_avif', 'KHR_texture_basisu'];

/** Extension names glTF Transform (and so Kiln) can read and write. */
export const SUPPORTED_EXTENSIONS: readonly string[] = Object.freeze(ALL_EXTENSIONS.map((e) => e.EXTENSION_NAME).sort());

const decoder = new TextDecoder('utf-8', { fatal: true });

function fail(code: ConstructorParameters<typeof OptimizeError>[0], message: string, cause?: unknown): never {
  throw new OptimizeError(code, message, cause === undefined ? {} : { cause });
}

function parseJson(text: string, what: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    fail('not_gltf', `not glTF: ${what} is not valid JSON (${(error as Error).message})`, error);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('not_gltf', `not glTF: ${what} is not a JSON object`);
  return json as Record<string, unknown>;
}

/** Whether `bytes` start with the GLB magic. */
function isGlb(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === GLB_MAGIC;
}

/** Splits a GLB into its JSON and BIN chunks, checking every length against the bytes present. */
function parseGlb(bytes: Uint8Array): { json: Record<string, unknown>; bin: Uint8Array | undefined } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 12) fail('truncated_glb', `truncated GLB: ${bytes.byteLength} bytes, shorter than the 12-byte header`);
  const version = view.getUint32(4, true);
  if (version !== 2) fail('not_gltf', `not glTF 2.0: GLB version ${version} (only version 2 is supported)`);
  const length = view.getUint32(8, true);
  if (length > bytes.byteLength) fail('truncated_glb', `truncated GLB: the header declares ${length} bytes, the file has ${bytes.byteLength}`);
  if (length < 20) fail('truncated_glb', `truncated GLB: ${length} bytes, no room for the JSON chunk`);
  const jsonLength = view.getUint32(12, true);
  if (view.getUint32(16, true) !== CHUNK_JSON) fail('not_gltf', 'not glTF: the first GLB chunk is not JSON');
  if (20 + jsonLength > length) fail('truncated_glb', `truncated GLB: the JSON chunk declares ${jsonLength} bytes, ${length - 20} remain`);
  let text: string;
  try {
    text = decoder.decode(bytes.subarray(20, 20 + jsonLength));
  } catch (error) {
    fail('not_gltf', 'not glTF: the GLB JSON chunk is not UTF-8', error);
  }
  const json = parseJson(text, 'the GLB JSON chunk');
  let bin: Uint8Array | undefined;
  const binStart = 20 + jsonLength;
  if (binStart + 8 <= length) {
    const binLength = view.getUint32(binStart, true);
    if (view.getUint32(binStart + 4, true) === CHUNK_BIN) {
      if (binStart + 8 + binLength > length) fail('truncated_glb', `truncated GLB: the BIN chunk declares ${binLength} bytes, ${length - binStart - 8} remain`);
      bin = bytes.subarray(binStart + 8, binStart + 8 + binLength);
    }
  } else if (binStart !== length && binStart + 8 > length) {
    fail('truncated_glb', `truncated GLB: ${length - binStart} stray bytes after the JSON chunk`);
  }
  return { json, bin };
}

function decodeDataUri(uri: string): Uint8Array | undefined {
  const match = /^data:([^,]*?)(;base64)?,(.*)$/s.exec(uri);
  if (!match) return undefined;
  const payload = match[3] ?? '';
  return match[2] ? new Uint8Array(Buffer.from(payload, 'base64')) : new TextEncoder().encode(decodeURIComponent(payload));
}

function lookup(resources: Record<string, Uint8Array>, uri: string): Uint8Array | undefined {
  if (uri in resources) return resources[uri];
  try {
    const decoded = decodeURIComponent(uri);
    if (decoded in resources) return resources[decoded];
  } catch {
    // not percent-encoded
  }
  return undefined;
}

function sniffMime(bytes: Uint8Array): string {
  const b = bytes;
  if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'image/png';
  if (b[0] === 0xff && b[1] === 0xd8) return 'image/jpeg';
  if (b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 && b[8] === 0x57 && b[9] === 0x45) return 'image/webp';
  if (b[0] === 0xab && b[1] === 0x4b && b[2] === 0x54 && b[3] === 0x58) return 'image/ktx2';
  if (b[4] === 0x66 && b[5] === 0x74 && b[6] === 0x79 && b[7] === 0x70) return 'image/avif';
  return '';
}

const asArray = (value: unknown): Record<string, unknown>[] => (Array.isArray(value) ? (value as Record<string, unknown>[]) : []);

/**
 * @internal Parses and checks an input before glTF Transform sees it, so that each kind of bad
 * input fails with its own code and a one-line message: not glTF, truncated GLB, missing
 * resource, unsupported required extension. Images are checked later, when decoded.
 */
export function parseInput(input: Uint8Array | GltfFiles): ParsedInput {
  const files: GltfFiles = input instanceof Uint8Array ? { gltf: input } : input;
  const resources: Record<string, Uint8Array> = { ...files.resources };
  let json: Record<string, unknown>;
  let bin: Uint8Array | undefined;
  let format: 'glb' | 'gltf';
  let validatorBytes: Uint8Array;
  let bytes: number;

  const raw = files.gltf;
  if (raw instanceof Uint8Array && isGlb(raw)) {
    ({ json, bin } = parseGlb(raw));
    format = 'glb';
    validatorBytes = raw;
    bytes = raw.byteLength;
  } else {
    let text: string;
    if (raw instanceof Uint8Array) {
      try {
        text = decoder.decode(raw);
      } catch (error) {
        fail('not_gltf', 'not glTF: neither a GLB (no "glTF" magic) nor glTF JSON', error);
      }
    } else if (typeof raw === 'string') text = raw;
    else text = JSON.stringify(raw);
    text = text.replace(/^\uFEFF/, '');
    if (!text.trimStart().startsWith('{')) fail('not_gltf', 'not glTF: neither a GLB (no "glTF" magic) nor glTF JSON');
    json = parseJson(text, 'the file');
    format = 'gltf';
    validatorBytes = new TextEncoder().encode(text);
    bytes = validatorBytes.byteLength;
  }

  const asset = json['asset'] as { version?: unknown } | undefined;
  if (typeof asset !== 'object' || asset === null || typeof asset.version !== 'string') fail('not_gltf', 'not glTF: no "asset.version"');
  if (!/^2\.\d+$/.test(asset.version)) fail('not_gltf', `not glTF 2.0: asset.version is "${asset.version}"`);

  const required = Array.isArray(json['extensionsRequired']) ? (json['extensionsRequired'] as unknown[]).map(String) : [];
  const unsupported = required.filter((name) => !SUPPORTED_EXTENSIONS.includes(name));
  if (unsupported.length > 0) {
    fail('unsupported_extension', `unsupported required extension${unsupported.length > 1 ? 's' : ''}: ${unsupported.join(', ')}`);
  }

  // Buffers: embedded (GLB), data URI or external, each at least as long as declared.
  const buffers = asArray(json['buffers']);
  const bufferData: (Uint8Array | undefined)[] = [];
  buffers.forEach((buffer, index) => {
    const uri = buffer['uri'];
    const declared = Number(buffer['byteLength'] ?? 0);
    let data: Uint8Array | undefined;
    const fallback = (buffer['extensions'] as Record<string, { fallback?: boolean }> | undefined)?.['EXT_meshopt_compression']?.fallback === true;
    if (typeof uri !== 'string' && fallback) return; // EXT_meshopt_compression's placeholder: no data by design
    if (typeof uri !== 'string') {
      if (format !== 'glb' || index !== 0) fail('invalid_gltf', `buffers.${index} has no uri`);
      // A buffer that declares no bytes needs no BIN chunk (glTF Transform writes an unused
      // buffer so); a bufferView that reads from it fails its own check below.
      if (!bin && declared > 0) fail('truncated_glb', `truncated GLB: buffers.0 declares ${declared} bytes but the GLB has no BIN chunk`);
      data = bin ?? new Uint8Array(0);
      if (data.byteLength < declared) fail('truncated_glb', `truncated GLB: buffers.0 declares ${declared} bytes, the BIN chunk has ${data.byteLength}`);
      if (bin) resources[GLB_BUFFER] = bin;
    } else if (uri.startsWith('data:')) {
      data = decodeDataUri(uri);
      if (!data) fail('invalid_gltf', `buffers.${index}: malformed data URI`);
    } else {
      data = lookup(resources, uri);
      if (!data) fail('missing_resource', `missing external resource "${uri}" (buffers.${index})`);
      if (!(uri in resources)) resources[uri] = data;
      bytes += data.byteLength;
    }
    if (data.byteLength < declared) fail('invalid_gltf', `buffers.${index} ("${String(uri)}") declares ${declared} bytes, has ${data.byteLength}`);
    bufferData[index] = data;
  });

  const bufferViews = asArray(json['bufferViews']);
  bufferViews.forEach((view, index) => {
    const buffer = Number(view['buffer']);
    const end = Number(view['byteOffset'] ?? 0) + Number(view['byteLength'] ?? 0);
    const declared = Number(buffers[buffer]?.['byteLength'] ?? Number.NaN);
    // The buffer's own length was checked against its data above: this is the JSON disagreeing with itself.
    if (!(end <= declared)) fail('invalid_gltf', `bufferViews.${index} ends at byte ${end}, past buffers.${buffer} (${declared} bytes)`);
  });

  const images: ParsedInput['images'] = [];
  asArray(json['images']).forEach((image, index) => {
    const uri = image['uri'];
    const external = typeof uri === 'string' && !uri.startsWith('data:') ? uri : undefined;
    const name = typeof image['name'] === 'string' && image['name'] ? image['name'] : undefined;
    const label = name ?? external ?? `images.${index}`;
    let data: Uint8Array | undefined;
    if (typeof uri === 'string') {
      if (uri.startsWith('data:')) data = decodeDataUri(uri);
      else {
        data = lookup(resources, uri);
        if (!data) fail('missing_resource', `missing external resource "${uri}" (images.${index})`);
        if (!(uri in resources)) resources[uri] = data;
        bytes += data.byteLength;
      }
    } else if (typeof image['bufferView'] === 'number') {
      const view = bufferViews[image['bufferView']];
      const buffer = view ? bufferData[Number(view['buffer'])] : undefined;
      if (view && buffer) {
        const start = Number(view['byteOffset'] ?? 0);
        data = buffer.subarray(start, start + Number(view['byteLength'] ?? 0));
      }
    }
    if (!data) fail('invalid_gltf', `images.${index} has neither a uri nor a valid bufferView`);
    images.push({ index, label, uri: external ?? null, bytes: data, mimeType: typeof image['mimeType'] === 'string' ? image['mimeType'] : sniffMime(data) });
  });

  const warnings: string[] = [];
  const sourceless = asArray(json['textures']).flatMap((texture, index) => {
    const extensions = (texture['extensions'] ?? {}) as Record<string, { source?: unknown }>;
    return texture['source'] === undefined && !SOURCE_EXTENSIONS.some((name) => extensions[name]?.source !== undefined) ? [index] : [];
  });
  if (sourceless.length > 0) {
    // glTF allows a texture without an image (for an extension to supply one); glTF Transform
    // 4.5 fails to read a material that uses one. Such a texture draws nothing: unhook it.
    const slots = asArray(json['materials']).reduce((n, material) => n + unhookTextures(material, new Set(sourceless)), 0);
    warnings.push(`${sourceless.map((i) => `textures.${i}`).join(', ')} ${sourceless.length > 1 ? 'have' : 'has'} no image (no source, and no extension that supplies one): removed from ${slots} material slot${slots === 1 ? '' : 's'}`);
  }

  return {
    format,
    jsonDoc: { json: json as unknown as GLTF.IGLTF, resources: resources as JSONDocument['resources'] },
    bytes,
    textureBytes: images.reduce((n, i) => n + i.bytes.byteLength, 0),
    validatorBytes,
    resources,
    images,
    warnings,
  };
}

/** Deletes every textureInfo (an object with an `index`) under `value` that names one of `textures`; returns how many. */
function unhookTextures(value: Record<string, unknown>, textures: ReadonlySet<number>): number {
  let count = 0;
  for (const [key, child] of Object.entries(value)) {
    if (key === 'extras' || typeof child !== 'object' || child === null || Array.isArray(child)) continue;
    const info = child as Record<string, unknown>;
    if (typeof info['index'] === 'number' && textures.has(info['index'])) {
      delete value[key];
      count++;
    } else count += unhookTextures(info, textures);
  }
  return count;
}

/** Options of {@link readInputFile}. */
export interface ReadInputFileOptions {
  /**
   * A folder every external resource must resolve inside: one named `../../secret.bin` fails
   * with `missing_resource` instead of being read into the output. Set it when the files come
   * from someone else (uploads). Default `null`: no limit, as asset libraries often share a
   * folder (`../textures/wood.png`).
   */
  root?: string | null;
}

/** Defaults of {@link ReadInputFileOptions}. */
export const READ_INPUT_FILE_DEFAULTS = Object.freeze({ root: null });

const ReadInputFileArgs = z.object({
  path: z.string().min(1, 'must be a file path'),
  options: z.strictObject({ root: z.string().min(1, 'must be a folder path').nullable().optional() }),
});

/** Whether `file` is `folder` or lies under it (both absolute). */
function isInside(folder: string, file: string): boolean {
  const path = relative(folder, file);
  return path !== '..' && !path.startsWith(`..${sep}`) && !isAbsolute(path);
}

/** A URI with a scheme of two letters or more (a single letter is a Windows drive). */
const URL_SCHEME = /^[a-z][a-z0-9+.-]+:/i;

/**
 * Reads a `.glb` or a `.gltf` with the external buffers and images it names (relative to its
 * folder; a GLB may name some too). Returns GLB bytes alone when there is nothing else to read.
 * A file that cannot be read, the input or one the glTF names, fails with
 * `missing_resource`, and so do a URL (`https://…`: only local files are read) and, with
 * `root`, a path outside that folder. Bad arguments throw `KilnValidationError`. A path
 * written with backslashes (`textures\wood.png`, as some Windows exporters do) is also tried
 * with slashes.
 */
export async function readInputFile(path: string, options: ReadInputFileOptions = {}): Promise<Uint8Array | GltfFiles> {
  validate(ReadInputFileArgs, { path, options }, 'readInputFile');
  const root = options.root ?? READ_INPUT_FILE_DEFAULTS.root;
  let data: Uint8Array;
  try {
    data = new Uint8Array(await readFile(path));
  } catch (error) {
    fail('missing_resource', `cannot read ${path}: ${(error as Error).message}`, error);
  }
  let json: Record<string, unknown>;
  try {
    // A GLB may name external files too (the glTF spec allows it, a few exporters do it).
    json = isGlb(data) ? parseGlb(data).json : (JSON.parse(decoder.decode(data).replace(/^\uFEFF/, '')) as Record<string, unknown>);
  } catch {
    return data; // not glTF, or a broken GLB: parseInput reports it
  }
  const uris = [...asArray(json['buffers']), ...asArray(json['images'])]
    .map((r) => r['uri'])
    .filter((uri): uri is string => typeof uri === 'string' && !uri.startsWith('data:'));
  const resources: Record<string, Uint8Array> = {};
  await Promise.all(
    [...new Set(uris)].map(async (uri) => {
      if (URL_SCHEME.test(uri)) {
        fail('missing_resource', `external resource "${uri}" is a URL: only files beside the glTF are read (download it there and name it by a relative path)`);
      }
      let decoded: string;
      try {
        decoded = decodeURIComponent(uri);
      } catch {
        decoded = uri; // not percent-encoded
      }
      const files = [...new Set([decoded, decoded.replaceAll('\\', '/')])].map((candidate) => resolve(dirname(path), candidate));
      const outside = root === null ? undefined : files.find((file) => !isInside(resolve(root), file));
      if (outside !== undefined) fail('missing_resource', `external resource "${uri}" resolves outside ${resolve(root as string)} (${outside}): refused`);
      let lastError: unknown;
      for (const file of files) {
        try {
          resources[uri] = new Uint8Array(await readFile(file));
          return;
        } catch (error) {
          lastError = error;
        }
      }
      fail('missing_resource', `missing external resource "${uri}" (${files[0] as string})`, lastError);
    }),
  );
  return isGlb(data) && Object.keys(resources).length === 0 ? data : { gltf: data, resources };
}
