/**
 * The declarative description of a task API (create → poll/stream/webhook → download), as data.
 * Presets for Meshy-like and Tripo-like APIs are values of {@link HttpTaskApi}.
 */
import { z } from 'zod';
import { parseInput } from '@kiln/manifest';
import { checkTemplate, type JsonTemplate } from './template.js';
import { invalidOption } from '../../errors.js';

/**
 * What a vendor state string means:
 * - `queued`, `running`, `succeeded`, `failed`, `canceled`: as {@link RemoteStatus}.
 * - `banned`: refused by moderation; `failed` with an `input_invalid` error (never retried).
 * - `expired`: the task or its results expired; `expired` with a `transient` error (a new attempt
 *   regenerates).
 * - `indeterminate`: the vendor does not know yet (Tripo's `unknown`): keep the last state, poll again.
 */
export type TaskStateMapping =
  | 'queued'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'canceled'
  | 'banned'
  | 'expired'
  | 'indeterminate';

const JsonTemplateSchema: z.ZodType<JsonTemplate> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(JsonTemplateSchema), z.record(z.string(), JsonTemplateSchema)]),
);

const PathSchema = z.string().regex(/^[^\s.][^\s]*$/, 'must be a dotted path such as data.task_id');
const UrlPathSchema = z.string().startsWith('/', 'must start with "/"');
const StateMappingSchema = z.enum(['queued', 'running', 'succeeded', 'failed', 'canceled', 'banned', 'expired', 'indeterminate']);

/** How 429 answers are told apart; see {@link RateLimitRules}. */
const RateLimitSchema = z.object({
  codePath: PathSchema.optional(),
  concurrency: z.array(z.string().min(1)).optional(),
  requests: z.array(z.string().min(1)).optional(),
  defaultRetryAfterMs: z.number().int().nonnegative().optional(),
});

/** An HTTP header carrying the credential, such as `Authorization: Bearer <token>`. */
const AuthSchema = z.object({
  header: z.string().min(1),
  /** Written before the token, with a space: `Bearer`, `Token`. None when absent. */
  scheme: z.string().min(1).optional(),
});

export const HttpTaskApiSchema = z.object({
  /** Short name used in messages and logs, such as `meshy`. */
  name: z.string().min(1),
  /** Default base URL; the backend's `baseUrl` option overrides it (a proxy, the test server). */
  baseUrl: z.url().optional(),
  auth: AuthSchema.optional(),
  create: z.object({
    method: z.enum(['POST', 'PUT']).default('POST'),
    path: UrlPathSchema,
    /** JSON body template. */
    body: JsonTemplateSchema.optional(),
    /** Dotted path of the task id in the answer (`result`, `data.task_id`). */
    taskIdPath: PathSchema,
    /** Header that carries the attempt id, such as `Idempotency-Key`. None when absent. */
    idempotencyHeader: z.string().min(1).optional(),
    /** The vendor really deduplicates creates by that header (none documents it today). */
    idempotent: z.boolean().default(false),
  }),
  /** Uploads inputs referenced as `{{inputs.<name>.token}}` as multipart and reads back a token. */
  upload: z
    .object({
      path: UrlPathSchema,
      field: z.string().min(1).default('file'),
      tokenPath: PathSchema,
    })
    .optional(),
  status: z.object({
    method: z.enum(['GET', 'POST']).default('GET'),
    /** `{id}` is replaced by the task id. */
    path: UrlPathSchema,
    body: JsonTemplateSchema.optional(),
    /** Dotted path of the task object inside the answer (`data`); the whole answer when absent. */
    taskPath: z.string().default(''),
    /** Relative to the task object. */
    statePath: PathSchema,
    states: z.record(z.string(), StateMappingSchema),
    progressPath: PathSchema.optional(),
    /** Value of `progressPath` at completion: 100 for percentages, 1 for fractions. */
    progressScale: z.number().positive().default(100),
    etaPath: PathSchema.optional(),
    /** Milliseconds per unit of `etaPath`: 1000 for seconds. */
    etaScale: z.number().positive().default(1000),
    /** Tasks ahead in the vendor's queue while queued (Tripo `queuing_num`). */
    queuePositionPath: PathSchema.optional(),
    errorPath: PathSchema.optional(),
    /** `404` on status means the vendor forgot the task (→ `unknown`). */
    notFoundIsUnknown: z.boolean().default(true),
  }),
  outputs: z.object({
    /** Output files, relative to the task object; at least one must be present on success. */
    files: z
      .array(
        z.object({
          path: PathSchema,
          filename: z.string().min(1),
          contentType: z.string().min(1).optional(),
          optional: z.boolean().default(false),
        }),
      )
      .min(1),
    /** When the URLs stop working (epoch ms or seconds, or an ISO date), relative to the task. */
    expiresAtPath: PathSchema.optional(),
    /** Send the credential when downloading (no for presigned storage URLs). */
    sendAuth: z.boolean().default(false),
  }),
  rateLimits: RateLimitSchema.optional(),
  cancel: z.object({ method: z.enum(['POST', 'DELETE']), path: UrlPathSchema }).optional(),
  /** Server-sent events with the task object as each event's `data`. */
  stream: z.object({ path: UrlPathSchema, taskPath: z.string().default('') }).optional(),
  /** The task object inside a webhook delivery. */
  webhook: z.object({ taskPath: z.string().default(''), taskIdPath: PathSchema }).optional(),
});

/** The declarative description of a task API; see {@link HttpTaskApiSchema} for each field. */
export type HttpTaskApi = z.input<typeof HttpTaskApiSchema>;
/** An API description with its defaults filled in (what `parseHttpTaskApi` returns). */
export type ResolvedHttpTaskApi = z.output<typeof HttpTaskApiSchema>;

/** Validates an API description eagerly (schema, placeholders, state table). */
export function parseHttpTaskApi(api: unknown, prefix: string): ResolvedHttpTaskApi {
  const parsed = parseInput(HttpTaskApiSchema, api, prefix);
  checkTemplate(prefix, 'api.create.body', parsed.create.body);
  checkTemplate(prefix, 'api.status.body', parsed.status.body);
  const targets = new Set(Object.values(parsed.status.states));
  if (!targets.has('succeeded')) {
    throw invalidOption(`${prefix}: api.status.states maps no vendor state to "succeeded"`);
  }
  return parsed;
}
