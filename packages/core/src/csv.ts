import { parse } from 'csv-parse/sync';
import { formatPath, type ValidationIssue } from '@kiln/manifest';
import { CoreError } from './errors.js';
import { stableId, sha256Hex } from './keys.js';
import { AssetRequestSchema, type AssetRequest, type AssetRequestInput, type StyleLock } from './request.js';
import {
  buildNegativePrompt,
  compileTemplate,
  DEFAULT_PROMPT_TEMPLATE,
  mergeStyleLock,
  requestVariables,
  styleModifiers,
  type NegativePromptOptions,
  type PromptTemplate,
} from './template.js';

/** Columns that fill request fields; any other column is a template value. */
export const REQUEST_COLUMNS = [
  'project_id',
  'asset_type',
  'core_concept',
  'style',
  'details',
  'poly_count_budget',
  'platform',
  'rig_type',
  'reference_image_url',
  'name',
  'category',
  'variant',
  'seed',
] as const;

/** Request fields a batch needs, from a column or from `defaults`. */
const REQUIRED_FIELDS = ['project_id', 'asset_type', 'core_concept', 'style', 'platform'] as const;

/** Column values every row gets unless it has its own (same names as {@link REQUEST_COLUMNS}). */
export type BatchDefaults = Partial<Record<(typeof REQUEST_COLUMNS)[number], string | number>>;

/** Options of {@link parseCsvBatch}. */
export interface CsvBatchOptions {
  /** The CSV text or bytes (UTF-8, an optional BOM). RFC 4180: quoted fields may hold commas, quotes (`""`) and line breaks. */
  csv: string | Uint8Array;
  /** Prompt template; its variables are columns or request fields. Default {@link DEFAULT_PROMPT_TEMPLATE}. */
  template?: string | PromptTemplate;
  /** Values for rows that lack a column or leave it empty. */
  defaults?: BatchDefaults;
  /** Locked style appended to every prompt. */
  styleLock?: StyleLock;
  negative?: NegativePromptOptions;
  /** Largest number of rows accepted. Default 100000. */
  maxRows?: number;
}

/** Defaults of {@link CsvBatchOptions}. */
export const CSV_BATCH_DEFAULTS = { template: DEFAULT_PROMPT_TEMPLATE, maxRows: 100_000 } as const;

/** One row of a batch, ready to submit. */
export interface BatchItem {
  /** Data row number, 1-based (the header is row 0). */
  row: number;
  /** Line of the file where the row starts, 1-based. */
  line: number;
  request: AssetRequest;
  /** Template values of the row: every column, trimmed. */
  values: Readonly<Record<string, string>>;
  /** Rendered prompt (before any expander), with style modifiers. */
  prompt: string;
  /** The template's output alone: what a prompt expander gets. */
  basePrompt: string;
  /** Style modifiers appended after the (expanded) base prompt. */
  modifiers: readonly string[];
  negativePrompt: string;
}

/** A parsed CSV batch. */
export interface Batch {
  /** Stable id from the file's content, template and defaults: re-importing the same file gives the same id. */
  readonly id: string;
  readonly columns: readonly string[];
  readonly items: readonly BatchItem[];
  readonly template: PromptTemplate;
  /** The first `n` prompts (default 5), for a check before submitting. */
  preview(n?: number): { row: number; name: string | undefined; prompt: string; negativePrompt: string }[];
}

/**
 * Turns a CSV file and a prompt template into a batch of asset requests. The header is checked
 * first: every request field and template variable without a default needs a column or a value
 * in `defaults`. Then every row is validated; all problems are reported at once.
 *
 * @example
 * ```ts
 * const batch = parseCsvBatch({
 *   csv: 'name,core_concept,variant\narcher,archer unit,blue\n',
 *   template: '{core_concept}, {style} style, {details|game asset}',
 *   defaults: { project_id: 'td', asset_type: '2D_SPRITE', style: 'pixel art', platform: 'MOBILE' },
 * });
 * batch.preview(1); // [{ row: 1, name: 'archer', prompt: 'archer unit, pixel art style, game asset', … }]
 * ```
 * @throws {@link CoreError} `csv_invalid` (with the line), `csv_missing_columns` (naming them) or
 *   `csv_row_invalid` (naming row, line and column of each problem).
 */
