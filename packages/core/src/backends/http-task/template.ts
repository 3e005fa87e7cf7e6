/**
 * Request templates for the declarative HTTP backends: plain JSON in which strings may hold
 * placeholders, so vendor presets stay data.
 *
 * - `"{{params.prompt}}"`, a whole string: replaced by the value with its type (a number stays a
 *   number); the property is left out when the value is missing.
 * - `"{{params.prompt!}}"`: required; a missing value is an `input_invalid` error naming it.
 * - `"{{params.resolution|1024}}"`: a default, read as JSON when it parses (`1024`, `true`) and as
 *   text otherwise.
 * - `"a {{params.style}} crate"`: interpolated into the text (missing values are empty).
 *
 * Roots: `params`, `model`, `inputs`, `attemptId`, `idempotencyKey`, `jobId`, `stepId`,
 * `operation`, `id` (the remote task id, in status and cancel requests).
 */
import { BackendError } from '../../backend.js';
import { getPath } from './http.js';
import { invalidOption } from '../../errors.js';

/** A JSON value that may hold `{{…}}` placeholders in its strings. */
export type JsonTemplate = string | number | boolean | null | readonly JsonTemplate[] | { readonly [key: string]: JsonTemplate };

/** The roots a placeholder may start with. */
export const TEMPLATE_ROOTS = [
  'params',
  'model',
  'inputs',
  'attemptId',
  'idempotencyKey',
  'jobId',
  'stepId',
  'operation',
  'id',
] as const;

const PLACEHOLDER = /\{\{\s*([^}|!]+?)\s*(!)?\s*(?:\|([^}]*))?\}\}/g;
const WHOLE = /^\{\{\s*([^}|!]+?)\s*(!)?\s*(?:\|([^}]*))?\}\}$/;

interface Placeholder {
  path: string;
  required: boolean;
  fallback: string | undefined;
}

function parseWhole(text: string): Placeholder | undefined {
  const match = WHOLE.exec(text);
  if (!match) return undefined;
  return { path: match[1] ?? '', required: match[2] === '!', fallback: match[3] };
}

function readFallback(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Every placeholder path in a template (for eager validation and to know which inputs to stage). */
export function templatePaths(template: JsonTemplate | undefined): string[] {
  const paths: string[] = [];
  const visit = (node: JsonTemplate | undefined): void => {
    if (typeof node === 'string') {
      for (const match of node.matchAll(PLACEHOLDER)) paths.push(match[1] ?? '');
    } else if (Array.isArray(node)) {
      for (const item of node) visit(item as JsonTemplate);
    } else if (node !== null && typeof node === 'object') {
      for (const value of Object.values(node)) visit(value as JsonTemplate);
    }
  };
  visit(template);
  return paths;
}

/** Throws a prefixed error for a placeholder whose root is not one of {@link TEMPLATE_ROOTS}. */
export function checkTemplate(name: string, where: string, template: JsonTemplate | undefined): void {
  for (const path of templatePaths(template)) {
    const root = path.split('.')[0] ?? '';
    if (!(TEMPLATE_ROOTS as readonly string[]).includes(root)) {
      throw invalidOption(
        `${name}: ${where}: unknown placeholder "{{${path}}}"; it must start with one of ${TEMPLATE_ROOTS.join(', ')}`,
      );
    }
  }
}

const OMIT = Symbol('omit');

/** Fills a template from `scope`. Missing required values throw `input_invalid`. */
export function renderTemplate(template: JsonTemplate, scope: Readonly<Record<string, unknown>>, name: string): unknown {
  const rendered = renderNode(template, scope, name);
  return rendered === OMIT ? undefined : rendered;
}

function renderNode(node: JsonTemplate, scope: Readonly<Record<string, unknown>>, name: string): unknown {
  if (typeof node === 'string') return renderString(node, scope, name);
  if (Array.isArray(node)) {
    return node.map((item) => renderNode(item as JsonTemplate, scope, name)).filter((item) => item !== OMIT);
  }
  if (node !== null && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      const rendered = renderNode(value as JsonTemplate, scope, name);
      if (rendered !== OMIT) out[key] = rendered;
    }
    return out;
  }
  return node;
}

function lookup(placeholder: Placeholder, scope: Readonly<Record<string, unknown>>, name: string): unknown {
  let value = getPath(scope, placeholder.path);
  if ((value === undefined || value === null) && placeholder.fallback !== undefined) {
    value = readFallback(placeholder.fallback);
  }
  if ((value === undefined || value === null) && placeholder.required) {
    throw new BackendError('input_invalid', `${name}: the request has no value for "${placeholder.path}", which the API requires`, {
      details: { missing: placeholder.path },
    });
  }
  return value;
}

function renderString(text: string, scope: Readonly<Record<string, unknown>>, name: string): unknown {
  const whole = parseWhole(text);
  if (whole) {
    const value = lookup(whole, scope, name);
    return value === undefined || value === null ? OMIT : value;
  }
  return text.replace(PLACEHOLDER, (_match, path: string, bang: string | undefined, fallback: string | undefined) => {
    const value = lookup({ path, required: bang === '!', fallback }, scope, name);
    return value === undefined || value === null ? '' : String(value);
  });
}

/** Fills the `{id}` of a path such as `/tasks/{id}`, URL-encoded. */
export function fillPath(path: string, id: string): string {
  return path.split('{id}').join(encodeURIComponent(id));
}
