// A small JSON Schema (draft 2020-12) checker covering exactly the keywords that
// schema/manifest.schema.json uses; `SUPPORTED_KEYWORDS` lets a test fail when the generated
// schema starts using another keyword, rather than silently ignoring it.

type Schema = Record<string, unknown>;

/** Keywords this checker evaluates or deliberately ignores (annotations, `format`). */
export const SUPPORTED_KEYWORDS = new Set([
  '$schema',
  '$defs',
  '$ref',
  'title',
  'description',
  'format',
  'type',
  'properties',
  'required',
  'additionalProperties',
  'propertyNames',
  'items',
  'enum',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'anyOf',
  'oneOf',
]);

/** Every keyword used anywhere in `schema` (property names under `properties`/`$defs` excluded). */
export function keywordsOf(schema: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(schema)) {
    for (const item of schema) keywordsOf(item, found);
    return found;
  }
  if (typeof schema !== 'object' || schema === null) return found;
  for (const [key, value] of Object.entries(schema)) {
    found.add(key);
    if (key === 'properties' || key === '$defs') {
      for (const sub of Object.values(value as Schema)) keywordsOf(sub, found);
    } else if (key === 'enum' || key === 'required') {
      continue;
    } else {
      keywordsOf(value, found);
    }
  }
  return found;
}

/** Errors (`path: problem`) of `value` against `schema`; empty when valid. */
export function checkJsonSchema(root: Schema, value: unknown): string[] {
  const errors: string[] = [];
  check(root, root, value, '', errors);
  return errors;
}

function check(root: Schema, schema: Schema, value: unknown, path: string, errors: string[]): void {
  const fail = (message: string) => errors.push(`${path || '(root)'}: ${message}`);
  if (typeof schema['$ref'] === 'string') {
    const name = schema['$ref'].replace('#/$defs/', '');
    const target = (root['$defs'] as Record<string, Schema>)[name];
    if (!target) throw new Error(`unknown $ref ${schema['$ref']}`);
    check(root, target, value, path, errors);
  }
  if (schema['type'] !== undefined && !hasType(value, schema['type'] as string)) {
    fail(`expected ${String(schema['type'])}`);
    return;
  }
  if (Array.isArray(schema['enum']) && !schema['enum'].includes(value)) fail('not in enum');
  if (typeof value === 'string') {
    const length = [...value].length;
    if (typeof schema['minLength'] === 'number' && length < schema['minLength']) fail('too short');
    if (typeof schema['maxLength'] === 'number' && length > schema['maxLength']) fail('too long');
    if (typeof schema['pattern'] === 'string' && !new RegExp(schema['pattern'], 'u').test(value)) fail('pattern');
  }
  if (typeof value === 'number') {
    if (typeof schema['minimum'] === 'number' && value < schema['minimum']) fail('below minimum');
    if (typeof schema['maximum'] === 'number' && value > schema['maximum']) fail('above maximum');
    if (typeof schema['exclusiveMinimum'] === 'number' && value <= schema['exclusiveMinimum']) fail('not above exclusiveMinimum');
  }
  if (Array.isArray(value) && schema['items'] !== undefined) {
    value.forEach((item, index) => check(root, schema['items'] as Schema, item, join(path, index), errors));
  }
  if (isObject(value)) {
    const properties = (schema['properties'] ?? {}) as Record<string, Schema>;
    for (const name of (schema['required'] ?? []) as string[]) {
      if (!(name in value)) fail(`missing required ${name}`);
    }
    for (const [name, item] of Object.entries(value)) {
      if (schema['propertyNames'] !== undefined) check(root, schema['propertyNames'] as Schema, name, join(path, name), errors);
      const sub = properties[name];
      if (sub) check(root, sub, item, join(path, name), errors);
      else if (schema['additionalProperties'] === false) fail(`unexpected ${name}`);
      else if (isObject(schema['additionalProperties'])) check(root, schema['additionalProperties'], item, join(path, name), errors);
    }
  }
  if (Array.isArray(schema['anyOf'])) {
    const ok = schema['anyOf'].some((sub: Schema) => checkJsonSchemaAt(root, sub, value).length === 0);
    if (!ok) fail('matches no anyOf branch');
  }
  if (Array.isArray(schema['oneOf'])) {
    const matches = schema['oneOf'].filter((sub: Schema) => checkJsonSchemaAt(root, sub, value).length === 0).length;
    if (matches !== 1) fail(`matches ${matches} oneOf branches`);
  }
}

function checkJsonSchemaAt(root: Schema, schema: Schema, value: unknown): string[] {
  const errors: string[] = [];
  check(root, schema, value, '', errors);
  return errors;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    default:
      throw new Error(`unsupported type ${type}`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function join(path: string, part: string | number): string {
  return path ? `${path}.${part}` : String(part);
}
