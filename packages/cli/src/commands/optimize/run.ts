import { KilnValidationError, isKilnError } from '@kiln/manifest';
import {
  createKtx2Pool,
  formatReport,
  optimize,
  OptimizeError,
  PRESETS,
  readInputFile,
  type LodDescriptorEntry,
  type OptimizeLogger,
  type OptimizeReport,
  type OptimizeResult,
} from '@kiln/optimize';
import { EXIT, type CliIO } from '../../io.js';
import { createProgress } from '../../progress/index.js';
import { OPTIMIZE_HELP, parseOptimizeArgs, type OptimizeCommandOptions } from './args.js';
import { expandInputs, type InputFile } from './inputs.js';
import { commitFiles, planOutputs, type OutputPlan } from './outputs.js';

/** What `--json` prints for one input. */
export type OptimizeFileResult =
  | {
      input: string;
      ok: true;
      output: string;
      lods: { level: number; path: string; triangles: number; achievedRatio: number; distinct: boolean }[];
      lodDescriptor: LodDescriptorEntry[];
      report: OptimizeReport;
    }
  | { input: string; ok: false; error: { code: string; message: string } };

const int = (n: number) => n.toLocaleString('en-US');

function summary(file: InputFile, plan: OutputPlan, result: OptimizeResult, cwd: string): string {
  const { before, after } = result.report;
  const out = plan.glb.startsWith(`${cwd}/`) ? plan.glb.slice(cwd.length + 1) : plan.glb;
  const lods = result.lods.length > 0 ? `, ${result.lods.length} LOD${result.lods.length === 1 ? '' : 's'}` : '';
  return `${file.display} → ${out}: ${int(before.bytes)} → ${int(after.bytes)} B (${((after.bytes / Math.max(1, before.bytes)) * 100).toFixed(1)}%), ${int(after.triangles)} triangle${after.triangles === 1 ? '' : 's'}${lods}, ${(result.report.ms / 1000).toFixed(1)} s`;
}

function errorLine(file: InputFile, error: unknown, verbose: boolean): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = isKilnError(error) ? ` [${error.code}]` : '';
  const stack = verbose && error instanceof Error && error.stack ? `\n${error.stack}` : '';
  return `kiln optimize: ${file.display}: ${message}${code}${stack}`;
}

async function runLimited<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        await fn(items[index] as T, index);
      }
    }),
  );
}

function texturesOf(options: OptimizeCommandOptions): string {
  return options.textures ?? (options.preset ? PRESETS[options.preset].textures : 'webp');
}

/** `kiln optimize`: resolves to the exit code. */
export async function runOptimizeCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const options = parseOptimizeArgs(argv);
  if (options.help) {
    io.stdout.write(`${OPTIMIZE_HELP}\n`);
    return EXIT.ok;
  }
  const files = await expandInputs(options.inputs, io.cwd);
  const plans = planOutputs(files, options.out, io.cwd);
  const logger: OptimizeLogger = options.verbose
    ? { debug: (m) => io.stderr.write(`debug: ${m}\n`), info: (m) => io.stderr.write(`${m}\n`), warn: (m) => io.stderr.write(`warning: ${m}\n`) }
    : { debug() {}, info() {}, warn() {} };
  // One KTX2 pool for the whole batch, so parallel files share the worker threads.
  const pool = texturesOf(options) === 'ktx2' ? createKtx2Pool({ workers: options.concurrency, logger }) : null;
  const progress = createProgress(io.stderr, files.length, options.quiet);
  const results: OptimizeFileResult[] = new Array(files.length);
  const failures: string[] = [];
  let usage = false;

  try {
    await runLimited(files, options.concurrency, async (file, index) => {
      const plan = plans[index] as OutputPlan;
      if (io.signal?.aborted) {
        results[index] = { input: file.display, ok: false, error: { code: 'aborted', message: 'not started: interrupted' } };
        return;
      }
      progress.start(file.display);
      try {
        const input = await readInputFile(file.path);
        const result = await optimize(input, {
          name: file.display,
          ...(options.preset ? { preset: options.preset } : {}),
          ...(options.geometry ? { geometry: options.geometry } : {}),
          ...(options.textures ? { textures: options.textures } : {}),
          ...(options.maxTexture !== null ? { maxTextureSize: options.maxTexture } : {}),
          ...(options.maxTriangles !== null ? { maxTriangles: options.maxTriangles } : {}),
          ...(options.budgetError !== null ? { budgetError: options.budgetError } : {}),
          onBudgetUnreachable: options.allowOverBudget ? 'warn' : 'error',
          pruneAttributes: options.pruneAttributes,
          flatten: options.flatten,
          measureQuality: options.psnr,
          lods: options.lods,
          ...(options.lodError !== null ? { lodError: options.lodError } : {}),
          validate: options.validate,
          ...(pool ? { ktx2Encoder: pool } : {}),
          logger,
          onProgress: (event) => progress.event(file.display, event),
          ...(io.signal ? { signal: io.signal } : {}),
        });
        // All or nothing: the GLB and its LODs are written only once everything succeeded.
        if (io.signal?.aborted) throw new OptimizeError('aborted', `optimize(${file.display}): aborted`, { cause: io.signal.reason });
        await commitFiles([{ path: plan.glb, data: result.glb }, ...result.lods.map((lod) => ({ path: plan.lod(lod.level), data: lod.glb }))]);
        results[index] = {
          input: file.display,
          ok: true,
          output: plan.glb,
          lods: result.lods.map((l) => ({ level: l.level, path: plan.lod(l.level), triangles: l.triangles, achievedRatio: l.achievedRatio, distinct: l.distinct })),
          lodDescriptor: result.lodDescriptor,
          report: result.report,
        };
        progress.finish(file.display, summary(file, plan, result, io.cwd));
        if (!options.json) io.stdout.write(`${formatReport(result.report)}\n\n`);
      } catch (error) {
        if (error instanceof KilnValidationError) usage = true;
        const code = isKilnError(error) ? error.code : 'internal';
        results[index] = { input: file.display, ok: false, error: { code, message: error instanceof Error ? error.message : String(error) } };
        const interrupted = code === 'aborted' && io.signal?.aborted === true;
        if (!interrupted) failures.push(errorLine(file, error, options.verbose));
        progress.finish(file.display, `${file.display}: ${interrupted ? 'interrupted' : 'failed'}`);
      }
    });
  } finally {
    progress.close();
    await pool?.dispose();
  }

  if (options.json) io.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  for (const line of failures) io.stderr.write(`${line}\n`);
  if (io.signal?.aborted) {
    const stopped = results.filter((r) => !r.ok && r.error.code === 'aborted').length;
    io.stderr.write(`kiln optimize: interrupted: ${stopped} of ${files.length} file${files.length === 1 ? '' : 's'} not written\n`);
    return EXIT.interrupted;
  }
  if (usage) return EXIT.usage;
  return failures.length > 0 ? EXIT.failure : EXIT.ok;
}
