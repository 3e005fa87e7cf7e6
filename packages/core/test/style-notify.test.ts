import { describe, expect, it } from 'vitest';
import {
  buildStyleProfile,
  colorName,
  compareToStyle,
  cosineSimilarity,
  createJobClient,
  kMeansPalette,
  memoryStore,
  notificationForEvent,
  paletteTagger,
  proceduralBackend,
  styleScorer,
  webhookNotifier,
  jsonWebhook,
  NOTIFICATION_COLORS,
  type EmbeddingProvider,
  type Notification,
} from '@kiln/core';
import { memoryLogger, request } from './helpers/fakes.js';
import sharp from 'sharp';

const solid = async (r: number, g: number, b: number, size = 32) =>
  new Uint8Array(await sharp({ create: { width: size, height: size, channels: 4, background: { r, g, b, alpha: 1 } } }).png().toBuffer());
const halves = async (a: [number, number, number], b: [number, number, number]) => {
  const left = await solid(...a, 32);
  return new Uint8Array(await sharp({ create: { width: 64, height: 32, channels: 4, background: { r: b[0], g: b[1], b: b[2], alpha: 1 } } }).composite([{ input: Buffer.from(left), left: 0, top: 0 }]).png().toBuffer());
};

describe('style profiles', () => {
  it('finds the dominant colours by k-means (k = 5)', () => {
    const points: [number, number, number][] = [...Array(60).fill([250, 10, 10]), ...Array(30).fill([10, 10, 250]), ...Array(10).fill([10, 250, 10])];
    expect(kMeansPalette(points, 3)).toEqual([
      { color: '#FA0A0A', weight: 0.6 },
      { color: '#0A0AFA', weight: 0.3 },
      { color: '#0AFA0A', weight: 0.1 },
    ]);
    expect(colorName('#FA0A0A')).toBe('red');
  });

  it('builds a profile (palette, brightness and contrast histograms) and scores images without a model', async () => {
    const profile = await buildStyleProfile([await halves([200, 40, 40], [240, 200, 40])]);
    expect(profile.palette.slice(0, 2).map((p) => colorName(p.color)).sort()).toEqual(['red', 'yellow']);
    expect(profile.brightness.reduce((a, b) => a + b, 0)).toBeCloseTo(1);
    expect(profile.contrast.reduce((a, b) => a + b, 0)).toBeCloseTo(1);
    const same = await compareToStyle(await halves([200, 40, 40], [240, 200, 40]), profile);
    const other = await compareToStyle(await solid(20, 60, 220), profile);
    expect(same).toMatchObject({ histogramDistance: 0, matches: true, score: 1 });
    expect(other.histogramDistance).toBeGreaterThan(0.9);
    expect(other.matches).toBe(false);
  });

  it('uses a pluggable embedding provider with a cosine threshold of 0.85', async () => {
    const embedder: EmbeddingProvider = { name: 'mean-rgb', embed: async (img) => {
      const { data } = await sharp(Buffer.from(img)).resize(1, 1).raw().toBuffer({ resolveWithObject: true });
      return [data[0]!, data[1]!, data[2]!];
    } };
    const profile = await buildStyleProfile([await solid(200, 40, 40)], { embedder });
    expect(profile.embeddingModel).toBe('mean-rgb');
    expect((await compareToStyle(await solid(190, 50, 45), profile, { embedder })).matches).toBe(true);
    const blue = await compareToStyle(await solid(30, 40, 200), profile, { embedder });
    expect(blue.cosine).toBeLessThan(0.85);
    expect(blue.matches).toBe(false);
    expect(cosineSimilarity([1, 0], [0, 1])).toBe(0);
  });

  it('lowers the rating of off-style outputs and tags outputs with their palette', async () => {
    const profile = await buildStyleProfile([await solid(20, 60, 220)]);
    const client = createJobClient({
      store: memoryStore(),
      backends: { procedural: proceduralBackend() },
      logger: memoryLogger(),
      quality: { styleScore: styleScorer({ td: profile }), maxRegenerations: 0 },
      tagger: paletteTagger(),
    });
    await client.start();
    const { runId } = await client.submit({ ...request, prompt: { core_concept: 'red crate', style: 'flat' } }, { pipeline: { name: 'one', steps: [{ name: 'text_to_image', backend: 'procedural' }] } });
    await client.waitForRun(runId, { timeoutMs: 10_000 });
    const step = (await client.getStep(`${runId}/text_to_image`))!;
    expect(step.quality?.reasons.join(' ')).toMatch(/style score 0\.\d+ < 0\.85/);
    expect(step.quality?.rating).toBe('A'); // 512² is AA, one tier lower for the style
    expect(step.outputs?.[0]?.metadata?.['tags']).toEqual(expect.arrayContaining([expect.stringMatching(/^color:/), expect.stringMatching(/^palette:/)]));
    await client.close();
  });
});

