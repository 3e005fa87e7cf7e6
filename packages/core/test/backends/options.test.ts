// Bad configuration at the public edges of the backends (and the other constructors that take
// options) fails before anything is sent, as a KilnValidationError (code invalid_input) that
// names the field: never a bare TypeError a host cannot tell from a bug.
import { describe, expect, it } from 'vitest';
import { KilnValidationError } from '@kiln/manifest';
import {
  buildStyleProfile,
  canonicalJson,
  comfyUIBackend,
  createWebhookReceiver,
  httpSyncBackend,
  httpTaskBackend,
  MESHY_IMAGE_TO_3D,
  STABILITY_SF3D,
} from '@kiln/core';
import { TEXT_TO_IMAGE, TEXT_TO_IMAGE_INJECT } from './fixtures.js';

function thrown(make: () => unknown): KilnValidationError {
  try {
    make();
  } catch (error) {
    return error as KilnValidationError;
  }
  throw new Error('did not throw');
}

describe('constructor options', () => {
  const cases: [string, () => unknown, RegExp, string][] = [
    ['an HTTP task API that needs a token, without one', () => httpTaskBackend({ api: MESHY_IMAGE_TO_3D }), /options\.token is required/, 'api.auth'],
    ['a base URL that is not absolute', () => httpTaskBackend({ api: MESHY_IMAGE_TO_3D, token: 't', baseUrl: 'api.example' }), /not an absolute URL/, 'baseUrl'],
    ['a sync backend with a timeout of 0', () => httpSyncBackend({ api: STABILITY_SF3D, token: 't', timeoutMs: 0 }), /timeoutMs must be a positive number/, 'timeoutMs'],
    ['a ComfyUI workflow in UI format', () => comfyUIBackend({ baseUrl: 'http://127.0.0.1:8188', workflow: { nodes: [], links: [] } as never, inject: TEXT_TO_IMAGE_INJECT }), /UI format/, 'workflow'],
    ['a ComfyUI injection target that names no node', () => comfyUIBackend({ baseUrl: 'http://127.0.0.1:8188', workflow: TEXT_TO_IMAGE, inject: { ...TEXT_TO_IMAGE_INJECT, seed: 'No Such Node' } }), /No Such Node/, 'inject.seed'],
    ['a webhook receiver without a secret', () => createWebhookReceiver({ backend: {} as never, secret: '', signatureHeader: 'x-sig' } as never), /secret is required/, 'secret'],
    ['a circular value to key', () => { const a: Record<string, unknown> = {}; a['self'] = a; return canonicalJson(a); }, /circular/, 'self'],
  ];
  for (const [what, make, message, field] of cases) {
    it(`refuses ${what} with a typed error naming ${field}`, () => {
      const error = thrown(make);
      expect(error).toBeInstanceOf(KilnValidationError);
      expect(error.code).toBe('invalid_input');
      expect(error.message).toMatch(message);
      expect(error.issues[0]?.path).toBe(field);
    });
  }

  it('refuses a style profile without reference images, typed', async () => {
    const error = await Promise.resolve()
      .then(() => buildStyleProfile([] as never))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KilnValidationError);
    expect((error as KilnValidationError).issues[0]?.path).toBe('images');
  });
});
