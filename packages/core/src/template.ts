import { CoreError } from './errors.js';
import type { AssetRequest, StyleLock } from './request.js';

/** One variable of a template: `{name}` or `{name|default}`. */
export interface TemplateVariable {
  name: string;
  /** The text after `|`, when given (may be empty: `{details|}`). */
  default?: string;
}

/** A parsed prompt template; see {@link compileTemplate}. */
export interface PromptTemplate {
  readonly source: string;
  readonly variables: readonly TemplateVariable[];
  /** Names of the variables that have no default: a CSV batch needs a column for each. */
  readonly required: readonly string[];
  /**
   * Fills the template. Values are converted with `String()`; `undefined`, `null` and empty
   * strings take the default. Throws `template_unknown_variable` naming every variable without a
   * value or default.
   */
  render(values: Readonly<Record<string, unknown>>): string;
}

type Part = { text: string } | TemplateVariable;

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * Parses a prompt template. `{name}` is replaced by a value, `{name|default}` by the value or
 * the default; `{{` and `}}` stand for literal braces.
 *
 * @example
 * ```ts
 * const t = compileTemplate('{core_concept}, {style} style, {details|highly detailed}');
 * t.render({ core_concept: 'archer', style: 'pixel art' }); // 'archer, pixel art style, highly detailed'
 * ```
 * @throws {@link CoreError} `template_invalid` naming the position of an unclosed or empty `{}`.
 */
export function compileTemplate(source: string): PromptTemplate {
  if (typeof source !== 'string') throw new CoreError('template_invalid', 'compileTemplate: template must be a string');
  const parts: Part[] = [];
  let text = '';
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (ch === '{' && source[i + 1] === '{') {
      text += '{';
      i++;
    } else if (ch === '}' && source[i + 1] === '}') {
      text += '}';
      i++;
    } else if (ch === '}') {
      throw invalid(source, i, 'unmatched "}" (write "}}" for a literal brace)');
    } else if (ch === '{') {
      const end = source.indexOf('}', i + 1);
      if (end < 0) throw invalid(source, i, 'unclosed "{" (write "{{" for a literal brace)');
      const body = source.slice(i + 1, end);
      if (body.includes('{')) throw invalid(source, i, 'unclosed "{" (write "{{" for a literal brace)');
      const bar = body.indexOf('|');
      const name = (bar < 0 ? body : body.slice(0, bar)).trim();
      if (!NAME.test(name)) {
        throw invalid(source, i, `"{${body}}" is not a variable: names start with a letter or "_" and hold letters, digits, "_", "." or "-"`);
      }
      if (text) parts.push({ text });
      text = '';
      parts.push(bar < 0 ? { name } : { name, default: body.slice(bar + 1) });
      i = end;
    } else {
      text += ch;
    }
  }
  if (text) parts.push({ text });
  const variables = parts.filter((p): p is TemplateVariable => 'name' in p);
  const required = [...new Set(variables.filter((v) => v.default === undefined).map((v) => v.name))].filter(
    (name) => !variables.some((v) => v.name === name && v.default !== undefined),
  );
  return {
    source,
    variables,
    required,
    render(values) {
      const missing: string[] = [];
      let out = '';
      for (const part of parts) {
        if ('text' in part) {
          out += part.text;
          continue;
        }
        const value = values[part.name];
        const filled = value === undefined || value === null || value === '' ? undefined : String(value);
        if (filled !== undefined) out += filled;
        else if (part.default !== undefined) out += part.default;
        else missing.push(part.name);
      }
      if (missing.length > 0) {
        const unique = [...new Set(missing)];
        const known = Object.keys(values).filter((k) => values[k] !== undefined && values[k] !== null && values[k] !== '');
        throw new CoreError(
          'template_unknown_variable',
          `template: unknown variable${unique.length > 1 ? 's' : ''} ${unique.map((n) => `{${n}}`).join(', ')} in "${source}": ` +
            `no value and no default (give a value, or write {${unique[0]}|default}); known: ${known.sort().join(', ') || 'none'}`,
          { details: { variables: unique, known } },
        );
      }
      return tidy(out);
    },
  };
}

function invalid(source: string, index: number, problem: string): CoreError {
  return new CoreError('template_invalid', `template: ${problem} at position ${index} of "${source}"`, {
    details: { position: index },
  });
}

/** Collapses the empty comma-separated segments an empty default leaves (`a, , b,` → `a, b`). */
function tidy(prompt: string): string {
  return prompt
    .split(',')
    .map((segment) => segment.replace(/\s+/g, ' ').trim())
    .filter((segment) => segment.length > 0)
    .join(', ');
}

/** The template used when a request or batch gives none. */
export const DEFAULT_PROMPT_TEMPLATE = '{core_concept}, {style} style, {details|}';

/**
 * Terms the negative prompt always carries unless `negative.defaults` is `false`: the usual
 * diffusion failure modes, plus watermarks and text that game assets must not have.
 */
export const DEFAULT_NEGATIVE_TERMS: readonly string[] = [
  'blurry',
  'low quality',
  'lowres',
  'jpeg artifacts',
  'watermark',
  'signature',
  'text',
  'logo',
  'deformed',
  'bad anatomy',
  'extra limbs',
  'cropped',
  'out of frame',
];

