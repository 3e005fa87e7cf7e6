/**
 * `@kiln/core`: the Kiln job client. Asset requests, CSV batches, DAG pipelines with review
 * checkpoints, reliable execution against the GPU backend the host brings, a durable store.
 *
 * @packageDocumentation
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
export type { StepFallback, StepDefinition, PipelineDefinition, BuiltinPipelineName, BuiltinPipelineOptions } from './pipeline.js';

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
  StepChange,
  RunChange,
  UsageDelta,
  ProjectUsage,
  Commit,
  CommitResult,
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
  GenerationBackend,
} from './backend.js';
