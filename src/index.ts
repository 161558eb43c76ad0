/**
 * The package entry (`import { … } from 'agentlightning-ts'`): what users of the library need.
 * Each name is listed here on purpose; folders keep their own `index.ts` for the rest.
 */

// ── agents and resources ─────────────────────────────────────────────────────────────────────────
export { AgentResources, FunctionAgent, LLM, LegacyLitAgent, LitAgent, PromptTemplate, PromptTemplateError, rollout, toNamedResources } from './agent/index.ts';
export type {
  Agent,
  AgentResource,
  LLMOptions,
  LLMResource,
  PromptTemplateEngine,
  PromptTemplateResource,
  ResourcesInput,
  RolloutContext,
  RolloutFunction,
  RolloutResult,
  RunContext,
  RunOutcome,
} from './agent/index.ts';

// ── tracing ──────────────────────────────────────────────────────────────────────────────────────
export {
  OperationScope,
  OtelTracer,
  RolloutScope,
  RolloutSpanProcessor,
  currentRollout,
  emitAnnotation,
  emitException,
  emitMessage,
  emitObject,
  emitReward,
  operation,
  setupTracing,
  traceRollout,
  withOperation,
} from './tracing/index.ts';
export type { EmitOptions, OperationOptions, OtelTracerOptions, RewardDimensions, TraceRolloutOptions } from './tracing/index.ts';

// ── collector and store ──────────────────────────────────────────────────────────────────────────
export { Collector } from '../collector/index.ts';
export type { CollectorOptions } from '../collector/index.ts';
export { ExportFileError, StoreClient, StoreHttpError, StoreUnreachableError } from './store/index.ts';
export type {
  Attempt,
  AttemptStatus,
  AttemptedRollout,
  NamedResources,
  PaginatedResult,
  Resource,
  ResourcesUpdate,
  Rollout,
  RolloutConfig,
  RolloutMode,
  RolloutStatus,
  StoreClientOptions,
  Worker,
} from './store/index.ts';

// ── runners, algorithms and the trainer ─────────────────────────────────────────────────────────
export { Runner, RunnerPool, RunnerStoppedError, loadAgent, toAgent } from './runner/index.ts';
export type { RunnerOptions, RunnerPoolOptions, RunnerStats, RunnerStore, SpanFlusher, StopOptions } from './runner/index.ts';
export { Baseline, readAttemptReward, runAlgorithm, toAlgorithm } from './algorithm/index.ts';
export { APO, LocalApoData, RemoteApoData, checkTemplateEdit } from './algorithm/index.ts';
export type { ApoCandidateScore, ApoData, ApoOptions, ApoResult, ApoRoundRecord } from './algorithm/index.ts';
export type {
  Algorithm,
  AlgorithmContext,
  AlgorithmData,
  AlgorithmFunction,
  AlgorithmLike,
  AlgorithmStore,
  AttemptReward,
  BaselineOptions,
  BaselineResult,
  BaselineTaskResult,
  RunAlgorithmOptions,
} from './algorithm/index.ts';
// An algorithm's own tables in the collector's database (APO's apo_rounds is one).
export { registerTables } from './storage/index.ts';
export type { OwnedTables, TableMigration } from './storage/index.ts';
export { AgentLightningServer, Trainer } from './trainer/index.ts';
export type {
  AgentLightningServerOptions,
  AgentLightningServerStartOptions,
  BackendFitOptions,
  CompletedRollout,
  DevOptions,
  FitOptions,
  TrainerOptions,
  TrainerRunnerOptions,
} from './trainer/index.ts';

// ── errors ───────────────────────────────────────────────────────────────────────────────────────
export { AglError, ConflictError, InvalidRequestError, NotFoundError, UnauthorizedError } from './errors/index.ts';

// ── semantic conventions ─────────────────────────────────────────────────────────────────────────
export {
  AGL_ANNOTATION,
  AGL_ATTEMPT_ID,
  AGL_EXCEPTION,
  AGL_MESSAGE,
  AGL_MESSAGE_BODY,
  AGL_OBJECT,
  AGL_OBJECT_JSON,
  AGL_OBJECT_LITERAL,
  AGL_OBJECT_TYPE,
  AGL_OPERATION,
  AGL_OPERATION_INPUT_PREFIX,
  AGL_OPERATION_NAME,
  AGL_OPERATION_OUTPUT_PREFIX,
  AGL_REWARD,
  AGL_ROLLOUT_ID,
  AGL_SPAN_SEQUENCE_ID,
  AGL_TAG_PREFIX,
  aglRewardNameAttribute,
  aglRewardValueAttribute,
} from './semconv/index.ts';
