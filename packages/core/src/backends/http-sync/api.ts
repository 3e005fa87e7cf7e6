/** The declarative description of a synchronous HTTP API (one request returns the file), as data. */
import { z } from 'zod';
import { parseInput } from '@kiln/manifest';
import { checkTemplate, type JsonTemplate } from '../http-task/template.js';
import { invalidOption } from '../../errors.js';

const JsonTemplateSchema: z.ZodType<JsonTemplate> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(JsonTemplateSchema), z.record(z.string(), JsonTemplateSchema)]),
);

export const HttpSyncApiSchema = z.object({
  /** Short name used in messages and logs, such as `sf3d`. */
  name: z.string().min(1),
  baseUrl: z.url().optional(),
  auth: z.object({ header: z.string().min(1), scheme: z.string().min(1).optional() }).optional(),
  request: z.object({
    method: z.enum(['POST', 'PUT']).default('POST'),
    path: z.string().startsWith('/', 'must start with "/"'),
    /**
     * `multipart`: each field is a template string; `{{inputs.<name>}}` alone sends that input as a
     * file part. `json`: `body` is a JSON template.
     */
    encoding: z.enum(['multipart', 'json']).default('multipart'),
    fields: z.record(z.string(), z.string()).optional(),
    body: JsonTemplateSchema.optional(),
    /** Header carrying the attempt id, such as `Idempotency-Key`. */
    idempotencyHeader: z.string().min(1).optional(),
    /** The API deduplicates by that header. */
    idempotent: z.boolean().default(false),
    /** `Accept` header, such as `model/gltf-binary`. */
    accept: z.string().min(1).default('*/*'),
  }),
  output: z.object({
    /** File name of the result; may use placeholders (`{{attemptId}}.glb`). */
    filename: z.string().min(1),
    /** Content type; default: the response's, else from the file name. */
    contentType: z.string().min(1).optional(),
  }),
  rateLimits: z
    .object({
      codePath: z.string().optional(),
      concurrency: z.array(z.string().min(1)).optional(),
      requests: z.array(z.string().min(1)).optional(),
      defaultRetryAfterMs: z.number().int().nonnegative().optional(),
    })
    .optional(),
});

/** A synchronous HTTP API; see {@link HttpSyncApiSchema} for each field. */
export type HttpSyncApi = z.input<typeof HttpSyncApiSchema>;
/** A synchronous HTTP API with its defaults filled in (what `parseHttpSyncApi` returns). */
export type ResolvedHttpSyncApi = z.output<typeof HttpSyncApiSchema>;

/** Validates an API description eagerly. */
export function parseHttpSyncApi(api: unknown, prefix: string): ResolvedHttpSyncApi {
  const parsed = parseInput(HttpSyncApiSchema, api, prefix);
  if (parsed.request.encoding === 'json' && parsed.request.fields) {
    throw invalidOption(`${prefix}: api.request.fields is for multipart; a json request uses api.request.body`);
  }
  checkTemplate(prefix, 'api.request.body', parsed.request.body);
  for (const [field, template] of Object.entries(parsed.request.fields ?? {})) {
    checkTemplate(prefix, `api.request.fields.${field}`, template);
  }
  checkTemplate(prefix, 'api.output.filename', parsed.output.filename);
  return parsed;
}

/**
 * Stability AI Stable Fast 3D (`POST /v2beta/3d/stable-fast-3d`, multipart `image`,
 * `texture_resolution` 512/1024/2048, `foreground_ratio` 0.1-1, `remesh` none/triangle/quad) →
 * a GLB in the answer. 150 requests per 10 s, then 429 for 60 s.
 *
 * Request params: `textureResolution`, `foregroundRatio`, `remesh`, `vertexCount`.
 */
export const STABILITY_SF3D: HttpSyncApi = {
  name: 'sf3d',
  baseUrl: 'https://api.stability.ai',
  auth: { header: 'Authorization', scheme: 'Bearer' },
  request: {
    path: '/v2beta/3d/stable-fast-3d',
    encoding: 'multipart',
    fields: {
      image: '{{inputs.image!}}',
      texture_resolution: '{{params.textureResolution}}',
      foreground_ratio: '{{params.foregroundRatio}}',
      remesh: '{{params.remesh}}',
      vertex_count: '{{params.vertexCount}}',
    },
    accept: 'model/gltf-binary',
  },
  output: { filename: 'model.glb', contentType: 'model/gltf-binary' },
  rateLimits: { defaultRetryAfterMs: 60_000 },
};
