import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { GEOMETRY_CODECS, PRESET_NAMES, TEXTURE_MODES, type GeometryCodec, type PresetName, type TextureMode } from '@kiln/optimize';
import { UsageError } from '../../usage.js';

/** `kiln optimize --help`. */
export const OPTIMIZE_HELP = `Usage: kiln optimize <input…> [options]

Optimise .glb files, or .gltf files with their .bin and images, into self-contained GLBs.
Inputs are files, folders (every .glb/.gltf inside, processed in parallel) or globs.

Options:
  -o, --out <path>         Output .glb (one input) or folder. Default: <name>.opt.glb beside each input
  --preset <name>          mobile | pc | console | web (texture cap, texture codec, geometry codec)
  --geometry <codec>       meshopt | draco | none (default meshopt)
  --textures <mode>        webp | ktx2 | keep (default webp)
  --max-texture <px>       Largest texture side (default: the preset's, or no cap)
  --max-triangles <n>      Triangle budget: simplify until under it, or fail
  --budget-error <e>       How far --max-triangles may move the surface, as a fraction of the model's size (default 0.01)
  --allow-over-budget      Warn instead of failing when --max-triangles cannot be met
  --prune-attributes       Drop vertex attributes no material uses (such as UVs of untextured meshes)
  --flatten                Flatten the node hierarchy and drop empty nodes (sockets, groups), as gltf-transform does
  --lods <ratios>          LOD ratios, such as 0.5,0.25,0.1: writes <name>.lod1.glb, …
  --lod-error <e>          How far the LODs may move the surface, as a fraction of the model's size (default 0.05)
  --concurrency <n>        Files processed at once, and KTX2 worker threads (default: cores, at most 4)
  --validate <mode>        error | warn | off | strict: new validator issues fail, warn or are not checked;
                           strict also refuses an input with validator errors (default error)
  --no-psnr                Skip the per-texture PSNR (it decodes every re-encoded texture again)
  --json                   Print the reports as JSON on stdout (progress stays on stderr)
  --quiet                  No progress output
  --verbose                Debug log and stack traces on stderr
  -h, --help               This help

Exit codes: 0 ok, 1 a file failed (nothing is written for it), 2 bad usage.`;

/** Options of `kiln optimize` after parsing. */
export interface OptimizeCommandOptions {
  inputs: string[];
  out: string | null;
  preset: PresetName | null;
  geometry: GeometryCodec | null;
  textures: TextureMode | null;
  maxTexture: number | null;
  maxTriangles: number | null;
  /** Error bound of the budget's simplification (`--budget-error`); null = the library default. */
  budgetError: number | null;
  allowOverBudget: boolean;
  pruneAttributes: boolean;
  flatten: boolean;
  /** Measure PSNR of re-encoded textures (`--no-psnr` turns it off). */
  psnr: boolean;
  lods: number[];
  /** Error bound of LOD simplification (`--lod-error`); null = the library default. */
  lodError: number | null;
  concurrency: number;
  validate: 'error' | 'warn' | 'off' | 'strict';
  json: boolean;
  quiet: boolean;
  verbose: boolean;
  help: boolean;
}

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | null {
  if (value === undefined) return null;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got "${value}"`);
  return value as T;
}

function positiveInt(flag: string, value: string | undefined): number | null {
  if (value === undefined) return null;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`--${flag} must be a positive integer, got "${value}"`);
  return Number(value);
}

function fraction(flag: string, value: string | undefined): number | null {
  if (value === undefined) return null;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 1) throw new UsageError(`--${flag} must be a number in (0, 1], such as 0.02, got "${value}"`);
  return n;
}

function ratios(value: string | undefined): number[] {
  if (value === undefined) return [];
  const list = value.split(',').map((s) => s.trim());
  const numbers = list.map(Number);
  if (list.some((s) => s === '') || numbers.some((n) => !Number.isFinite(n) || n <= 0 || n >= 1)) {
    throw new UsageError(`--lods must be ratios between 0 and 1 separated by commas, such as 0.5,0.25,0.1, got "${value}"`);
  }
  if (numbers.some((n, i) => i > 0 && n >= (numbers[i - 1] as number))) throw new UsageError(`--lods must be strictly decreasing, got "${value}"`);
  return numbers;
}

/** Parses `kiln optimize` arguments; throws {@link UsageError} on bad usage. */
export function parseOptimizeArgs(argv: readonly string[]): OptimizeCommandOptions {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError(usageMessage((error as Error).message));
  }
  const v = parsed.values;
  const options: OptimizeCommandOptions = {
    inputs: parsed.positionals,
    out: v.out ?? null,
    preset: oneOf('preset', v.preset, PRESET_NAMES),
    geometry: oneOf('geometry', v.geometry, GEOMETRY_CODECS),
    textures: oneOf('textures', v.textures, TEXTURE_MODES),
    maxTexture: positiveInt('max-texture', v['max-texture']),
    maxTriangles: positiveInt('max-triangles', v['max-triangles']),
    budgetError: fraction('budget-error', v['budget-error']),
    allowOverBudget: v['allow-over-budget'] ?? false,
    pruneAttributes: v['prune-attributes'] ?? false,
    flatten: v['flatten'] ?? false,
    psnr: !(v['no-psnr'] ?? false),
    lods: ratios(v.lods),
    lodError: fraction('lod-error', v['lod-error']),
    concurrency: positiveInt('concurrency', v.concurrency) ?? Math.max(1, Math.min(4, availableParallelism())),
    validate: oneOf('validate', v.validate, ['error', 'warn', 'off', 'strict'] as const) ?? 'error',
    json: v.json ?? false,
    quiet: v.quiet ?? false,
    verbose: v.verbose ?? false,
    help: v.help ?? false,
  };
  if (options.maxTexture !== null && options.maxTexture < 4) throw new UsageError(`--max-texture must be at least 4, got ${options.maxTexture}`);
  if (!options.help && options.inputs.length === 0) throw new UsageError('no input: give .glb/.gltf files, folders or globs');
  return options;
}

/** node:util's parseArgs messages, shortened to one line. */
function usageMessage(message: string): string {
  const first = (message.split('\n')[0] ?? message).replace(/\.$/, '');
  const unknown = /^Unknown option '([^']+)'/.exec(first);
  if (unknown) return `unknown option ${unknown[1]}`;
  const option = /^Option '(-[^' ]+)[^']*'/.exec(first);
  if (option && /argument is ambiguous|argument missing/.test(first)) return `${option[1]} needs a value (write ${option[1]}=VALUE for a value starting with "-")`;
  return first;
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      out: { type: 'string', short: 'o' },
      preset: { type: 'string' },
      geometry: { type: 'string' },
      textures: { type: 'string' },
      'max-texture': { type: 'string' },
      'max-triangles': { type: 'string' },
      'budget-error': { type: 'string' },
      'allow-over-budget': { type: 'boolean' },
      'prune-attributes': { type: 'boolean' },
      flatten: { type: 'boolean' },
      'no-psnr': { type: 'boolean' },
      lods: { type: 'string' },
      'lod-error': { type: 'string' },
      concurrency: { type: 'string' },
      validate: { type: 'string' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
