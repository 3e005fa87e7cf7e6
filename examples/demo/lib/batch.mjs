// Stage 1: the batch. A CSV of a small strategy game's props, units and buildings, a prompt
// template, and a locked style that every prompt carries.
import { readFile } from 'node:fs/promises';
import { parseCsvBatch } from '@kiln/core';

/** The prompt template: `{column}` or `{column|default}`; every CSV column is a variable. */
export const PROMPT_TEMPLATE = '{core_concept}, {details|game asset}, {style} style, isometric strategy game asset';

/** Values every row gets unless its CSV row has its own. */
export const BATCH_DEFAULTS = { project_id: 'demo', style: 'low poly', platform: 'PC' };

/** The locked style: appended to every prompt, whatever the template or an expander does. */
export const STYLE_LOCK = { colors: ['#3A6EA5', '#C8A04B', '#7A8B5C'], lighting: 'soft daylight', camera: 'three-quarter view' };

/** Reads and validates the CSV; throws @kiln/core's CoreError (csv_missing_columns, csv_row_invalid, …). */
export async function readBatch(path) {
  const csv = await readFile(path);
  return parseCsvBatch({ csv, template: PROMPT_TEMPLATE, defaults: BATCH_DEFAULTS, styleLock: STYLE_LOCK });
}

/** The manifest id of a row's asset: `category_name_variant`, as @kiln/core names its files. */
export function assetId(item) {
  const { category, name, variant } = item.request;
  return `${category}_${name}_${variant}`;
}