function fakeFetch(script: (call: number) => Response) {
  const calls: { body: { embeds: Record<string, unknown>[] }; at: number }[] = [];
  const fetch = (async (_url: string, init?: RequestInit) => {
    calls.push({ body: JSON.parse(String(init?.body)), at: Date.now() });
    return script(calls.length);
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

const note = (i: number, type: Notification['type'] = 'ASSET'): Notification => ({ type, title: `asset ${i}` });

describe('webhook notifier', () => {
  it('sends Discord-style embeds with the type colours, at most ratePerSecond messages', async () => {
    const { fetch, calls } = fakeFetch(() => new Response(null, { status: 204 }));
    const notifier = webhookNotifier({ url: 'https://discord.test/api/webhooks/1/secret', fetch, ratePerSecond: 20, digestThreshold: 100 });
    await Promise.all([note(1, 'SUCCESS'), note(2, 'ERROR'), note(3, 'COST'), note(4, 'BACKUP')].map((n) => notifier.notify(n)));
    expect(calls.map((c) => c.body.embeds[0]?.['color'])).toEqual([NOTIFICATION_COLORS.SUCCESS, NOTIFICATION_COLORS.ERROR, NOTIFICATION_COLORS.COST, NOTIFICATION_COLORS.BACKUP]);
    expect(calls[0]?.body.embeds[0]).toMatchObject({ title: 'asset 1', footer: { text: 'SUCCESS' } });
    const gaps = calls.slice(1).map((c, i) => c.at - calls[i]!.at);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(45); // 20/s
    expect(NOTIFICATION_COLORS).toMatchObject({ SUCCESS: 0x2ecc71, ERROR: 0xe74c3c, WARNING: 0xf1c40f, INFO: 0x3498db });
  });

  it('turns a backed-up queue into digests', async () => {
    const { fetch, calls } = fakeFetch(() => new Response(null, { status: 204 }));
    const notifier = webhookNotifier({ url: 'https://x.test/h', fetch, ratePerSecond: 50, digestThreshold: 5 });
    await Promise.all(Array.from({ length: 40 }, (_, i) => notifier.notify(note(i, i === 7 ? 'ERROR' : 'ASSET'))));
    expect(calls.length).toBeLessThan(10);
    expect(notifier.stats.sent).toBe(40);
    const digest = calls.find((c) => String(c.body.embeds[0]?.['title']).startsWith('Digest'));
    expect(digest?.body.embeds[0]).toMatchObject({ color: NOTIFICATION_COLORS.ERROR });
  });

  it('retries 3 times with backoff, honours 429 retry_after, and gives up after that', async () => {
    const flaky = fakeFetch((n) => (n === 1 ? new Response('{"retry_after":0.05}', { status: 429 }) : n === 2 ? new Response(null, { status: 503 }) : new Response(null, { status: 204 })));
    const notifier = webhookNotifier({ url: 'https://x.test/h', fetch: flaky.fetch, retryBaseMs: 5 });
    await notifier.notify(note(1));
    expect(flaky.calls).toHaveLength(3);
    expect(flaky.calls[1]!.at - flaky.calls[0]!.at).toBeGreaterThanOrEqual(45);
    expect(notifier.stats).toMatchObject({ sent: 1, failed: 0 });
    const down = fakeFetch(() => new Response(null, { status: 500 }));
    const logger = memoryLogger();
    const failing = webhookNotifier({ url: 'https://x.test/h', fetch: down.fetch, retryBaseMs: 1, logger });
    await failing.notify(note(2));
    expect(down.calls).toHaveLength(4);
    expect(failing.stats.failed).toBe(1);
    expect(logger.lines.join()).not.toContain('x.test');
  });

  it('posts generic JSON and maps outbox events to notifications', async () => {
    const { fetch, calls } = fakeFetch((n) => new Response(null, { status: n === 1 ? 502 : 200 }));
    expect(await jsonWebhook({ url: 'https://x.test/j', fetch, retryBaseMs: 1 }).send({ hello: 'world' })).toBe(true);
    expect(calls).toHaveLength(2);
    const base = { seq: 1, at: 0, runId: 'r', projectId: 'p', correlation: { job_id: 'r', step_id: 'r/gen' } };
    expect(notificationForEvent({ ...base, type: 'RunCompleted', data: { state: 'completed' } })?.type).toBe('SUCCESS');
    expect(notificationForEvent({ ...base, type: 'RunCompleted', data: { state: 'failed' } })?.type).toBe('ERROR');
    expect(notificationForEvent({ ...base, type: 'StepFailed', data: { deadLettered: true, step: 'gen' } })?.title).toBe('Step dead-lettered: gen');
    expect(notificationForEvent({ ...base, type: 'StepStarted', data: {} })).toBeUndefined();
  });
});
