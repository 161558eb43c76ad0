import type {
  Attempt,
  AttemptedRollout,
  AttemptStatus,
  FilterLogic,
  NamedResources,
  PaginatedResult,
  ResourcesUpdate,
  Rollout,
  RolloutConfig,
  RolloutMode,
  RolloutStatus,
  SortOrder,
  Span,
  StoreStatistics,
  Worker,
  WorkerStatus,
} from './store-types.ts';

/** A rollout to create (`EnqueueRolloutRequest`). */
export interface NewRollout {
  /** The task, any JSON value. */
  input: unknown;
  /** @default null */
  mode?: RolloutMode | null;
  /** @default the latest resources' id at enqueue (null when there are none) */
  resourcesId?: string | null;
  /** Missing fields take their defaults: `max_attempts` 1, `retry_condition` [], no time limits. */
  config?: Partial<RolloutConfig> | null;
  /** @default {} */
  metadata?: Record<string, unknown> | null;
}

/** Options of {@link LightningStore.startRollout}. */
export interface StartRolloutOptions extends NewRollout {
  /** The worker that runs the first attempt. */
  workerId?: string | null;
}

/** Options of {@link LightningStore.dequeueRollouts}. */
export interface DequeueOptions {
  /** @default 1 */
  limit?: number;
  /** The worker taking the rollouts (its status becomes `busy`, or `idle` when nothing was queued). */
  workerId?: string | null;
}

/** Pagination and sorting shared by the queries. */
export interface PageOptions {
  /** -1 for no limit. @default -1 */
  limit?: number;
  /** @default 0 */
  offset?: number;
  /** A field of the returned objects; unknown fields are refused. */
  sortBy?: string | null;
  /** @default 'asc' */
  sortOrder?: SortOrder;
}

/** Filters of {@link LightningStore.queryRollouts}. */
export interface RolloutQuery extends PageOptions {
  statusIn?: readonly RolloutStatus[] | null;
  rolloutIdIn?: readonly string[] | null;
  rolloutIdContains?: string | null;
  /** Only ours (not in the contract's query): the rollouts of this mode. */
  modeIn?: readonly RolloutMode[] | null;
  /** @default 'and' */
  filterLogic?: FilterLogic;
}

/** Fields to change with {@link LightningStore.updateRollout}; `undefined` leaves a field alone. */
export interface RolloutUpdate {
  input?: unknown;
  mode?: RolloutMode | null;
  resourcesId?: string | null;
  status?: RolloutStatus;
  config?: Partial<RolloutConfig>;
  metadata?: Record<string, unknown> | null;
}

/** Fields to change with {@link LightningStore.updateAttempt}; `undefined` leaves a field alone. */
export interface AttemptUpdate {
  status?: AttemptStatus;
  workerId?: string | null;
  lastHeartbeatTime?: number | null;
  metadata?: Record<string, unknown> | null;
}

/** Filters of {@link LightningStore.queryWorkers}. */
export interface WorkerQuery extends PageOptions {
  statusIn?: readonly WorkerStatus[] | null;
  workerIdContains?: string | null;
  /** @default 'and' */
  filterLogic?: FilterLogic;
}

/** Filters of {@link LightningStore.queryResources}. */
export interface ResourcesQuery extends PageOptions {
  resourcesId?: string | null;
  resourcesIdContains?: string | null;
}

/** Filters of {@link LightningStore.querySpans}. `rolloutId` (and `attemptId`) always apply. */
export interface SpanQuery extends PageOptions {
  rolloutId: string;
  /** An attempt id, or `'latest'` for the rollout's latest attempt. */
  attemptId?: string | null;
  traceId?: string | null;
  traceIdContains?: string | null;
  spanId?: string | null;
  spanIdContains?: string | null;
  parentId?: string | null;
  parentIdContains?: string | null;
  name?: string | null;
  nameContains?: string | null;
  /** How the filters other than rollout and attempt combine. @default 'and' */
  filterLogic?: FilterLogic;
}

/** Options of {@link LightningStore.waitForRollouts}. */
export interface WaitOptions {
  /** Give up after this many seconds; `null` waits until every rollout is finished. @default null */
  timeoutSeconds?: number | null;
  /** Stops waiting (resolving with the rollouts finished so far). */
  signal?: AbortSignal;
}

