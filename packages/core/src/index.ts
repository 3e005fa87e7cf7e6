/**
 * `@kiln/core`: the Kiln job client. Asset requests, CSV batches, DAG pipelines with review
 * checkpoints, reliable execution against the GPU backend the host brings, a durable store.
 *
 * @module @kiln/core
 */

export { CoreError, isCoreError } from './errors.js';
export type { CoreErrorCode } from './errors.js';
export { KilnError, KilnValidationError, isKilnError } from '@kiln/manifest';

export { silentLogger, childLogger } from './logger.js';
export type { Logger, LogFields } from './logger.js';

export {
  REQUEST_ASSET_TYPES,
  REQUEST_PLATFORMS,
  RIG_TYPES,
  ProjectIdSchema,
  HexColorSchema,
  StyleLockSchema,
  AssetRequestSchema,
  parseAssetRequest,
} from './request.js';
export type { RequestAssetType, StyleLock, AssetRequest, AssetRequestInput } from './request.js';

export {
  compileTemplate,
  DEFAULT_PROMPT_TEMPLATE,
  DEFAULT_NEGATIVE_TERMS,
  NEGATIVE_TERMS_BY_TYPE,
  buildNegativePrompt,
  styleModifiers,
  requestVariables,
  buildPrompt,
  mergeStyleLock,
} from './template.js';
export type {
  TemplateVariable,
  PromptTemplate,
  NegativePromptOptions,
  PromptExpander,
  BuildPromptOptions,
  BuiltPrompt,
} from './template.js';

export { REQUEST_COLUMNS, CSV_BATCH_DEFAULTS, parseCsvBatch } from './csv.js';
export type { BatchDefaults, CsvBatchOptions, BatchItem, Batch } from './csv.js';

export { CATEGORY_BY_ASSET_TYPE, ASSET_NAME_PATTERN, slugify, assetFileName, parseAssetFileName, isAssetFileName } from './naming.js';
export type { AssetNameParts } from './naming.js';

export { canonicalJson, sha256Hex, idempotencyKey, attemptId, deriveSeed, stableId } from './keys.js';
export type { IdempotencyKeyParts } from './keys.js';

export { PipelineSchema, validatePipeline, BUILTIN_CHAINS, RATED_OPERATIONS, builtinPipeline } from './pipeline.js';
export type { StepFallback, StepDefinition, ReviewTimeout, PipelineDefinition, BuiltinPipelineName, BuiltinPipelineOptions } from './pipeline.js';

export {
  STEP_STATES,
  STEP_TRANSITIONS,
  TERMINAL_STEP_STATES,
  SATISFIED_STEP_STATES,
  BLOCKING_STEP_STATES,
  canTransition,
  assertTransition,
} from './states.js';
export type { StepState, RunState } from './states.js';

export { EVENT_TYPES } from './store/types.js';
export type {
  ArtifactRef,
  StepErrorInfo,
  ReviewDecision,
  QualityInfo,
  StepRoute,
  StepRecord,
  RunRecord,
  EventType,
  EventInput,
  CoreEvent,
  Patch,
  StepChange,
  RunChange,
  UsageDelta,
  ProjectUsage,
  Commit,
  CommitResult,
  CommitOptions,
  StepQuery,
  RunQuery,
  LeaseOptions,
  JobStore,
} from './store/types.js';
export { memoryStore } from './store/memory.js';
export type { MemoryStoreOptions } from './store/memory.js';
export { openJsonlStore, JSONL_STORE_DEFAULTS, JSONL_FILES } from './store/jsonl.js';
export type { JsonlStore, JsonlStoreOptions, JournalDurability } from './store/jsonl.js';

export { BackendError } from './backend.js';
export type {
  BackendErrorKind,
  BackendInput,
  SubmitRequest,
  RemoteStatus,
  BackendOutput,
  BackendCapabilities,
  CancelResult,
  GenerationBackend,
} from './backend.js';

export { createJobClient, JOB_CLIENT_DEFAULTS } from './client.js';
export type {
  JobClient,
  JobClientOptions,
  SubmitOptions,
  SubmitResult,
  BatchSubmitResult,
  Progress,
  DeadLetterEntry,
} from './client.js';
export type { ReviewOptions, ApproveOptions, RejectOptions, RequestChangesOptions, ReplacementOutput } from './engine/review.js';
export { DEFAULT_IMAGE_SIZE } from './engine/plan.js';

export { memorySink, storageSink, artifactTypeOf } from './artifacts.js';
export type { ArtifactSink, ArtifactInput, ManifestEntry, StorageSinkOptions } from './artifacts.js';

