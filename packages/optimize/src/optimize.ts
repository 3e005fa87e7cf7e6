import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { Document, Mesh, NodeIO } from '@gltf-transform/core';
import { cloneDocument, unpartition } from '@gltf-transform/functions';
import { OptimizeError, throwIfAborted } from './errors.js';
import { loadDeps, type OptimizeDeps } from './deps.js';
import { countTriangles, primitiveTriangles, writtenTriangles } from './geometry/count.js';
import { geometryCodec } from './geometry/codec.js';
import { simplifyDocument } from './geometry/simplify.js';
import { keepingPrune, optimizeTransforms } from './pipeline.js';
import { runStages } from './run-stages.js';
import { parseInput, SUPPORTED_EXTENSIONS, type OptimizeInput, type ParsedInput } from './input.js';
import { createIO } from './io.js';
import { toGltfTransformLogger } from './logger.js';
import { lodDescriptor, lodWarning, sceneRadius, type LodDescriptorEntry, type LodResult } from './lods.js';
import { isDocument, resolveOptions, type OptimizeOptions, type ResolvedOptions } from './options.js';
import type { OptimizeStage } from './progress.js';
import type { AssetSize, BudgetReport, LodReport, MeshReport, OptimizeReport, StageReport, TextureReport } from './report.js';
import { createBasisDecoder } from './textures/basis-decoder.js';
import { readKtx2Info } from './textures/ktx2-header.js';
import { createKtx2Pool } from './textures/ktx2-pool.js';
import type { Ktx2Encoder } from './textures/types.js';
import { addedIssues, type ValidationSummary } from './validate.js';
import { assertChannelSamplers, dropPositionless } from './read-checks.js';
import { readGlbJson } from './glb.js';
import { writeGlb } from './write-glb.js';
import { startValidatorThread, type ValidatorThread } from './validator-thread.js';

/** What {@link optimize} returns. */
export interface OptimizeResult {
  /** The optimised model (LOD0): one self-contained GLB. */
  glb: Uint8Array;
  /** One self-contained GLB per requested LOD ratio, in order. */
  lods: LodResult[];
  /** Switch points of the distinct LOD levels, ready for the manifest (see `toManifestLods`). */
  lodDescriptor: LodDescriptorEntry[];
  report: OptimizeReport;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function imageBytes(document: Document): number {
  return document
    .getRoot()
    .listTextures()
    .reduce((n, t) => n + (t.getImage()?.byteLength ?? 0), 0);
}

function extensionNames(document: Document): string[] {
  return document
    .getRoot()
    .listExtensionsUsed()
    .map((e) => e.extensionName)
    .sort();
}

const usesExtension = (parsed: ParsedInput | null, document: Document | null, name: string) =>
  (parsed?.jsonDoc.json.extensionsUsed ?? []).includes(name) || (document ? extensionNames(document).includes(name) : false);

/**
 * The error for an input glTF Transform cannot read. Its own message is then a JavaScript
 * TypeError ("Cannot read properties of undefined (reading 'byteStride')"); the validator, which
 * has read the same input, names what is wrong and where, so its first error leads the message.
 */
function invalidGltf(error: unknown, validation: ValidationSummary | null): OptimizeError {
  const reason = error instanceof Error ? error.message : String(error);
  const first = validation?.messages.find((m) => m.severity === 'error');
  if (!first || !validation) return new OptimizeError('invalid_gltf', `invalid glTF: ${reason}`, { cause: error });
  const more = validation.errors > 1 ? ` (and ${validation.errors - 1} more validator error${validation.errors > 2 ? 's' : ''})` : '';
  const where = first.pointer ? `${first.pointer}: ` : '';
  return new OptimizeError('invalid_gltf', `invalid glTF: ${where}${first.message.replace(/\.$/, '')} [${first.code}]${more} (reading failed: ${reason})`, {
    cause: error,
    details: { validator: validation.messages.filter((m) => m.severity === 'error').slice(0, 10) },
  });
}

/** Checks that every image decodes far enough to give its size, before any heavy work starts. */
async function probeImages(parsed: ParsedInput, deps: OptimizeDeps): Promise<void> {
  await Promise.all(
    parsed.images.map(async (image) => {
      const details = [image.uri !== null && image.uri !== image.label ? image.uri : null, image.mimeType || 'unknown type', `${image.bytes.byteLength} bytes`];
      const what = `image "${image.label}" (${details.filter(Boolean).join(', ')})`;
      try {
        if (image.mimeType === 'image/ktx2') {
          readKtx2Info(image.bytes);
          return;
        }
        const meta = await deps.sharp(image.bytes).metadata();
        if (!meta.width || !meta.height) throw new Error('no dimensions');
      } catch (error) {
        throw new OptimizeError('image_decode', `${what} cannot be decoded: ${(error as Error).message.replace(/[\s:]+$/, '')}`, { cause: error });
      }
    }),
  );
}

/**
 * Optimises a glTF model for shipping: lossless cleanup, an optional triangle budget, textures
 * (WebP or KTX2), the geometry codec, LOD variants, and the validator before and after. The input
 * is GLB bytes, a `.gltf` with its resources, or a glTF Transform Document (left unchanged).
 *
 * @throws {OptimizeError} on bad input (`not_gltf`, `truncated_glb`, `missing_resource`,
 *   `unsupported_extension`, `image_decode`, `invalid_gltf`), an unreachable budget
 *   (`budget_unreachable`, unless `onBudgetUnreachable: 'warn'`), or an output with new validator
 *   errors or warnings (`validation_failed`, unless `validate` is `warn` or `off`).
 * @throws {KilnValidationError} on invalid options.
 */
export async function optimize(input: OptimizeInput, options?: OptimizeOptions): Promise<OptimizeResult> {
  const o = resolveOptions(options);
  const started = performance.now();
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    o.logger.warn(`optimize(${o.name}): ${message}`);
  };
  const stages: StageReport[] = [];
  let document: Document | null = null;
  const label = `optimize(${o.name})`;
  throwIfAborted(o.signal, label);
  /** Runs one stage and reports it; `written` counts the triangles of a stage that writes a file. */
  const stage = async <T>(name: OptimizeStage, fn: () => Promise<T> | T, written?: (value: T) => number): Promise<T> => {
    throwIfAborted(o.signal, label); // every stage is a boundary the signal stops at
    o.onProgress({ type: 'stage', stage: name, state: 'start' });
    const entry: StageReport = { stage: name, ms: 0, triangles: 0 };
    stages.push(entry);
    const t = performance.now();
    // Textures never change triangles, and run alongside the geometry stages: counted at the start.
    if (name === 'textures' && document) entry.triangles = countTriangles(document);
    const value = await fn();
    entry.ms = Math.round((performance.now() - t) * 10) / 10;
    if (written) entry.triangles = written(value);
    else if (name !== 'textures') entry.triangles = document && name !== 'validate-input' ? countTriangles(document) : 0;
    o.onProgress({ type: 'stage', stage: name, state: 'end', ms: entry.ms });
    return value;
  };

