import { KilnValidationError } from '@kiln/manifest';
import { EXTTextureWebP } from '@gltf-transform/extensions';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { isKilnError, optimize, OptimizeError } from '../src/index.js';
import { editGlbJson as editGlb } from '../src/glb.js';
import { cubeDocument, pbrDocument, skinnedDocument, sphereDocument, toGlb, toGltfFiles } from './helpers/fixtures.js';

async function failure(promise: Promise<unknown>): Promise<OptimizeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OptimizeError);
  expect(isKilnError(error)).toBe(true);
  return error as OptimizeError;
}

/** Rewrites the JSON chunk of a GLB (keeping the BIN chunk). */
const editGlbJson = (glb: Uint8Array, edit: (json: Record<string, any>) => void): Uint8Array => editGlb(glb, edit);

describe('bad input fails with one clear message and a code', () => {
  it('not glTF', async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);
    const e = await failure(optimize(png));
    expect(e.code).toBe('not_gltf');
    expect(e.message).toBe('not glTF: neither a GLB (no "glTF" magic) nor glTF JSON');
    expect((await failure(optimize({ gltf: '{"scenes": []}' }))).message).toBe('not glTF: no "asset.version"');
    expect((await failure(optimize({ gltf: '{"asset": {"version": "1.0"}}' }))).message).toBe('not glTF 2.0: asset.version is "1.0"');
    expect((await failure(optimize({ gltf: '{"asset": ' }))).message).toMatch(/^not glTF: the file is not valid JSON/);
  });

  it('a truncated GLB', async () => {
    const glb = await toGlb(sphereDocument());
    const e = await failure(optimize(glb.subarray(0, glb.byteLength - 100)));
    expect(e.code).toBe('truncated_glb');
    expect(e.message).toBe(`truncated GLB: the header declares ${glb.byteLength} bytes, the file has ${glb.byteLength - 100}`);
    expect((await failure(optimize(glb.subarray(0, 10)))).code).toBe('truncated_glb');
    // Header patched to the truncated length: the chunk lengths give it away.
    const cut = glb.slice(0, glb.byteLength - 100);
    new DataView(cut.buffer).setUint32(8, cut.byteLength, true);
    expect((await failure(optimize(cut))).message).toMatch(/^truncated GLB: the BIN chunk declares \d+ bytes, \d+ remain$/);
  });

  it('a missing external resource', async () => {
    const files = await toGltfFiles(await pbrDocument(16, 16));
    const [bin] = Object.keys(files.resources).filter((k) => k.endsWith('.bin'));
    const withoutBin = { gltf: files.gltf, resources: { ...files.resources } };
    delete withoutBin.resources[bin!];
    const e = await failure(optimize(withoutBin));
    expect(e.code).toBe('missing_resource');
    expect(e.message).toBe(`missing external resource "${bin}" (buffers.0)`);
    const withoutImage = { gltf: files.gltf, resources: { ...files.resources } };
    delete withoutImage.resources['normal.png'];
    expect((await failure(optimize(withoutImage))).message).toMatch(/^missing external resource "normal\.png" \(images\.\d\)$/);
  });

  it('an unsupported required extension', async () => {
    const glb = editGlbJson(await toGlb(cubeDocument()), (json) => {
      json['extensionsUsed'] = ['VENDOR_magic_mesh'];
      json['extensionsRequired'] = ['VENDOR_magic_mesh'];
    });
    const e = await failure(optimize(glb));
    expect(e.code).toBe('unsupported_extension');
    expect(e.message).toBe('unsupported required extension: VENDOR_magic_mesh');
  });

  it('an image that cannot be decoded', async () => {
    const files = await toGltfFiles(await pbrDocument(16, 16));
    const broken = { gltf: files.gltf, resources: { ...files.resources, 'normal.png': files.resources['normal.png']!.subarray(0, 40) } };
    const e = await failure(optimize(broken));
    expect(e.code).toBe('image_decode');
    expect(e.message).toBe('image "normal" (normal.png, image/png, 40 bytes) cannot be decoded: Input buffer has corrupt header');
    const garbage = { gltf: files.gltf, resources: { ...files.resources, 'normal.png': new Uint8Array(64).fill(7) } };
    expect((await failure(optimize(garbage, { textures: 'keep' }))).code).toBe('image_decode');
  });

  it('a lossy WebP cut short (kept, not re-encoded, it is still read before)', async () => {
    const doc = await pbrDocument(64, 64);
    const texture = doc.getRoot().listTextures()[0]!;
    const webp = new Uint8Array(await sharp(texture.getImage()!).webp({ quality: 90 }).toBuffer());
    texture.setImage(webp.subarray(0, Math.floor(webp.byteLength * 0.6))).setMimeType('image/webp');
    doc.createExtension(EXTTextureWebP);
    const e = await failure(optimize(await toGlb(doc)));
    expect(e.code).toBe('image_decode');
  });

  it('a broken reference: invalid_gltf names it as the validator does, never a bare TypeError', async () => {
    const glb = await toGlb(sphereDocument());
    const cases: [(json: Record<string, any>) => void, string][] = [
      [(json) => (json['accessors'][0].bufferView = 99), '/accessors/0/bufferView: Unresolved reference: 99 [UNRESOLVED_REFERENCE]'],
      [(json) => (json['meshes'][0].primitives[0].attributes.POSITION = 99), '/meshes/0/primitives/0/attributes/POSITION: Unresolved reference: 99 [UNRESOLVED_REFERENCE]'],
      [(json) => (json['scenes'][0].nodes = [0, 4]), '/scenes/0/nodes/1: Unresolved reference: 4 [UNRESOLVED_REFERENCE]'],
    ];
    const animated = await toGlb(skinnedDocument());
    // glTF Transform would write this channel without a sampler: an error the input did not have.
    const channel = editGlbJson(animated, (json) => (json['animations'][0].channels[0].sampler = 99));
    for (const [input, edit, named] of [
      ...cases.map(([edit, named]) => [glb, edit, named] as const),
      [channel, () => {}, '/animations/0/channels/0/sampler: Unresolved reference: 99 [UNRESOLVED_REFERENCE]'] as const,
    ]) {
      const e = await failure(optimize(editGlbJson(input, edit)));
      expect(e.code).toBe('invalid_gltf');
      expect(e.message.startsWith(`invalid glTF: ${named}`), e.message).toBe(true);
      expect(e.message).toMatch(/\(reading failed: .+\)$/);
    }
    // Without the validator, glTF Transform's own words (still typed).
    const off = await failure(optimize(editGlbJson(glb, (json) => (json['accessors'][0].bufferView = 99)), { validate: 'off' }));
    expect(off.code).toBe('invalid_gltf');
  });

  it('a buffer view past the end of its buffer: the JSON contradicts itself, the file is whole', async () => {
    const glb = editGlbJson(await toGlb(cubeDocument()), (json) => {
      json['bufferViews'][0].byteLength += 4096;
    });
    const e = await failure(optimize(glb));
    expect(e.code).toBe('invalid_gltf');
    expect(e.message).toMatch(/^bufferViews\.0 ends at byte \d+, past buffers\.0 \(\d+ bytes\)$/);
  });

  it('a broken reference glTF Transform reads as absent fails with the input\'s fault named', async () => {
    // A channel aimed at a node that does not exist: read as a channel without a target node,
    // which the output's validation then flags; the message names the input's own error.
    const glb = editGlbJson(await toGlb(skinnedDocument()), (json) => (json['animations'][0].channels[0].target.node = 99));
    const e = await failure(optimize(glb));
    expect(e.code).toBe('validation_failed');
    expect(e.message).toContain('(the input already has 1 validator error; first: /animations/0/channels/0/target/node: Unresolved reference: 99 [UNRESOLVED_REFERENCE])');
  });
});

