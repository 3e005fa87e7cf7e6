/**
 * `@kiln/core`: the job client. Asset requests, CSV batches, DAG pipelines with review
 * checkpoints, reliable execution against the GPU backend the host brings, and a durable store.
 *
 * @packageDocumentation
 */
export { BackendError } from './backend.js';
export type {
  BackendCapabilities,
  BackendErrorKind,
  BackendInput,
  BackendOutput,
  GenerationBackend,
  RemoteStatus,
  SubmitRequest,
} from './backend.js';