/** Extra negative terms per request asset type. */
export const NEGATIVE_TERMS_BY_TYPE: Readonly<Record<AssetRequest['asset_type'], readonly string[]>> = {
  '3D_CHARACTER': ['multiple characters', 'busy background', 'perspective distortion'],
  '2D_SPRITE': ['busy background', 'drop shadow', 'gradient background'],
  BACKGROUND: ['characters', 'people'],
  PROP: ['multiple objects', 'busy background'],
};

/** Options of the negative prompt. */
export interface NegativePromptOptions {
  /** Include {@link DEFAULT_NEGATIVE_TERMS} and the asset type's terms. Default `true`. */
  defaults?: boolean;
  /** Terms added after the defaults. */
  extra?: readonly string[];
}

/** Builds a negative prompt: the defaults (unless disabled) and `extra`, without duplicates. */
export function buildNegativePrompt(assetType: AssetRequest['asset_type'] | undefined, options: NegativePromptOptions = {}): string {
  const terms = [
    ...(options.defaults === false ? [] : [...DEFAULT_NEGATIVE_TERMS, ...(assetType ? NEGATIVE_TERMS_BY_TYPE[assetType] : [])]),
    ...(options.extra ?? []),
  ];
  const seen = new Set<string>();
  return terms
    .map((term) => term.trim())
    .filter((term) => {
      const key = term.toLowerCase();
      if (!term || seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .join(', ');
}

/**
 * The style modifiers of locked style parameters, in a fixed order: colours
 * (`with colors #FF5733, #33FF57`), art style, lighting, camera, then free modifiers.
 */
export function styleModifiers(lock: StyleLock | undefined): string[] {
  if (!lock) return [];
  const out: string[] = [];
  if (lock.colors && lock.colors.length > 0) out.push(`with colors ${lock.colors.map((c) => c.toUpperCase()).join(', ')}`);
  if (lock.art_style) out.push(`in ${lock.art_style} style`);
  if (lock.lighting) out.push(`${lock.lighting} lighting`);
  if (lock.camera) out.push(lock.camera);
  out.push(...(lock.modifiers ?? []));
  return out;
}

/**
 * Rewrites a prompt before the style modifiers are appended, for example with an LLM the host
 * provides. It must resolve to a non-empty string; it may honour `signal`.
 */
export type PromptExpander = (input: {
  prompt: string;
  request: AssetRequest;
  signal?: AbortSignal;
}) => Promise<string> | string;

/** Options of {@link buildPrompt}. */
export interface BuildPromptOptions {
  /** A template source or a compiled template. Default {@link DEFAULT_PROMPT_TEMPLATE}. */
  template?: string | PromptTemplate;
  /** Values beyond the request's own (CSV columns). */
  values?: Readonly<Record<string, unknown>>;
  negative?: NegativePromptOptions;
  expander?: PromptExpander;
  /** Locked style applied on top of the request's `style_lock` (the request's colours win when both set them). */
  styleLock?: StyleLock;
  signal?: AbortSignal;
}

/** What {@link buildPrompt} returns. */
export interface BuiltPrompt {
  prompt: string;
  negativePrompt: string;
}

/** The variables a template can use for a request: its fields, flattened (`core_concept`, `platform`, …). */
export function requestVariables(request: AssetRequest): Record<string, unknown> {
  return {
    project_id: request.project_id,
    asset_type: request.asset_type,
    core_concept: request.prompt.core_concept,
    style: request.prompt.style,
    details: request.prompt.details,
    platform: request.constraints.platform,
    rig_type: request.constraints.rig_type,
    poly_count_budget: request.constraints.poly_count_budget,
    reference_image_url: request.reference_image_url,
    name: request.name,
    category: request.category,
    variant: request.variant,
  };
}

/**
 * Renders the prompt of a request: template, then the optional expander, then the locked style
 * modifiers; and its negative prompt.
 *
 * @example
 * ```ts
 * const { prompt } = await buildPrompt(request, { styleLock: { colors: ['#FF5733', '#33FF57'] } });
 * // 'archer unit, pixel art style, blue cloak, with colors #FF5733, #33FF57'
 * ```
 */
export async function buildPrompt(request: AssetRequest, options: BuildPromptOptions = {}): Promise<BuiltPrompt> {
  const template =
    typeof options.template === 'object' ? options.template : compileTemplate(options.template ?? DEFAULT_PROMPT_TEMPLATE);
  let prompt = template.render({ ...requestVariables(request), ...options.values });
  if (options.expander) {
    const expanded = await options.expander({ prompt, request, ...(options.signal ? { signal: options.signal } : {}) });
    if (typeof expanded !== 'string' || expanded.trim() === '') {
      throw new CoreError('template_invalid', `buildPrompt: the prompt expander returned ${JSON.stringify(expanded)}, not a non-empty string`);
    }
    prompt = expanded.trim();
  }
  const lock = mergeStyleLock(options.styleLock, request.style_lock);
  const modifiers = styleModifiers(lock);
  return {
    prompt: modifiers.length > 0 ? `${prompt}, ${modifiers.join(', ')}` : prompt,
    negativePrompt: buildNegativePrompt(request.asset_type, options.negative),
  };
}

/** Merges two style locks; fields of `over` win. */
export function mergeStyleLock(base: StyleLock | undefined, over: StyleLock | undefined): StyleLock | undefined {
  if (!base) return over;
  if (!over) return base;
  const merged: StyleLock = { ...base };
  for (const [key, value] of Object.entries(over)) if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
  return merged;
}
