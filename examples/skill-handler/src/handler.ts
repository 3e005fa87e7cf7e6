import { join } from 'node:path';
import { createAssetStore, fsDriver } from '@kiln/storage';
import {
  builtinPipeline,
  createJobClient,
  isKilnError,
  openJsonlStore,
  paletteTagger,
  proceduralBackend,
  storageSink,
  type JobClient,
  type Logger,
  type RequestAssetType,
} from '@kiln/core';

/** Options of {@link createSkillHandler}. */
export interface SkillHandlerOptions {
  /** Folder for the job journal (`jobs/`) and the stored assets (`assets/`). */
  dataDir: string;
  /** Public base URL the assets folder is served from (a CDN, or `startCdnServer` from @kiln/storage/serve). */
  cdnBaseUrl: string;
  /** Run the built-in pipelines with their review checkpoints (the caller approves). Default false: unattended. */
  review?: boolean;
  /** Longest wait for one request. Default 120 s. */
  timeoutMs?: number;
  logger?: Logger;
}

/** One stored asset in a skill result. */
export interface SkillAsset {
  filename: string;
  url: string;
  contentType: string;
  bytes: number;
  sha256: string;
  rating?: string;
  tags?: string[];
}

/** What the handler answers. */
export type SkillResult =
  | { ok: true; runId: string; status: 'completed'; assets: SkillAsset[]; manifestUrl: string | undefined; reused: boolean }
  | { ok: true; runId: string; status: 'awaiting_review'; reviewSteps: string[] }
  | { ok: false; runId?: string; status: 'invalid' | 'failed'; error: string; issues?: { path: string; message: string }[] };

/** A skill handler and its lifecycle. */
export interface SkillHandler {
  handle(input: unknown): Promise<SkillResult>;
  readonly client: JobClient;
  close(): Promise<void>;
}

/**
 * Creates the handler: an embedded JSONL job store, an fs asset store behind `cdnBaseUrl`, and
 * the procedural backend (no GPU). `handle()` validates the request, runs the built-in pipeline
 * of its asset type, and answers with the CDN URLs of the final assets. The same request twice
 * runs once: the second answer comes from the first run.
 */
export async function createSkillHandler(options: SkillHandlerOptions): Promise<SkillHandler> {
  const store = await openJsonlStore({ dir: join(options.dataDir, 'jobs'), durability: 'group' });
  const assets = createAssetStore({ driver: fsDriver({ root: join(options.dataDir, 'assets') }), cdnBaseUrl: options.cdnBaseUrl });
  const review = options.review ?? false;
  const pipelines = Object.fromEntries(
    (['3D_CHARACTER', '2D_SPRITE', 'BACKGROUND', 'PROP'] as RequestAssetType[]).map((type) => [type, builtinPipeline(type, { backends: { '*': 'procedural' }, review })]),
  );
  const client = createJobClient({
    store,
    backends: { procedural: proceduralBackend() },
    artifacts: storageSink({ store: assets }),
    pipelines,
    tagger: paletteTagger(),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  await client.start();

  return {
    client,
    async handle(input) {
      let runId: string;
      let created: boolean;
      try {
        ({ runId, created } = await client.submit(input as never));
      } catch (error) {
        if (isKilnError(error)) {
          const issues = (error as { issues?: { path: string; message: string }[] }).issues;
          return { ok: false, status: 'invalid', error: error.message, ...(issues ? { issues: [...issues] } : {}) };
        }
        throw error;
      }
      const run = await client.waitForRun(runId, { until: 'review', timeoutMs: options.timeoutMs ?? 120_000 });
      const steps = (await client.getRun(runId))!.steps;
      if (run.state === 'active') {
        return { ok: true, runId, status: 'awaiting_review', reviewSteps: steps.filter((s) => s.state === 'awaiting_review').map((s) => s.id) };
      }
      if (run.state !== 'completed') {
        const failed = steps.find((s) => s.error);
        return { ok: false, runId, status: 'failed', error: failed?.error?.message ?? `run ${run.state}` };
      }
      const used = new Set(steps.flatMap((s) => s.dependsOn));
      const byName = new Map(steps.map((s) => [s.name, s]));
      // Export steps pass files through unrated: a final asset carries the rating of the nearest rated step before it.
      const ratingOf = (name: string): string | undefined => {
        const step = byName.get(name);
        return step?.quality?.rating ?? step?.dependsOn.map(ratingOf).find((r) => r !== undefined);
      };
      const finals = steps.filter((s) => !used.has(s.name) && s.state === 'done').flatMap((s) => (s.outputs ?? []).map((o) => ({ o, rating: ratingOf(s.name) })));
      return {
        ok: true,
        runId,
        status: 'completed',
        reused: !created,
        manifestUrl: run.manifest?.url,
        assets: finals.map(({ o, rating }) => ({
          filename: o.filename,
          url: o.url ?? '',
          contentType: o.contentType,
          bytes: o.bytes,
          sha256: o.sha256,
          ...(rating ? { rating } : {}),
          ...(Array.isArray(o.metadata?.['tags']) ? { tags: o.metadata['tags'] as string[] } : {}),
        })),
      };
    },
    async close() {
      await client.close();
      await store.close();
      await assets.close();
    },
  };
}
