import { Document } from '@gltf-transform/core';
import { createTransform } from '@gltf-transform/functions';
import { describe, expect, it } from 'vitest';
import type { NamedTransform } from '../src/pipeline.js';
import type { OptimizeStage } from '../src/progress.js';
import { runStages } from '../src/run-stages.js';

/** A promise with its resolve function outside. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const step = (stage: OptimizeStage, fn: () => Promise<void> | void): NamedTransform => ({ stage, transform: createTransform(stage, async () => fn()) });

/** Runs the stages, recording `start x` / `end x` for each. */
async function run(pipeline: NamedTransform[], beforeCodec?: () => void): Promise<string[]> {
  const log: string[] = [];
  await runStages(new Document(), pipeline, {
    stage: async (name, fn) => {
      log.push(`start ${name}`);
      await fn();
      log.push(`end ${name}`);
    },
    ...(beforeCodec ? { beforeCodec: () => (log.push('beforeCodec'), beforeCodec()) } : {}),
  });
  return log;
}

describe('runStages', () => {
  it('starts textures after the cleanup and runs it alongside the geometry stages', async () => {
    // The texture stage can only finish once the geometry codec has run: run one after the other,
    // this would never end (the test would time out).
    const codecRan = deferred();
    const log = await run([
      step('dedup', () => {}),
      step('prune', () => {}),
      step('weld', () => {}),
      step('textures', () => codecRan.promise),
      step('geometry', () => codecRan.resolve()),
    ]);
    expect(log).toEqual(['start dedup', 'end dedup', 'start prune', 'end prune', 'start textures', 'start weld', 'end weld', 'start geometry', 'end geometry', 'end textures']);
  });

  it('with beforeCodec, waits for the textures before the codec', async () => {
    let texturesDone = false;
    const log = await run(
      [step('prune', () => {}), step('weld', () => {}), step('textures', () => new Promise<void>((r) => setTimeout(() => ((texturesDone = true), r()), 30))), step('geometry', () => {})],
      () => expect(texturesDone).toBe(true),
    );
    expect(log.indexOf('end textures')).toBeLessThan(log.indexOf('beforeCodec'));
    expect(log.indexOf('beforeCodec')).toBeLessThan(log.indexOf('start geometry'));
    expect(log.indexOf('start textures')).toBeLessThan(log.indexOf('start weld'));
  });

  it('waits for the texture stage before rethrowing a geometry stage error', async () => {
    let texturesDone = false;
    const pipeline = [
      step('prune', () => {}),
      step('textures', () => new Promise<void>((r) => setTimeout(() => ((texturesDone = true), r()), 30))),
      step('weld', () => {
        throw new Error('weld broke');
      }),
    ];
    await expect(run(pipeline)).rejects.toThrow('weld broke');
    expect(texturesDone).toBe(true);
  });

  it('stops the geometry stages at the next boundary when the textures fail, and rethrows that error', async () => {
    const texturesFailed = deferred();
    const ran: string[] = [];
    const pipeline = [
      step('prune', () => {}),
      step('textures', async () => {
        texturesFailed.resolve();
        throw new Error('image broke');
      }),
      step('weld', async () => {
        ran.push('weld');
        await texturesFailed.promise;
        await new Promise((r) => setTimeout(r, 10));
      }),
      step('geometry', () => void ran.push('geometry')),
    ];
    await expect(run(pipeline)).rejects.toThrow('image broke');
    expect(ran).toEqual(['weld']);
  });

  it('runs a pipeline without a texture stage in order', async () => {
    const log = await run([step('dedup', () => {}), step('weld', () => {}), step('geometry', () => {})]);
    expect(log).toEqual(['start dedup', 'end dedup', 'start weld', 'end weld', 'start geometry', 'end geometry']);
  });
});