describe('options', () => {
  it('are validated at the boundary, naming each offending field', async () => {
    const glb = await toGlb(cubeDocument());
    const e = await optimize(glb, { lods: [0.25, 0.5], maxTriangles: 0, textures: 'avif' as never }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(KilnValidationError);
    const message = (e as Error).message;
    expect(message).toMatch(/^optimize: invalid input: /);
    expect(message).toContain('lods: must be strictly decreasing');
    expect(message).toContain('maxTriangles: must be >= 1');
    expect(message).toContain('textures: ');
    await expect(optimize(glb, { unknownOption: true } as never)).rejects.toThrow(/Unrecognized key/);
  });
});

describe('signal', () => {
  it('an aborted signal stops optimize before any stage', async () => {
    const events: string[] = [];
    const controller = new AbortController();
    controller.abort(new Error('user cancelled'));
    const e = await failure(optimize(await toGlb(cubeDocument()), { signal: controller.signal, name: 'cube.glb', onProgress: (p) => events.push(p.type) }));
    expect(e.code).toBe('aborted');
    expect(e.message).toBe('optimize(cube.glb): aborted');
    expect((e.cause as Error).message).toBe('user cancelled');
    expect(events).toEqual([]);
  });

  it('an abort during the textures stops at the next texture, and nothing runs after the call rejects', async () => {
    const controller = new AbortController();
    const events: string[] = [];
    const e = await failure(
      optimize(await toGlb(await pbrDocument(256, 256)), {
        signal: controller.signal,
        onProgress: (p) => {
          events.push(p.type === 'stage' ? `${p.stage} ${p.state}` : `texture ${p.index} ${p.state}`);
          if (p.type === 'texture' && p.state === 'start') controller.abort();
        },
      }),
    );
    expect(e.code).toBe('aborted');
    const textureStarts = events.filter((x) => /^texture \d+ start$/.test(x)).length;
    expect(textureStarts).toBeGreaterThan(0);
    expect(textureStarts).toBeLessThan(7); // pbrDocument has 7 textures; the others never start
    expect(events).not.toContain('write start');
    const seen = events.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(events.length).toBe(seen);
  });

  it('must be an AbortSignal', async () => {
    const e = await optimize(await toGlb(cubeDocument()), { signal: 'stop' as never }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(KilnValidationError);
    expect((e as KilnValidationError).message).toMatch(/signal: must be an AbortSignal/);
  });
});