  // Read and check the input.
  const parsed = isDocument(input) ? null : parseInput(input);
  const needDraco = o.geometry === 'draco' || usesExtension(parsed, isDocument(input) ? input : null, 'KHR_draco_mesh_compression');
  const depsLoaded = loadDeps(needDraco).then((deps) => ({ deps, io: createIO(deps, o.logger) }));
  // A Document input is written to GLB once: for the validator and for the report's `before`.
  const documentGlb = parsed ? null : depsLoaded.then(({ io }) => writeGlb(io, input as Document));
  documentGlb?.catch(() => {}); // awaited below
  // The validator runs on a worker thread while this one reads, cleans up and encodes.
  const validator = o.validate === 'off' ? null : startValidatorThread(o.logger);
  try {
    const validateInput = async (): Promise<ValidationSummary | null> => {
      if (!validator) return null;
      if (parsed) return validator.validate(parsed.validatorBytes, { resources: parsed.resources, uri: o.name });
      return validator.validate(await (documentGlb as Promise<Uint8Array>), { uri: o.name });
    };
    const validationBefore = validator ? stage('validate-input', validateInput) : Promise.resolve(null);
    validationBefore.catch(() => {}); // awaited below; not an unhandled rejection if reading fails first
    const { deps, io } = await depsLoaded;
    if (parsed) await probeImages(parsed, deps);
    for (const message of parsed?.warnings ?? []) warn(message);
    const doc: Document = await stage('read', async () => {
      try {
        document = parsed ? await io.readJSON(parsed.jsonDoc) : cloneDocument(input as Document);
        // glTF Transform reads some broken references (a POSITION or a channel's sampler naming
        // a missing object) as absent, which would fail later: they fail here, with the reading
        // errors.
        for (const message of dropPositionless(document, parsed?.jsonDoc.json)) warn(message);
        assertChannelSamplers(document);
        // The output is one GLB, with one buffer (see writeGlb): merged once here, for every write.
        if (document.getRoot().listBuffers().length > 1) await document.transform(unpartition());
      } catch (error) {
        throw invalidGltf(error, await validationBefore.catch(() => null));
      }
      return document;
    });
    if (o.validate === 'strict') {
      const input = await validationBefore;
      if (input && input.errors > 0) {
        throw new OptimizeError('invalid_gltf', `invalid glTF: the input has ${errorList(input)} (validate: 'strict', --validate strict, refuses invalid input)`, {
          details: { validator: input.messages.filter((m) => m.severity === 'error').slice(0, 10) },
        });
      }
    }
    doc.setLogger(toGltfTransformLogger(o.logger));
    const before: AssetSize = parsed
      ? { bytes: parsed.bytes, textureBytes: parsed.textureBytes, geometryBytes: parsed.bytes - parsed.textureBytes, triangles: countTriangles(doc) }
      : await (async () => {
          const bytes = (await (documentGlb as Promise<Uint8Array>)).byteLength;
          const textureBytes = imageBytes(doc);
          return { bytes, textureBytes, geometryBytes: bytes - textureBytes, triangles: countTriangles(doc) };
        })();
    // What the input declared: glTF Transform drops the optional extensions it does not know
    // while reading (a required one stopped the run in parseInput), so the document lacks them.
    const extensionsBefore = parsed ? [...new Set(parsed.jsonDoc.json.extensionsUsed ?? [])].sort() : extensionNames(doc);
    const dropped = extensionsBefore.filter((name) => !SUPPORTED_EXTENSIONS.includes(name));
    if (dropped.length > 0) {
      warn(`optional extension${dropped.length > 1 ? 's' : ''} ${dropped.join(', ')} dropped: glTF Transform cannot carry ${dropped.length > 1 ? 'them' : 'it'} (the output leaves ${dropped.length > 1 ? 'their' : 'its'} data out)`);
    }
    if (extensionsBefore.includes('KHR_materials_pbrSpecularGlossiness')) {
      // Kept, as every material extension is; but the common runtime no longer reads it.
      warn(
        "KHR_materials_pbrSpecularGlossiness (archived by Khronos) is kept, but three.js r147 and later no longer read it and draw each material's metal/rough values instead; glTF Transform's metalRough() converts it",
      );
    }
    const meshesBefore = doc
      .getRoot()
      .listMeshes()
      .map((mesh, i) => ({ name: mesh.getName() || `mesh ${i}`, triangles: countTrianglesOfMesh(mesh) }));

    // The pipeline: cleanup, budget, textures, geometry codec, one stage each.
    const { budget, meshErrors, textureReports, lodBase } = await runPipeline(doc, o, deps, stage, warn);

    const glb = await stage('write', () => writeGlb(io, doc), (bytes) => writtenTriangles(readGlbJson(bytes)).total);
    const written = writtenTriangles(readGlbJson(glb));
    const after: AssetSize = { bytes: glb.byteLength, textureBytes: imageBytes(doc), geometryBytes: 0, triangles: written.total };
    after.geometryBytes = after.bytes - after.textureBytes;

    if (after.bytes > before.bytes && o.geometry === 'meshopt' && extensionsBefore.includes('KHR_draco_mesh_compression')) {
      warn(
        `the output (${after.bytes} B) is larger than the input (${before.bytes} B): the input's Draco geometry was re-encoded with meshopt, which is meant to be served gzip- or Brotli-compressed and is larger without it; geometry: 'draco' (--geometry draco) keeps Draco`,
      );
    }
    const validateOutput = validator && (() => stage('validate-output', () => validator.validate(glb, { uri: o.name }), () => written.total));
    const validation = await checkValidation(o, await validationBefore, validateOutput, warn);

    // LODs.
    const lods: LodResult[] = [];
    const lodReports: LodReport[] = [];
    if (lodBase && after.triangles === 0) {
      // Points and lines only: the simplifier reduces triangles, so every level would be LOD0 again.
      warn(`no LOD levels made: the model draws no triangles (only points or lines), and LODs are made by simplifying triangles`);
    } else if (lodBase) {
      for (const [i, ratio] of o.lods.entries()) {
        const level = i + 1;
        const previous = lods[lods.length - 1]?.triangles ?? after.triangles;
        const { lod, report } = await stage(`lod${level}`, () => buildLod(lodBase, level, ratio, after.triangles, o, deps, io, previous, validator), (built) => built.lod.triangles);
        const warning = lodWarning(lod, previous, o.lodError);
        if (warning) warn(warning);
        lods.push(lod);
        lodReports.push(report);
      }
    }
    const descriptor = lodDescriptor(lods, lodBase ? sceneRadius(lodBase) : 1, o.lodSwitch);

    const meshes: MeshReport[] = doc
      .getRoot()
      .listMeshes()
      .map((mesh, i) => {
        const name = mesh.getName() || `mesh ${i}`;
        // The document writes its meshes in this order: the file's count, as for `after`.
        return { name, trianglesBefore: meshesBefore.find((m) => m.name === name)?.triangles ?? 0, triangles: written.perMesh[i] ?? 0, error: meshErrors.get(name) ?? 0 };
      });

    const report: OptimizeReport = {
      name: o.name,
      preset: o.preset,
      geometry: o.geometry,
      textures: o.textures,
      before,
      after,
      extensionsBefore,
      extensionsAfter: extensionNames(doc),
      stages,
      meshes,
      textureReports,
      budget,
      lods: lodReports,
      validation,
      warnings,
      ms: Math.round(performance.now() - started),
    };
    return { glb, lods, lodDescriptor: descriptor, report };
  } finally {
    await validator?.dispose();
  }
}

