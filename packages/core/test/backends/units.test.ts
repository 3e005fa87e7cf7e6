// Pure parts of the network backends: workflow injection, prompt ids, templates, Retry-After,
// redaction, monotonic state, reconnect timing, server-sent events.
import { describe, expect, it } from 'vitest';
import { BackendError } from '../../src/backend.js';
import {
  compileInjection,
  injectWorkflow,
  isModelInput,
  promptIdFor,
  reconnectDelay,
  resolveNode,
} from '../../src/backends/comfyui/index.js';
import { checkWorkflow } from '../../src/backends/comfyui/workflow.js';
import { parseRetryAfter, Redactor } from '../../src/backends/http-task/index.js';
import { rateLimitKind } from '../../src/backends/http-task/http.js';
import { readServerSentEvents } from '../../src/backends/http-task/sse.js';
import { mergeStatus } from '../../src/backends/http-task/state.js';
import { renderTemplate } from '../../src/backends/http-task/template.js';
import { IMAGE_PASSTHROUGH, TEXT_TO_IMAGE } from './fixtures.js';

describe('workflow injection', () => {
  it('resolves targets by id and by title, with default input names per parameter', () => {
    const compiled = compileInjection('t', TEXT_TO_IMAGE, {
      prompt: 'Positive',
      negativePrompt: '7',
      seed: 'KSampler',
      width: 'Empty Latent Image',
      model: 'Load Checkpoint',
      denoise: '3',
    });
    expect(compiled).toEqual([
      { key: 'prompt', targets: [{ nodeId: '6', input: 'text' }] },
      { key: 'negativePrompt', targets: [{ nodeId: '7', input: 'text' }] },
      { key: 'seed', targets: [{ nodeId: '3', input: 'seed' }] },
      { key: 'width', targets: [{ nodeId: '5', input: 'width' }] },
      { key: 'model', targets: [{ nodeId: '4', input: 'ckpt_name' }] },
      { key: 'denoise', targets: [{ nodeId: '3', input: 'denoise' }] },
    ]);
  });

  it('writes values into a copy, skipping missing ones, to several targets at once', () => {
    const compiled = compileInjection('t', TEXT_TO_IMAGE, { prompt: ['6', { node: '7', input: 'text' }], seed: '3' });
    const out = injectWorkflow(TEXT_TO_IMAGE, compiled, { prompt: 'same text' });
    expect(out['6']?.inputs['text']).toBe('same text');
    expect(out['7']?.inputs['text']).toBe('same text');
    expect(out['3']?.inputs['seed']).toBe(1);
    expect(TEXT_TO_IMAGE['6']?.inputs['text']).toBe('a wooden crate');
  });

  it('explains what is wrong: unknown node, ambiguous title, missing input, UI format', () => {
    expect(() => compileInjection('comfy', TEXT_TO_IMAGE, { prompt: 'Positive Prompt' })).toThrow(
      /inject\.prompt: no node has id or title "Positive Prompt" \(ids: 3, 4, 5, 6, 7, 8, 9; titles: KSampler, .*Positive/,
    );
    const twice = { ...TEXT_TO_IMAGE, '20': { class_type: 'CLIPTextEncode', inputs: { text: '' }, _meta: { title: 'Positive' } } };
    expect(() => resolveNode('comfy', twice, 'Positive', 'inject.prompt')).toThrow(/title "Positive" is on several nodes \(6, 20\); use a node id/);
    expect(() => compileInjection('comfy', TEXT_TO_IMAGE, { seed: 'VAE Decode' })).toThrow(
      /node 8 \(VAEDecode\) has none of the inputs seed, noise_seed \(it has samples, vae\); name one with \{ node: "VAE Decode", input: "…" \}/,
    );
    expect(() => checkWorkflow('comfy', { nodes: [], links: [] })).toThrow(/UI format.*Export \(API\)/);
    expect(() => checkWorkflow('comfy', { '1': { inputs: {} } })).toThrow(/node "1" has no class_type/);
    expect(() => checkWorkflow('comfy', {})).toThrow(/no nodes/);
    expect(compileInjection('comfy', IMAGE_PASSTHROUGH, { image: 'Load Image' })[0]?.targets).toEqual([{ nodeId: '10', input: 'image' }]);
  });

  it('knows which inputs name models', () => {
    for (const input of ['ckpt_name', 'lora_name', 'unet_name', 'vae_name', 'control_net_name']) expect(isModelInput(input)).toBe(true);
    for (const input of ['sampler_name', 'scheduler', 'image', 'text', undefined]) expect(isModelInput(input)).toBe(false);
  });
});

describe('prompt ids', () => {
  it('keeps a canonical UUID, lower-cases others, derives a stable UUID from anything else', async () => {
    expect(await promptIdFor('0b7c5d8e-1f2a-4b3c-9d4e-5f6a7b8c9d0e')).toBe('0b7c5d8e-1f2a-4b3c-9d4e-5f6a7b8c9d0e');
    expect(await promptIdFor('0B7C5D8E-1F2A-4B3C-9D4E-5F6A7B8C9D0E')).toBe('0b7c5d8e-1f2a-4b3c-9d4e-5f6a7b8c9d0e');
    const derived = await promptIdFor('key:3');
    expect(derived).toBe(await promptIdFor('key:3'));
    expect(derived).not.toBe(await promptIdFor('key:4'));
    expect(derived).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('reconnect timing', () => {
  it('grows, never drops below half its cap, and stops at the maximum', () => {
    const options = { initialDelayMs: 100, maxDelayMs: 3_000 };
    expect([0, 1, 2, 3].map((n) => reconnectDelay(n, options, () => 0))).toEqual([50, 100, 200, 400]);
    expect([0, 1, 2, 3].map((n) => reconnectDelay(n, options, () => 1))).toEqual([100, 200, 400, 800]);
    expect(reconnectDelay(50, options, () => 0.5)).toBe(2_250);
    expect(reconnectDelay(1_000, options, () => 0)).toBe(1_500);
  });
});

describe('request templates', () => {
  const scope = { params: { prompt: 'a crate', size: 512, flag: false, empty: null }, model: undefined, inputs: { image: { url: 'https://x/y.png' } } };

  it('keeps the type of whole placeholders and drops missing optional ones', () => {
    expect(
      renderTemplate({ p: '{{params.prompt}}', s: '{{params.size}}', f: '{{params.flag}}', m: '{{model}}', e: '{{params.empty}}', list: ['{{model}}', 1] }, scope, 't'),
    ).toEqual({ p: 'a crate', s: 512, f: false, list: [1] });
  });

  it('reads defaults as JSON or text, interpolates inside text, and requires what is marked', () => {
    expect(renderTemplate({ r: '{{params.res|1024}}', t: '{{params.tex|high}}', b: '{{params.on|true}}' }, scope, 't')).toEqual({
      r: 1024,
      t: 'high',
      b: true,
    });
    expect(renderTemplate('size {{params.size}}px, model {{model}}.', scope, 't')).toBe('size 512px, model .');
    expect(() => renderTemplate({ a: '{{model!}}' }, scope, 'vendor')).toThrow(BackendError);
    expect(() => renderTemplate({ a: '{{model!}}' }, scope, 'vendor')).toThrow(/vendor: the request has no value for "model"/);
    expect(renderTemplate({ u: '{{ inputs.image.url ! }}' }, scope, 't')).toEqual({ u: 'https://x/y.png' });
  });
});

describe('HTTP helpers', () => {
  it('parses Retry-After as seconds or a date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('1.5', now)).toBe(1_500);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('redacts configured secrets, bearer credentials and URL signatures', () => {
    const redactor = new Redactor(['sk-live-123456', undefined, 'abc']).with('rotated-token-987');
    const text = redactor.redact(
      'key sk-live-123456 and rotated-token-987; Authorization: Bearer eyJhbGciOi.payload.sig; https://s3/x.glb?X-Amz-Signature=deadbeef&Expires=1&token=t0k',
    );
    expect(text).toBe(
      'key [REDACTED] and [REDACTED]; Authorization: Bearer [REDACTED]; https://s3/x.glb?X-Amz-Signature=[REDACTED]&Expires=1&token=[REDACTED]',
    );
    expect(new Redactor(['abc']).redact('abc')).toBe('abc'); // too short to be a secret
  });

  it('tells 429 kinds apart by code path or by body text', () => {
    expect(rateLimitKind('{"message":"NoMoreConcurrentTasks"}', { concurrency: ['NoMoreConcurrentTasks'] })).toBe('rate_concurrency');
    expect(rateLimitKind('{"message":"RateLimitExceeded"}', { concurrency: ['NoMoreConcurrentTasks'] })).toBe('rate_requests');
    expect(rateLimitKind('{"error":{"code":"too_many_running"}}', { codePath: 'error.code', concurrency: ['too_many_running'] })).toBe(
      'rate_concurrency',
    );
    expect(rateLimitKind('whatever', undefined)).toBe('rate_requests');
  });
});

describe('monotonic status', () => {
  it('never regresses and never leaves a terminal state', () => {
    expect(mergeStatus({ state: 'running', progress: 0.6 }, { state: 'queued' })).toEqual({ state: 'running', progress: 0.6 });
    expect(mergeStatus({ state: 'running', progress: 0.6 }, { state: 'running', progress: 0.3, etaMs: 5 })).toEqual({
      state: 'running',
      progress: 0.6,
      etaMs: 5,
    });
    expect(mergeStatus({ state: 'succeeded' }, { state: 'running', progress: 0.9 })).toEqual({ state: 'succeeded' });
    expect(mergeStatus({ state: 'canceled' }, { state: 'unknown' })).toEqual({ state: 'canceled' });
    expect(mergeStatus({ state: 'running' }, { state: 'unknown' })).toEqual({ state: 'unknown' });
    expect(mergeStatus({ state: 'unknown' }, { state: 'queued' })).toEqual({ state: 'queued' });
  });
});

describe('server-sent events', () => {
  it('reads events split across chunks, with comments, names, ids and multi-line data', async () => {
    const chunks = [': hello\n\nevent: mess', 'age\nid: 7\ndata: {"a":\ndata: 1}\n\n', 'data: two\r\n\r\n', 'data: unterminated'];
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
        controller.close();
      },
    });
    const events = [];
    for await (const event of readServerSentEvents(body)) events.push(event);
    expect(events).toEqual([
      { event: 'message', data: '{"a":\n1}', id: '7' },
      { event: 'message', data: 'two', id: '7' },
    ]);
  });
});
