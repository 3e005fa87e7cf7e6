import type { ValidationCounts, ValidationReport } from './report.js';

/** One validator message. */
export interface ValidationIssue {
  code: string;
  severity: 'error' | 'warning' | 'info' | 'hint';
  message: string;
  pointer?: string;
}

/** The Khronos glTF Validator's verdict on one asset. */
export interface ValidationSummary extends ValidationCounts {
  /** Count of each issue code, with its severity. */
  codes: Record<string, { severity: ValidationIssue['severity']; count: number }>;
  /** The first messages (at most {@link VALIDATION_MAX_MESSAGES}). */
  messages: ValidationIssue[];
  /**
   * Messages left out of the counts because they come from a gap in the validator, not from
   * the asset: it does not know KHR_texture_basisu, so every KTX2 image gets
   * `VALUE_NOT_IN_LIST` (mimeType) and `IMAGE_UNRECOGNIZED_FORMAT`.
   */
  ignored: { code: string; pointer: string; reason: string }[];
}

/** The part of gltf-validator's API used here (the package ships no types). */
interface GltfValidator {
  validateBytes(
    data: Uint8Array,
    options: { uri: string; maxIssues: number; writeTimestamp: boolean; externalResourceFunction: (uri: string) => Promise<Uint8Array> },
  ): Promise<{
    issues: { numErrors: number; numWarnings: number; numInfos: number; numHints: number; messages: { code: string; message: string; severity: number; pointer?: string }[] };
  }>;
}
const VALIDATOR: string = 'gltf-validator';

/** Messages kept in a {@link ValidationSummary}. */
export const VALIDATION_MAX_MESSAGES = 50;

const SEVERITY = ['error', 'warning', 'info', 'hint'] as const;

/** Options of {@link validateGltf}. */
export interface ValidateGltfOptions {
  /** External resources of a `.gltf`, keyed by URI. */
  resources?: Record<string, Uint8Array>;
  /** Name for the report. */
  uri?: string;
}

/** The messages of one gltf-validator run, as `validateBytes` reports them. @internal */
export type ValidatorMessages = { code: string; message: string; severity: number; pointer?: string }[];

/** @internal Runs gltf-validator on this thread (see `validator-thread.ts` for the worker). */
export async function runValidator(bytes: Uint8Array, options: ValidateGltfOptions = {}): Promise<ValidatorMessages> {
  const validator = (await import(VALIDATOR as 'gltf-validator')) as GltfValidator;
  const resources = options.resources ?? {};
  // The same call as validate-worker.mjs makes (plain JavaScript, so it cannot import this file).
  const report = await validator.validateBytes(bytes, {
    uri: options.uri ?? 'asset',
    maxIssues: 0,
    writeTimestamp: false,
    externalResourceFunction: async (uri: string) => {
      const data = resources[uri] ?? resources[decodeURIComponent(uri)];
      if (!data) throw new Error(`missing resource ${uri}`);
      return data;
    },
  });
  return report.issues.messages;
}

/**
 * Runs the Khronos glTF Validator (npm `gltf-validator`) on GLB or glTF JSON bytes. The validator
 * does not decode EXT_meshopt_compression, KHR_draco_mesh_compression or KTX2 images: it reports
 * them as unsupported (information), and cannot check the accessors they hold.
 */
export async function validateGltf(bytes: Uint8Array, options: ValidateGltfOptions = {}): Promise<ValidationSummary> {
  return summarizeValidation(bytes, await runValidator(bytes, options));
}

/** @internal Counts and files one run's messages, leaving out the validator's KTX2 blind spot. */
export function summarizeValidation(bytes: Uint8Array, reported: ValidatorMessages): ValidationSummary {
  const ktx2 = ktx2ImageIndices(bytes);
  const codes: ValidationSummary['codes'] = {};
  const messages: ValidationIssue[] = [];
  const ignored: ValidationSummary['ignored'] = [];
  const counts = { errors: 0, warnings: 0, infos: 0, hints: 0 };
  for (const m of reported) {
    const image = /^\/images\/(\d+)(\/mimeType)?$/.exec(m.pointer ?? '');
    if (image && ktx2.has(Number(image[1])) && (m.code === 'IMAGE_UNRECOGNIZED_FORMAT' || (m.code === 'VALUE_NOT_IN_LIST' && image[2]))) {
      ignored.push({ code: m.code, pointer: m.pointer ?? '', reason: 'KTX2 image (KHR_texture_basisu is not supported by the validator)' });
      continue;
    }
    const severity = SEVERITY[m.severity] ?? 'info';
    counts[severity === 'error' ? 'errors' : severity === 'warning' ? 'warnings' : severity === 'info' ? 'infos' : 'hints']++;
    const entry = (codes[m.code] ??= { severity, count: 0 });
    entry.count++;
    if (messages.length < VALIDATION_MAX_MESSAGES) messages.push({ code: m.code, severity, message: m.message, ...(m.pointer ? { pointer: m.pointer } : {}) });
  }
  return { ...counts, codes, messages, ignored };
}

/** Indices of the images whose mimeType is image/ktx2, from GLB or glTF JSON bytes. */
function ktx2ImageIndices(bytes: Uint8Array): Set<number> {
  const indices = new Set<number>();
  try {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const isGlb = bytes.byteLength >= 20 && view.getUint32(0, true) === 0x46546c67;
    const text = new TextDecoder().decode(isGlb ? bytes.subarray(20, 20 + view.getUint32(12, true)) : bytes);
    const json = JSON.parse(text) as { images?: { mimeType?: string }[] };
    json.images?.forEach((image, index) => {
      if (image.mimeType === 'image/ktx2') indices.add(index);
    });
  } catch {
    // not parseable: the validator reports it
  }
  return indices;
}

/** Error and warning codes whose count grew from `before` to `after`. */
export function addedIssues(before: ValidationSummary | null, after: ValidationSummary): ValidationReport['added'] {
  const added: ValidationReport['added'] = [];
  for (const [code, { severity, count }] of Object.entries(after.codes)) {
    if (severity !== 'error' && severity !== 'warning') continue;
    const was = before?.codes[code]?.count ?? 0;
    if (count > was) {
      const message = after.messages.find((m) => m.code === code)?.message ?? '';
      added.push({ code, severity, before: was, after: count, message });
    }
  }
  return added;
}