/** What the pipeline leaves for the report and the LODs. */
interface PipelineResult {
  budget: BudgetReport | null;
  /** Simplification error per mesh name (triangle budget only). */
  meshErrors: Map<string, number>;
  /** In the document's texture order. */
  textureReports: TextureReport[];
  /** LOD0 before the geometry codec, textures done; only when LODs are asked for. */
  lodBase: Document | null;
}

/** Runs cleanup, budget, textures and the geometry codec on `doc` (see {@link runStages}). */
async function runPipeline(
  doc: Document,
  o: ResolvedOptions,
  deps: OptimizeDeps,
  stage: (name: OptimizeStage, run: () => Promise<unknown>) => Promise<unknown>,
  warn: (message: string) => void,
): Promise<PipelineResult> {
  const result: PipelineResult = { budget: null, meshErrors: new Map(), textureReports: [], lodBase: null };
  const ownPool = o.textures === 'ktx2' && !o.ktx2Encoder ? createKtx2Pool({ ...(o.concurrency ? { workers: o.concurrency } : {}), logger: o.logger }) : null;
  try {
    const encoder: Ktx2Encoder | null = o.ktx2Encoder ?? ownPool;
    const decoder = o.textures === 'ktx2' && o.measureQuality ? (o.ktx2Decoder === undefined ? createBasisDecoder() : o.ktx2Decoder) : null;
    const pipeline = optimizeTransforms({
      pruneAttributes: o.pruneAttributes,
      flatten: o.flatten,
      onWarning: warn,
      geometry: o.geometry,
      meshoptEncoder: deps.meshoptEncoder,
      ...(o.maxTriangles !== null
        ? {
            budget: {
              simplifier: deps.simplifier,
              maxTriangles: o.maxTriangles,
              error: o.budgetError,
              onUnreachable: o.onBudgetUnreachable,
              onResult: (report, simplified) => {
                result.budget = report;
                for (const m of simplified.meshes) result.meshErrors.set(m.name, m.error);
              },
              onWarning: warn,
            },
          }
        : {}),
      textures: {
        mode: o.textures,
        sharp: deps.sharp,
        signal: o.signal,
        maxSize: o.maxTextureSize,
        webp: o.webp,
        ktx2: o.ktx2,
        ktx2Encoder: encoder,
        ktx2Decoder: decoder,
        measureQuality: o.measureQuality,
        parallel: o.textures === 'ktx2' ? Math.max(2, (encoder && 'size' in encoder ? Number(encoder.size) : 2) + 1) : sharpParallelism(deps.sharp),
        logger: o.logger,
        onTexture: (report) => result.textureReports.push(report),
        onWarning: warn,
        onProgress: o.onProgress,
      },
    });
    await runStages(doc, pipeline, {
      stage,
      // LOD variants start from LOD0 as it is before the geometry codec, textures done.
      ...(o.lods.length > 0 ? { beforeCodec: () => void (result.lodBase = cloneDocument(doc)) } : {}),
    });
  } finally {
    await ownPool?.dispose();
  }
  result.textureReports.sort((a, b) => a.index - b.index);
  return result;
}

