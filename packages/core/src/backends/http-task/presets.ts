/**
 * Presets for image-to-3D task APIs, as data. Field names follow the vendors' public docs (see
 * the notes in `shared/notes/jobs-and-backends.md` §3); check them against your account's API
 * version. Override any part by spreading: `{ ...MESHY_IMAGE_TO_3D, baseUrl: proxy }`.
 */
import type { HttpTaskApi } from './api.js';

/**
 * Meshy image-to-3D (`POST /openapi/v1/image-to-3d` → `{ result: id }`; states PENDING,
 * IN_PROGRESS, SUCCEEDED, FAILED, CANCELED; `progress` 0-100; `model_urls` that expire;
 * `429 RateLimitExceeded` vs `NoMoreConcurrentTasks`; SSE at `…/{id}/stream`).
 *
 * Request params: `topology`, `targetPolycount`, `shouldRemesh`, `shouldTexture`, `enablePbr`,
 * `texturePrompt`; `model` becomes `ai_model`; input `image` is sent as its URL, or as a data URI.
 * Meshy signs webhooks in no documented way: give the receiver the secret and header your account
 * uses, or rely on polling and the stream.
 */
export const MESHY_IMAGE_TO_3D: HttpTaskApi = {
  name: 'meshy',
  baseUrl: 'https://api.meshy.ai',
  auth: { header: 'Authorization', scheme: 'Bearer' },
  create: {
    path: '/openapi/v1/image-to-3d',
    body: {
      image_url: '{{inputs.image.urlOrDataUri!}}',
      ai_model: '{{model}}',
      topology: '{{params.topology}}',
      target_polycount: '{{params.targetPolycount}}',
      should_remesh: '{{params.shouldRemesh}}',
      should_texture: '{{params.shouldTexture}}',
      enable_pbr: '{{params.enablePbr}}',
      texture_prompt: '{{params.texturePrompt}}',
    },
    taskIdPath: 'result',
  },
  status: {
    path: '/openapi/v1/image-to-3d/{id}',
    statePath: 'status',
    states: {
      PENDING: 'queued',
      IN_PROGRESS: 'running',
      SUCCEEDED: 'succeeded',
      FAILED: 'failed',
      CANCELED: 'canceled',
    },
    progressPath: 'progress',
    progressScale: 100,
    errorPath: 'task_error.message',
  },
  outputs: {
    files: [
      { path: 'model_urls.glb', filename: 'model.glb', contentType: 'model/gltf-binary' },
      { path: 'thumbnail_url', filename: 'thumbnail.png', contentType: 'image/png', optional: true },
    ],
    expiresAtPath: 'expires_at',
  },
  rateLimits: { concurrency: ['NoMoreConcurrentTasks'], requests: ['RateLimitExceeded'] },
  stream: { path: '/openapi/v1/image-to-3d/{id}/stream' },
  webhook: { taskIdPath: 'id' },
};

/**
 * Tripo v2 image-to-model (`POST /v2/openapi/task {type: "image_to_model"}` → `data.task_id`;
 * states queued, running, success, failed, cancelled, unknown, banned, expired; `progress`
 * 0-100; `running_left_time` in seconds; outputs under `data.output`). Images are uploaded first
 * (`POST /v2/openapi/upload` → `data.image_token`). No push: Kiln polls.
 *
 * Request params: `faceLimit`, `texture`, `pbr`, `textureQuality`; `model` becomes
 * `model_version`. Tripo does not document its 429 bodies: every 429 counts as request rate unless
 * its body says otherwise; adjust `rateLimits` to what your account returns.
 */
export const TRIPO_IMAGE_TO_MODEL: HttpTaskApi = {
  name: 'tripo',
  baseUrl: 'https://api.tripo3d.ai',
  auth: { header: 'Authorization', scheme: 'Bearer' },
  upload: { path: '/v2/openapi/upload', field: 'file', tokenPath: 'data.image_token' },
  create: {
    path: '/v2/openapi/task',
    body: {
      type: 'image_to_model',
      file: { type: '{{inputs.image.ext}}', file_token: '{{inputs.image.token!}}' },
      model_version: '{{model}}',
      face_limit: '{{params.faceLimit}}',
      texture: '{{params.texture}}',
      pbr: '{{params.pbr}}',
      texture_quality: '{{params.textureQuality}}',
    },
    taskIdPath: 'data.task_id',
  },
  status: {
    path: '/v2/openapi/task/{id}',
    taskPath: 'data',
    statePath: 'status',
    states: {
      queued: 'queued',
      running: 'running',
      success: 'succeeded',
      failed: 'failed',
      cancelled: 'canceled',
      unknown: 'indeterminate',
      banned: 'banned',
      expired: 'expired',
    },
    progressPath: 'progress',
    progressScale: 100,
    etaPath: 'running_left_time',
    etaScale: 1000,
    queuePositionPath: 'queuing_num',
    errorPath: 'error_msg',
  },
  outputs: {
    files: [
      { path: 'output.pbr_model', filename: 'model.glb', contentType: 'model/gltf-binary', optional: true },
      { path: 'output.model', filename: 'model.glb', contentType: 'model/gltf-binary', optional: true },
      { path: 'output.base_model', filename: 'base_model.glb', contentType: 'model/gltf-binary', optional: true },
      { path: 'output.rendered_image', filename: 'preview.webp', contentType: 'image/webp', optional: true },
    ],
  },
  rateLimits: { codePath: 'code', concurrency: [], requests: [] },
};
