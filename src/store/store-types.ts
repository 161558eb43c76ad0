/**
 * The store's data types. Objects (rollouts, attempts, resources, workers, spans) keep the field
 * names of Agent Lightning v0.3's store API (`docs/store-openapi.json`): they
 * go over the wire as they are, and times are epoch seconds. Options of methods are camelCase.
 */

/** Status of a rollout. `succeeded`, `failed` and `cancelled` are terminal. */
export type RolloutStatus = 'queuing' | 'preparing' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'requeuing';

/** Status of an attempt. `succeeded`, `failed` and `timeout` are final; `unresponsive` can recover. */
export type AttemptStatus = 'preparing' | 'running' | 'succeeded' | 'failed' | 'unresponsive' | 'timeout';

/** Status of a worker (runner). */
export type WorkerStatus = 'idle' | 'busy' | 'unknown';

/** What a rollout is run for. */
export type RolloutMode = 'train' | 'val' | 'test';

/** Every rollout status, in the contract's order. */
export const ROLLOUT_STATUSES: readonly RolloutStatus[] = [
  'queuing',
  'preparing',
  'running',
  'failed',
  'succeeded',
  'cancelled',
  'requeuing',
];
/** Every attempt status, in the contract's order. */
export const ATTEMPT_STATUSES: readonly AttemptStatus[] = ['preparing', 'running', 'failed', 'succeeded', 'unresponsive', 'timeout'];
/** Every worker status. */
export const WORKER_STATUSES: readonly WorkerStatus[] = ['idle', 'busy', 'unknown'];
/** Every rollout mode. */
export const ROLLOUT_MODES: readonly RolloutMode[] = ['train', 'val', 'test'];

/** Whether a rollout in this status is finished for good. */
export function isTerminalRolloutStatus(status: RolloutStatus): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'cancelled';
}

/** Whether a rollout in this status waits in the queue. */
export function isQueuedRolloutStatus(status: RolloutStatus): boolean {
  return status === 'queuing' || status === 'requeuing';
}

/** Whether an attempt in this status is over and takes no other status. */
export function isFinalAttemptStatus(status: AttemptStatus): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'timeout';
}

/** Retries and time limits of a rollout (`RolloutConfig`). */
export interface RolloutConfig {
  /** An attempt running longer than this (from its start) is marked `timeout`. */
  timeout_seconds: number | null;
  /** An attempt without heartbeat or span for this long is marked `unresponsive`. */
  unresponsive_seconds: number | null;
  /** Attempts allowed in all, ≥ 1. */
  max_attempts: number;
  /** The attempt statuses that requeue the rollout while attempts are left. */
  retry_condition: AttemptStatus[];
}

/** A unit of work: a task input to run the agent on (`Rollout`). */
export interface Rollout {
  rollout_id: string;
  /** The task, any JSON value. */
  input: unknown;
  start_time: number;
  end_time: number | null;
  mode: RolloutMode | null;
  /** The resources the rollout runs with (the latest at enqueue when not given). */
  resources_id: string | null;
  status: RolloutStatus;
  config: RolloutConfig;
  metadata: Record<string, unknown> | null;
}

/** One execution of a rollout (`Attempt`). */
export interface Attempt {
  rollout_id: string;
  attempt_id: string;
  /** 1 for the first attempt of the rollout, then 2, 3… */
  sequence_id: number;
  start_time: number;
  end_time: number | null;
  status: AttemptStatus;
  worker_id: string | null;
  last_heartbeat_time: number | null;
  metadata: Record<string, unknown> | null;
}

/** A rollout with its latest attempt (`AttemptedRollout`). */
export interface AttemptedRollout extends Rollout {
  attempt: Attempt;
}

/** Named resources, e.g. `{ prompt_template: { resource_type: 'prompt_template', template, engine } }`. */
export type NamedResources = Record<string, Resource>;

