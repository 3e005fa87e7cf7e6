export { httpTaskBackend, HTTP_TASK_DEFAULTS } from './backend.js';
export type { HttpTaskBackend, HttpTaskBackendOptions, WebhookIngestResult } from './backend.js';
export { HttpTaskApiSchema, parseHttpTaskApi } from './api.js';
export type { HttpTaskApi, ResolvedHttpTaskApi, TaskStateMapping } from './api.js';
export { MESHY_IMAGE_TO_3D, TRIPO_IMAGE_TO_MODEL } from './presets.js';
export { createWebhookReceiver, WEBHOOK_RECEIVER_DEFAULTS } from './webhook.js';
export type { WebhookAnswer, WebhookDelivery, WebhookReceiver, WebhookReceiverOptions } from './webhook.js';
export { TEMPLATE_ROOTS } from './template.js';
export type { JsonTemplate } from './template.js';
export { parseRetryAfter, Redactor, SILENT_BACKEND_LOGGER } from './http.js';
export type { BackendLogger, FetchLike, RateLimitRules } from './http.js';
// Intentionally not exported: the request plumbing in http.ts, sse.ts and state.ts (shared by the
// three network backends, not a public API).