export function parseCsvBatch(options: CsvBatchOptions): Batch {
  const template = typeof options.template === 'object' ? options.template : compileTemplate(options.template ?? CSV_BATCH_DEFAULTS.template);
  const maxRows = options.maxRows ?? CSV_BATCH_DEFAULTS.maxRows;
  const defaults = options.defaults ?? {};
  const text = typeof options.csv === 'string' ? options.csv : new TextDecoder('utf-8', { fatal: false }).decode(options.csv);

  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { bom: true, info: true, skip_empty_lines: true, relax_column_count: false }) as unknown as typeof records;
  } catch (error) {
    const e = error as { message?: string; lines?: number; code?: string };
    throw new CoreError('csv_invalid', `csv: ${e.message ?? String(error)}`, {
      cause: error,
      details: { code: e.code, line: e.lines },
    });
  }
  const header = records[0];
  if (!header) throw new CoreError('csv_invalid', 'csv: the file is empty; expected a header row and at least one data row');
  const columns = header.record.map((c) => c.trim().toLowerCase());
  const duplicate = columns.find((c, i) => columns.indexOf(c) !== i);
  if (duplicate !== undefined) throw new CoreError('csv_invalid', `csv: column "${duplicate}" appears twice in the header`, { details: { column: duplicate } });
  if (columns.some((c) => c === '')) throw new CoreError('csv_invalid', `csv: the header has an empty column name (column ${columns.indexOf('') + 1})`);

  const provided = new Set([...columns, ...Object.keys(defaults).filter((k) => defaults[k as keyof BatchDefaults] !== undefined)]);
  const missing = [...new Set([...REQUIRED_FIELDS, ...template.required])].filter((name) => !provided.has(name));
  if (missing.length > 0) {
    throw new CoreError(
      'csv_missing_columns',
      `csv: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (needed by ${describeNeed(missing, template)}); ` +
        `found ${columns.join(', ')}. Add the column or give it in defaults.`,
      { details: { missing, columns } },
    );
  }
  const rows = records.slice(1);
  if (rows.length === 0) throw new CoreError('csv_invalid', 'csv: the file has a header but no data rows');
  if (rows.length > maxRows) throw new CoreError('csv_invalid', `csv: ${rows.length} rows, more than maxRows ${maxRows}`);

  const issues: (ValidationIssue & { row: number; line: number; column?: string })[] = [];
  const items: BatchItem[] = [];
  rows.forEach(({ record, info }, index) => {
    const row = index + 1;
    const values: Record<string, string> = {};
    columns.forEach((column, i) => {
      values[column] = (record[i] ?? '').trim();
    });
    const field = (name: string): string | undefined => {
      const value = values[name];
      if (value !== undefined && value !== '') return value;
      const fallback = defaults[name as keyof BatchDefaults];
      return fallback === undefined ? undefined : String(fallback);
    };
    const input = requestInput(field);
    const parsed = AssetRequestSchema.safeParse(input);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const path = formatPath(issue.path);
        const column = path.split('.').pop() ?? path;
        issues.push({ row, line: info.lines, column, path, message: issue.message });
      }
      return;
    }
    const request = parsed.data;
    let prompt: string;
    try {
      prompt = template.render({ ...requestVariables(request), ...withDefaults(values, defaults) });
    } catch (error) {
      issues.push({ row, line: info.lines, path: '', message: error instanceof Error ? error.message : String(error) });
      return;
    }
    const modifiers = styleModifiers(mergeStyleLock(options.styleLock, request.style_lock));
    items.push({
      row,
      line: info.lines,
      request,
      values,
      prompt: modifiers.length > 0 ? `${prompt}, ${modifiers.join(', ')}` : prompt,
      basePrompt: prompt,
      modifiers,
      negativePrompt: buildNegativePrompt(request.asset_type, options.negative),
    });
  });
  if (issues.length > 0) {
    const shown = issues
      .slice(0, 20)
      .map((i) => `row ${i.row} (line ${i.line})${i.column ? `, column ${i.column}` : ''}: ${i.message}`)
      .join('; ');
    const more = issues.length > 20 ? `; and ${issues.length - 20} more` : '';
    throw new CoreError('csv_row_invalid', `csv: ${issues.length} invalid value${issues.length > 1 ? 's' : ''}: ${shown}${more}`, {
      details: { issues },
    });
  }

  const id = stableId('batch', { csv: sha256Hex(text), template: template.source, defaults, styleLock: options.styleLock, negative: options.negative });
  return {
    id,
    columns,
    items,
    template,
    preview(n = 5) {
      return items.slice(0, Math.max(0, n)).map((item) => ({
        row: item.row,
        name: item.request.name,
        prompt: item.prompt,
        negativePrompt: item.negativePrompt,
      }));
    },
  };
}

function withDefaults(values: Record<string, string>, defaults: BatchDefaults): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(defaults)) if (v !== undefined) out[k] = String(v);
  for (const [k, v] of Object.entries(values)) if (v !== '') out[k] = v;
  return out;
}

function describeNeed(missing: string[], template: PromptTemplate): string {
  const needs = missing.map((m) =>
    template.required.includes(m) && !(REQUIRED_FIELDS as readonly string[]).includes(m) ? `template {${m}}` : `asset request field ${m}`,
  );
  return needs.join(', ');
}

/** Builds the request input of a row, turning numeric columns into numbers. */
function requestInput(field: (name: string) => string | undefined): AssetRequestInput {
  const int = (name: string): number | string | undefined => {
    const value = field(name);
    if (value === undefined) return undefined;
    return /^-?\d+$/.test(value) ? Number(value) : value;
  };
  const input: Record<string, unknown> = {
    project_id: field('project_id'),
    asset_type: field('asset_type')?.toUpperCase(),
    prompt: { core_concept: field('core_concept'), style: field('style'), details: field('details') },
    constraints: {
      poly_count_budget: int('poly_count_budget'),
      platform: field('platform')?.toUpperCase(),
      rig_type: field('rig_type')?.toUpperCase(),
    },
    reference_image_url: field('reference_image_url'),
    name: field('name'),
    category: field('category'),
    variant: field('variant'),
    seed: int('seed'),
  };
  return dropUndefined(input) as AssetRequestInput;
}

function dropUndefined(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    out[k] = v !== null && typeof v === 'object' && !Array.isArray(v) ? dropUndefined(v as Record<string, unknown>) : v;
  }
  return out;
}