/**
 * One resource; `resource_type` tells which: Agent Lightning's `llm`, `proxy_llm` and
 * `prompt_template`, or our own `gateway_prompt` ({@link GatewayPromptResource}).
 */
export interface Resource {
  resource_type: string;
  [field: string]: unknown;
}

/**
 * How the LLM gateway puts a rollout's prompt into a request:
 * - `system`: it replaces the first `system` (or `developer`) message, or is inserted as a system
 *   message before the others when there is none;
 * - `marker`: it replaces every `{{agl.prompt}}` in the text of any message.
 */
export type GatewayPromptMode = 'system' | 'marker';

/** Every {@link GatewayPromptMode}. */
export const GATEWAY_PROMPT_MODES: readonly GatewayPromptMode[] = ['system', 'marker'];

/** The `resource_type` of a {@link GatewayPromptResource}. */
export const GATEWAY_PROMPT_RESOURCE_TYPE = 'gateway_prompt';

/**
 * Our addition beside Agent Lightning's resource union: in a rollout's resources, it makes the LLM
 * gateway apply the rollout's prompt template to every chat request of the rollout (prompt
 * application), so that APO can optimise the prompt of an agent that never reads a resource.
 * The store checks its fields strictly (422): no others, and `prompt` must name a prompt template
 * of the same resources.
 */
export interface GatewayPromptResource extends Resource {
  resource_type: typeof GATEWAY_PROMPT_RESOURCE_TYPE;
  mode: GatewayPromptMode;
  /** The name of the prompt template resource to apply. @default the one named `prompt_template`, else the only one */
  prompt?: string;
}

/** A version of named resources (`ResourcesUpdate`). */
export interface ResourcesUpdate {
  resources_id: string;
  create_time: number;
  update_time: number;
  /** 1 when added, +1 at each update of the same id. */
  version: number;
  resources: NamedResources;
}

/** A runner as the store sees it (`Worker`). */
export interface Worker {
  worker_id: string;
  status: WorkerStatus;
  heartbeat_stats: Record<string, unknown> | null;
  last_heartbeat_time: number | null;
  last_dequeue_time: number | null;
  last_busy_time: number | null;
  last_idle_time: number | null;
  current_rollout_id: string | null;
  current_attempt_id: string | null;
}

/** A span context in a {@link Span}. */
export interface SpanContext {
  trace_id: string;
  span_id: string;
  is_remote: boolean;
  trace_state: Record<string, string>;
}

/** A flat attribute map as the store API carries it (no nested objects). */
export type SpanAttributes = Record<string, string | number | boolean | string[] | number[] | boolean[]>;

/** Agent Lightning's span model (`Span`), read from and written to the `spans` table. */
export interface Span {
  rollout_id: string;
  attempt_id: string;
  sequence_id: number;
  trace_id: string;
  span_id: string;
  parent_id: string | null;
  name: string;
  status: { status_code: 'UNSET' | 'OK' | 'ERROR'; description: string | null };
  attributes: SpanAttributes;
  events: { name: string; attributes: SpanAttributes; timestamp: number | null }[];
  links: { context: SpanContext; attributes: SpanAttributes | null }[];
  start_time: number | null;
  end_time: number | null;
  context: SpanContext | null;
  parent: SpanContext | null;
  resource: { attributes: SpanAttributes; schema_url: string };
}

/** A page of results (`PaginatedResult`). */
export interface PaginatedResult<T> {
  items: T[];
  /** The limit asked for (-1: none). */
  limit: number;
  offset: number;
  /** Matches before pagination. */
  total: number;
}

/** Sort direction. */
export type SortOrder = 'asc' | 'desc';
/** How filters on different fields combine. */
export type FilterLogic = 'and' | 'or';

/** Counts and uptime from {@link LightningStore.statistics}. */
export interface StoreStatistics {
  name: string;
  total_rollouts: number;
  total_attempts: number;
  total_spans: number;
  total_resources: number;
  total_workers: number;
  /** Seconds since the store opened. */
  uptime: number;
  [field: string]: unknown;
}