export { functionBackend } from './backends/function/index.js';
export type { FunctionBackend, FunctionBackendOptions } from './backends/function/index.js';

export { RETRY_DEFAULTS, fullJitterDelay, decideFailure } from './reliability/retry.js';
export type { RetryOptions, FailureDecision } from './reliability/retry.js';
export { BREAKER_DEFAULTS, BreakerRegistry } from './reliability/breaker.js';
export type { BreakerOptions, BreakerState } from './reliability/breaker.js';
export { LIMIT_DEFAULTS } from './reliability/limits.js';
export type { LimitOptions, ProjectQuota } from './reliability/limits.js';
export { EwmaTable } from './reliability/ewma.js';
export { redact, redactText, SECRET_KEY_PATTERN } from './reliability/redact.js';

export { imageSize, inspectGlb } from './media.js';
export type { GlbInfo } from './media.js';
export { QUALITY_RATINGS, QUALITY_SCORE, QUALITY_DEFAULTS, rateOutput, worstRating } from './quality/rating.js';
export type { QualityRating, QualityOptions, RateInput, RatingResult } from './quality/rating.js';
export { combineTaggers } from './quality/tagger.js';
export type { AutoTagger, TagInput } from './quality/tagger.js';
export type { CostModel, BackendCost, MetricsOptions, MetricsSnapshot, StepMetrics } from './metrics.js';
export { proceduralBackend, PROCEDURAL_DEFAULTS, PROCEDURAL_OPERATIONS } from './backends/procedural/index.js';
export type { ProceduralBackendOptions } from './backends/procedural/index.js';
export { decodeImage } from './backends/procedural/image.js';
export type { RawImage } from './backends/procedural/image.js';
export {
  STYLE_DEFAULTS,
  kMeansPalette,
  buildStyleProfile,
  cosineSimilarity,
  histogramDistance,
  compareToStyle,
  styleScorer,
  colorName,
  paletteTagger,
} from './quality/style.js';
export type { EmbeddingProvider, PaletteColor, StyleProfile, StyleOptions, StyleComparison } from './quality/style.js';
export { NOTIFICATION_COLORS, WEBHOOK_DEFAULTS, toEmbed, webhookNotifier, jsonWebhook, notificationForEvent } from './notify/webhook.js';
export type { NotificationType, Notification, WebhookNotifierOptions, Notifier, JsonWebhookOptions } from './notify/webhook.js';

// The backends of the host's GPU: ComfyUI.
export {
  comfyUIBackend,
  COMFYUI_BACKEND_DEFAULTS,
  COMFYUI_DEFAULTS,
  createComfyUIConnection,
  COMFYUI_CONNECTION_DEFAULTS,
  DEFAULT_INPUT_NAMES,
  compileInjection,
  injectWorkflow,
  resolveNode,
  isModelInput,
  promptIdFor,
  reconnectDelay,
} from './backends/comfyui/index.js';
export type {
  ComfyUIBackend,
  ComfyUIBackendOptions,
  ComfyFileRef,
  ComfyUIConnection,
  ComfyUIConnectionOptions,
  QueuedPrompt,
  ComfyNode,
  ComfyWorkflow,
  InjectMap,
  InjectTarget,
  ComfyNodeError,
  ReconnectOptions,
  WebSocketConstructor,
} from './backends/comfyui/index.js';
export {
  httpTaskBackend,
  HTTP_TASK_DEFAULTS,
  HttpTaskApiSchema,
  parseHttpTaskApi,
  MESHY_IMAGE_TO_3D,
  TRIPO_IMAGE_TO_MODEL,
  createWebhookReceiver,
  WEBHOOK_RECEIVER_DEFAULTS,
  parseRetryAfter,
} from './backends/http-task/index.js';
export type {
  HttpTaskBackend,
  HttpTaskBackendOptions,
  HttpTaskApi,
  ResolvedHttpTaskApi,
  TaskStateMapping,
  WebhookIngestResult,
  WebhookAnswer,
  WebhookDelivery,
  WebhookReceiver,
  WebhookReceiverOptions,
} from './backends/http-task/index.js';
export { httpSyncBackend, HTTP_SYNC_DEFAULTS, HttpSyncApiSchema, parseHttpSyncApi, STABILITY_SF3D } from './backends/http-sync/index.js';
export type { HttpSyncBackend, HttpSyncBackendOptions, HttpSyncApi, ResolvedHttpSyncApi } from './backends/http-sync/index.js';
