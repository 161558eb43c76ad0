export { DuckDBLightningStore } from './duckdb-lightning-store.ts';
export { rolloutStatusFromAttempt } from './draft-editor.ts';
export { checkConfig, checkGatewayPromptResource } from './store-input-checks.ts';
export { flattenAttributes, spanFromRow, spanToMapped } from './span-conversion.ts';
export {
  ATTEMPT_STATUSES,
  GATEWAY_PROMPT_MODES,
  GATEWAY_PROMPT_RESOURCE_TYPE,
  ROLLOUT_MODES,
  ROLLOUT_STATUSES,
  WORKER_STATUSES,
  isFinalAttemptStatus,
  isQueuedRolloutStatus,
  isTerminalRolloutStatus,
} from './store-types.ts';
export { ExportFileError, StoreClient } from './store-client.ts';
export { StoreHttpError, StoreUnreachableError } from './store-transport.ts';
export { StoreValidationError } from './store-validation-error.ts';
export { stringifyWellFormed, toWellFormedJson, toWellFormedText, toWellFormedValue } from './well-formed-text.ts';
export type { DuckDBLightningStoreOptions } from './store-options.ts';
export type { RejectedJournalRow } from './store-journal.ts';
export type { ExportAnswer, SqlRequest, StoreClientOptions } from './store-client.ts';
export type { CallOptions } from './store-transport.ts';
export type {
  AttemptUpdate,
  DequeueOptions,
  LightningStore,
  NewRollout,
  PageOptions,
  ResourcesQuery,
  RolloutQuery,
  RolloutUpdate,
  SpanQuery,
  StartRolloutOptions,
  WaitOptions,
  WorkerQuery,
} from './lightning-store.ts';
export type {
  Attempt,
  AttemptStatus,
  AttemptedRollout,
  FilterLogic,
  GatewayPromptMode,
  GatewayPromptResource,
  NamedResources,
  PaginatedResult,
  Resource,
  ResourcesUpdate,
  Rollout,
  RolloutConfig,
  RolloutMode,
  RolloutStatus,
  SortOrder,
  Span,
  SpanAttributes,
  SpanContext,
  StoreStatistics,
  Worker,
  WorkerStatus,
} from './store-types.ts';
export type { ValidationIssue } from './store-validation-error.ts';