function countTrianglesOfMesh(mesh: Mesh): number {
  return mesh.listPrimitives().reduce((n, p) => n + primitiveTriangles(p), 0);
}

async function checkValidation(
  o: ResolvedOptions,
  before: ValidationSummary | null,
  validateOutput: (() => Promise<ValidationSummary>) | null,
  warn: (message: string) => void,
): Promise<OptimizeReport['validation']> {
  if (!validateOutput) return { before: null, after: null, added: [] };
  const inputFaulty = before !== null && before.errors > 0;
  if (inputFaulty) warn(invalidInputWarning(before, o.geometry !== 'none'));
  const after = await validateOutput();
  const added = addedIssues(before, after);
  if (added.length > 0) {
    const list = added.map((a) => `${a.code} (${a.severity}, ${a.before} → ${a.after}): ${a.message}`).join('; ');
    // An input's broken reference that glTF Transform read as absent surfaces here: name it.
    const cause = inputFaulty ? ` (the input already has ${before.errors} validator error${before.errors === 1 ? '' : 's'}; first: ${firstError(before)})` : '';
    const message = `the output adds validator issues: ${list}${cause}`;
    if (o.validate !== 'warn') throw new OptimizeError('validation_failed', message, { details: { added } });
    warn(message);
  }
  return { before, after, added };
}

