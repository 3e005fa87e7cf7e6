import type { Document } from '@gltf-transform/core';
import type { NamedTransform } from './pipeline.js';
import type { OptimizeStage } from './progress.js';

/** Stages that decide which textures exist; the texture stage starts once they are done. */
const BEFORE_TEXTURES: ReadonlySet<OptimizeStage> = new Set(['dedup', 'flatten', 'prune']);

/** Options of {@link runStages}. */
export interface RunStagesOptions {
  /** Runs one stage and reports it (progress, time, triangles). */
  stage: (name: OptimizeStage, run: () => Promise<unknown>) => Promise<unknown>;
  /**
   * Called just before the geometry codec, once the textures are final (the LOD base is cloned
   * there). When given, the codec waits for the texture stage instead of running alongside it.
   */
  beforeCodec?: () => void;
}

/**
 * @internal Runs the named transforms of {@link optimizeTransforms} on a document in their order,
 * except that the texture stage runs alongside the geometry stages that follow the cleanup.
 *
 * They touch disjoint parts of the document: textures change images (on sharp's and the KTX2
 * pool's threads), weld, resample, the budget and the codec change accessors and primitives (on
 * this thread). Run one after the other, a core sits idle while the main thread welds or
 * quantizes. Only the cleanup's prune removes textures, and it runs before the texture stage
 * starts; the meshopt codec's own cleanup prunes accessors, skins and materials only.
 *
 * If a stage fails, the stages still running are awaited before the error is rethrown, so that
 * nothing keeps changing the document (or using an encoder) after the call has failed.
 */
export async function runStages(document: Document, pipeline: readonly NamedTransform[], options: RunStagesOptions): Promise<void> {
  const textures = pipeline.find((step) => step.stage === 'textures');
  let texturesRun: Promise<unknown> | null = null;
  let texturesFailed = false;
  const startTextures = () => {
    if (!textures || texturesRun) return;
    texturesRun = options.stage('textures', () => document.transform(textures.transform));
    texturesRun.catch(() => {
      texturesFailed = true;
    });
  };

  try {
    for (const step of pipeline) {
      if (step === textures) continue;
      if (!BEFORE_TEXTURES.has(step.stage)) startTextures();
      // A texture failure stops the geometry stages at the next boundary; it is rethrown below.
      if (texturesFailed) break;
      if (step.stage === 'geometry' && options.beforeCodec) {
        await texturesRun;
        options.beforeCodec();
      }
      await options.stage(step.stage, () => document.transform(step.transform));
    }
    startTextures();
    await texturesRun;
  } catch (error) {
    await (texturesRun as Promise<unknown> | null)?.catch(() => {});
    throw error;
  }
}