/**
 * The rollout store: the queue of rollouts, their attempts, versioned resources, workers and the
 * spans of each attempt. Semantics follow Agent Lightning v0.3's `LightningStore`; where this
 * project decided otherwise it says so on the method.
 *
 * Unknown ids throw `NotFoundError`; changes a finished rollout or attempt cannot take throw
 * `ConflictError`; bad arguments throw `StoreValidationError`.
 */
export interface LightningStore {
  /** Queues rollouts (status `queuing`) in the given order. */
  enqueueRollouts(rollouts: readonly NewRollout[]): Promise<Rollout[]>;
  /**
   * Takes up to `limit` queued rollouts, oldest first, and starts an attempt (`preparing`) on each.
   * A rollout is never handed out twice.
   */
  dequeueRollouts(options?: DequeueOptions): Promise<AttemptedRollout[]>;
  /** Creates a rollout that starts at once (`preparing`) with its first attempt, bypassing the queue. */
  startRollout(options: StartRolloutOptions): Promise<AttemptedRollout>;
  /** Starts a new attempt of an unfinished rollout. */
  startAttempt(rolloutId: string, options?: { workerId?: string | null }): Promise<AttemptedRollout>;
  /** The rollout with its latest attempt (or without, when never attempted); `null` when unknown. */
  getRollout(rolloutId: string): Promise<Rollout | AttemptedRollout | null>;
  queryRollouts(query?: RolloutQuery): Promise<PaginatedResult<Rollout | AttemptedRollout>>;
  /**
   * Changes a rollout. A status change of a finished rollout (`succeeded`, `failed`, `cancelled`)
   * is a `ConflictError`; setting `queuing` or `requeuing` puts it at the back of the queue.
   */
  updateRollout(rolloutId: string, update: RolloutUpdate): Promise<Rollout>;
  /** `updateRollout(rolloutId, { status: 'cancelled' })`. */
  cancelRollout(rolloutId: string): Promise<Rollout>;
  queryAttempts(rolloutId: string, query?: PageOptions): Promise<PaginatedResult<Attempt>>;
  getLatestAttempt(rolloutId: string): Promise<Attempt | null>;
  /**
   * Changes an attempt (`'latest'` for the latest one). The latest attempt's status carries over
   * to its rollout unless the rollout is finished: `failed`, `timeout` or `unresponsive` requeue
   * the rollout when the status is in `retry_condition` and attempts are left, else fail it.
   */
  updateAttempt(rolloutId: string, attemptId: string, update: AttemptUpdate): Promise<Attempt>;
  /**
   * Resolves when every rollout is finished or the time is up, with the finished ones (in the
   * order asked; unknown ids are left out).
   */
  waitForRollouts(rolloutIds: readonly string[], options?: WaitOptions): Promise<Rollout[]>;

  /** Stores new named resources (version 1) under a new id; they become the latest. */
  addResources(resources: NamedResources): Promise<ResourcesUpdate>;
  /** Stores a new version of `resourcesId` (creating it when unknown); it becomes the latest. */
  updateResources(resourcesId: string, resources: NamedResources): Promise<ResourcesUpdate>;
  getLatestResources(): Promise<ResourcesUpdate | null>;
  /** The latest version of `resourcesId`. */
  getResources(resourcesId: string): Promise<ResourcesUpdate | null>;
  /** The latest version of each resources id. */
  queryResources(query?: ResourcesQuery): Promise<PaginatedResult<ResourcesUpdate>>;

  /** Records a worker's heartbeat (creating the worker when unknown). */
  updateWorker(workerId: string, options?: { heartbeatStats?: Record<string, unknown> | null }): Promise<Worker>;
  getWorker(workerId: string): Promise<Worker | null>;
  queryWorkers(query?: WorkerQuery): Promise<PaginatedResult<Worker>>;

  /** A span sequence id never issued before for this rollout (strictly increasing). */
  getNextSpanSequenceId(rollout_id: string, attemptId: string): Promise<number>;
  /** Stores a span of a known attempt; counts as the attempt's heartbeat. */
  addSpan(span: Span): Promise<Span | null>;
  querySpans(query: SpanQuery): Promise<PaginatedResult<Span>>;

  statistics(): Promise<StoreStatistics>;
  /** Stops the watchdog, ends waits and releases the store's connections. Idempotent. */
  close(): Promise<void>;
}