/**
 * Said when the input already fails validation: nothing repairs it (glTF Transform reads what it
 * can), and behind meshopt or Draco the output's validation cannot see faults in vertex or
 * animation data, so a smaller error count after does not mean they are gone.
 */
function invalidInputWarning(before: ValidationSummary, compressed: boolean): string {
  const hidden = compressed ? '; the validator cannot read vertex or animation data inside meshopt or Draco buffers, so the output\'s error count does not show faults carried there' : '';
  return `the input has ${errorList(before)}: Kiln does not repair invalid input, and the output can carry the same faults${hidden}`;
}

/** "3 validator errors (CODE ×2, CODE ×1; first: pointer: message [CODE])" */
function errorList(summary: ValidationSummary): string {
  const errors = Object.entries(summary.codes)
    .filter(([, entry]) => entry.severity === 'error')
    .sort((a, b) => b[1].count - a[1].count);
  const codes = errors.slice(0, 3).map(([code, { count }]) => `${code} ×${count}`).join(', ') + (errors.length > 3 ? ', …' : '');
  return `${summary.errors} validator error${summary.errors === 1 ? '' : 's'} (${codes}; first: ${firstError(summary)})`;
}

/** The first error a validation reported, with its pointer and code. */
function firstError(summary: ValidationSummary): string {
  const first = summary.messages.find((m) => m.severity === 'error');
  if (!first) return 'not listed';
  return `${first.pointer ? `${first.pointer}: ` : ''}${first.message.replace(/\.$/, '')} [${first.code}]`;
}

async function buildLod(
  base: Document,
  level: number,
  ratio: number,
  baseTriangles: number,
  o: ResolvedOptions,
  deps: OptimizeDeps,
  io: NodeIO,
  previousTriangles: number,
  validator: ValidatorThread | null,
): Promise<{ lod: LodResult; report: LodReport }> {
  const doc = cloneDocument(base);
  doc.setLogger(toGltfTransformLogger(o.logger));
  const result = await simplifyDocument(doc, { simplifier: deps.simplifier, goal: { ratio }, error: o.lodError });
  await doc.transform(keepingPrune(o.pruneAttributes, o.flatten));
  await doc.transform(geometryCodec({ codec: o.geometry, meshoptEncoder: deps.meshoptEncoder }));
  const glb = await writeGlb(io, doc);
  const triangles = writtenTriangles(readGlbJson(glb)).total;
  const achievedRatio = baseTriangles > 0 ? Math.round((triangles / baseTriangles) * 10000) / 10000 : 1;
  const distinct = triangles < previousTriangles;
  let validation: LodReport['validation'] = null;
  if (validator) {
    const v = await validator.validate(glb, { uri: `${o.name} lod${level}` });
    validation = { errors: v.errors, warnings: v.warnings, infos: v.infos, hints: v.hints };
  }
  const lod: LodResult = { level, requestedRatio: ratio, achievedRatio, triangles, error: result.error, glb, bytes: glb.byteLength, sha256: sha256(glb), distinct };
  return { lod, report: { level, requestedRatio: ratio, achievedRatio, triangles, error: result.error, bytes: glb.byteLength, distinct, validation } };
}

/**
 * How many images go through sharp at once. sharp runs each image on `sharp.concurrency()` libvips
 * threads: every core where it links jemalloc, but one on glibc Linux without it (its default,
 * against memory fragmentation), which is the common Debian/Ubuntu case. Enough images to give
 * each core two pipelines, so that one decodes while another encodes; at least two, and at most
 * four, libuv's default thread pool, which sharp's work queues on.
 */
function sharpParallelism(sharp: OptimizeDeps['sharp']): number {
  const perImage = Math.max(1, sharp.concurrency());
  return Math.min(4, Math.max(2, Math.ceil((2 * availableParallelism()) / perImage)));
}
