import type { TextureCodec } from '@kiln/manifest';
import type { OptimizeStage } from './progress.js';
import type { Ktx2Info } from './textures/ktx2-header.js';
import type { ValidationSummary } from './validate.js';

/** Sizes of a glTF asset. `geometryBytes` is everything that is not an image (JSON, buffers, animation). */
export interface AssetSize {
  bytes: number;
  geometryBytes: number;
  textureBytes: number;
  /** Triangles drawn: each mesh's triangles once per node that uses it. */
  triangles: number;
}

/** One stage of the pipeline. */
export interface StageReport {
  stage: OptimizeStage;
  /**
   * Wall time. `validate-input` runs on a worker thread alongside the stages that follow it, and
   * `textures` alongside the geometry stages (`weld` to `geometry`), so their times overlap others.
   */
  ms: number;
  /**
   * Triangles after the stage (0 for `validate-input`, which does not see the document; for
   * `textures`, which never changes them, the count when it started).
   */
  triangles: number;
}

/** One re-encoded (or kept) texture. */
export interface TextureReport {
  index: number;
  name: string;
  slots: string[];
  colorSpace: 'srgb' | 'linear';
  /** Codec of the output image. */
  codec: TextureCodec | 'other';
  mimeBefore: string;
  mimeAfter: string;
  bytesBefore: number;
  bytesAfter: number;
  widthBefore: number;
  heightBefore: number;
  width: number;
  height: number;
  /**
   * PSNR in dB of the decoded output against the source (resampled to the output size), RGB
   * channels. `null` when the pixels are identical or quality was not measured.
   */
  psnr: number | null;
  /** The original image was kept because no re-encode was smaller (WebP) or the mode is `keep`. */
  kept: boolean;
  /** Header fields of the KTX2 output. */
  ktx2?: Ktx2Info;
  /** Milliseconds spent on it: the encode, then the PSNR measurement (not the wait between). */
  ms: number;
}

/** Triangles and simplification error of one mesh. */
export interface MeshReport {
  name: string;
  trianglesBefore: number;
  triangles: number;
  /** Largest simplification error of its primitives, as a fraction of the mesh extent; 0 if untouched. */
  error: number;
}

/** The triangle budget and what was reached. */
export interface BudgetReport {
  maxTriangles: number;
  trianglesBefore: number;
  /** Triangles actually reached. */
  triangles: number;
  met: boolean;
  /** The error bound used. */
  errorBound: number;
  /** Largest error reached, as a fraction of the mesh extent. */
  error: number;
}

/** One LOD level as produced: never a ratio that was not reached. */
export interface LodReport {
  /** 1 for the first reduced level (LOD0 is the main output). */
  level: number;
  requestedRatio: number;
  /** Triangles of this level divided by LOD0's. */
  achievedRatio: number;
  triangles: number;
  /** Largest simplification error, as a fraction of the mesh extent. */
  error: number;
  bytes: number;
  /** False when the simplifier stalled at the error bound before reaching fewer triangles than the previous level. */
  distinct: boolean;
  validation: ValidationCounts | null;
}

/** Validator counts by severity. */
export interface ValidationCounts {
  errors: number;
  warnings: number;
  infos: number;
  hints: number;
}

/** Validation of the input and the output, and what the output added. */
export interface ValidationReport {
  before: ValidationSummary | null;
  after: ValidationSummary | null;
  /** Error and warning codes whose count grew, with the counts before and after. */
  added: { code: string; severity: 'error' | 'warning'; before: number; after: number; message: string }[];
}

/** The report of one `optimize` call (JSON-serialisable). */
export interface OptimizeReport {
  name: string;
  preset: string | null;
  geometry: string;
  textures: string;
  before: AssetSize;
  after: AssetSize;
  /** Extensions the input declares (`extensionsUsed`), including optional ones the output had to drop (see `warnings`). */
  extensionsBefore: string[];
  /** Extensions the output uses. */
  extensionsAfter: string[];
  stages: StageReport[];
  meshes: MeshReport[];
  textureReports: TextureReport[];
  budget: BudgetReport | null;
  lods: LodReport[];
  validation: ValidationReport;
  warnings: string[];
  ms: number;
}
