import { randomBytes } from 'node:crypto';
import type { DuckDBConnection, DuckDBPreparedStatement, DuckDBValue } from '@duckdb/node-api';
import { ConflictError, NotFoundError } from '../errors/index.ts';
import { DuckDBSpanSink, GroupCommitter, toSpanRows } from '../storage/index.ts';
import type { Database, SpanAttemptActivity, SpanSink } from '../storage/index.ts';
import type {
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
import { checkPage, paginate } from './paginate.ts';
import { SPAN_SELECT_COLUMNS, spanFromRow, spanToMapped } from './span-conversion.ts';
import type { SpanRow } from './span-conversion.ts';
import {
  ATTEMPT_STATUSES,
  ROLLOUT_MODES,
  ROLLOUT_STATUSES,
  WORKER_STATUSES,
  isFinalAttemptStatus,
  isQueuedRolloutStatus,
  isTerminalRolloutStatus,
} from './store-types.ts';
import type {
  Attempt,
  AttemptedRollout,
  AttemptStatus,
  NamedResources,
  PaginatedResult,
  ResourcesUpdate,
  Rollout,
  RolloutConfig,
  RolloutStatus,
  Span,
  StoreStatistics,
  Worker,
} from './store-types.ts';
import { StoreValidationError } from './store-validation-error.ts';

/** Options of {@link DuckDBLightningStore.open}. */
export interface DuckDBLightningStoreOptions {
  /**
   * Where `addSpan` writes. Give the collector's sink so that every span write shares one group
   * commit, and call {@link DuckDBLightningStore.recordSpanActivity} from its `onCommitted`.
   * @default a `DuckDBSpanSink` of the store's own, closed with the store
   */
  spanSink?: SpanSink;
  /**
   * How often the watchdog looks for timed-out and unresponsive attempts; 0 turns it off.
   * @default 1000
   */
  watchdogIntervalMillis?: number;
}

/** A rollout with what the store keeps beside it. Treated as immutable: changes copy it. */
interface RolloutEntry {
  rollout: Rollout;
  /** Attempts by sequence: `attempts[i].sequence_id === i + 1`. */
  attempts: Attempt[];
  /** FIFO position while queued, else `null`. */
  queuePosition: number | null;
  createdOrder: number;
}

/**
 * The changes of one store operation. Those of a group of operations are merged (latest wins) into
 * the group's overlay, written in one transaction, then applied to the mirror.
 */
interface Draft {
  rollouts: Map<string, RolloutEntry>;
  attempts: Map<string, Attempt>;
  workers: Map<string, Worker>;
  resources: { update: ResourcesUpdate; order: number }[];
  sequences: Map<string, number>;
}

type Statements = Record<'rollout' | 'attempt' | 'worker' | 'resources' | 'sequence', DuckDBPreparedStatement>;

/** One store operation waiting for its group: `build` runs when the group is formed. */
interface StoreWrite {
  build: (draft: Draft) => unknown;
  result: unknown;
  /** Set when `build` threw: the operation changed nothing and rejects with it. */
  failure: { error: unknown } | null;
}

const emptyDraft = (): Draft => ({ rollouts: new Map(), attempts: new Map(), workers: new Map(), resources: [], sequences: new Map() });

// Column names and DuckDB types, in table order: each group writes a table with one statement
// whose rows come as one JSON parameter (a statement per row cost ~1.4 ms each here).
const ROLLOUT_COLUMNS = [
  ['rollout_id', 'VARCHAR'], ['input', 'VARCHAR'], ['mode', 'VARCHAR'], ['resources_id', 'VARCHAR'], ['status', 'VARCHAR'],
  ['start_time', 'DOUBLE'], ['end_time', 'DOUBLE'], ['max_attempts', 'INTEGER'], ['retry_condition', 'VARCHAR'],
  ['timeout_seconds', 'DOUBLE'], ['unresponsive_seconds', 'DOUBLE'], ['metadata', 'VARCHAR'], ['queue_position', 'BIGINT'],
  ['created_order', 'BIGINT'], ['attempt_count', 'INTEGER'], ['latest_attempt_id', 'VARCHAR'],
] as const;
const ATTEMPT_COLUMNS = [
  ['rollout_id', 'VARCHAR'], ['attempt_id', 'VARCHAR'], ['sequence_id', 'INTEGER'], ['status', 'VARCHAR'], ['start_time', 'DOUBLE'],
  ['end_time', 'DOUBLE'], ['worker_id', 'VARCHAR'], ['last_heartbeat_time', 'DOUBLE'], ['metadata', 'VARCHAR'],
] as const;
const WORKER_COLUMNS = [
  ['worker_id', 'VARCHAR'], ['status', 'VARCHAR'], ['heartbeat_stats', 'VARCHAR'], ['last_heartbeat_time', 'DOUBLE'],
  ['last_dequeue_time', 'DOUBLE'], ['last_busy_time', 'DOUBLE'], ['last_idle_time', 'DOUBLE'], ['current_rollout_id', 'VARCHAR'],
  ['current_attempt_id', 'VARCHAR'],
] as const;
const RESOURCES_COLUMNS = [
  ['resources_id', 'VARCHAR'], ['version', 'INTEGER'], ['resources', 'VARCHAR'], ['create_time', 'DOUBLE'], ['update_time', 'DOUBLE'],
  ['update_order', 'BIGINT'],
] as const;
const SEQUENCE_COLUMNS = [['rollout_id', 'VARCHAR'], ['last_sequence_id', 'BIGINT']] as const;

const ROLLOUT_SORTABLE = ['rollout_id', 'start_time', 'end_time', 'status', 'mode', 'resources_id'];
const ATTEMPT_SORTABLE = ['sequence_id', 'attempt_id', 'start_time', 'end_time', 'status', 'worker_id', 'last_heartbeat_time'];
const WORKER_SORTABLE = [
  'worker_id',
  'status',
  'last_heartbeat_time',
  'last_dequeue_time',
  'last_busy_time',
  'last_idle_time',
  'current_rollout_id',
];
const RESOURCES_SORTABLE = ['resources_id', 'create_time', 'update_time', 'version'];
const SPAN_SORT_COLUMNS: Record<string, string> = {
  sequence_id: 'sequence_id',
  start_time: 'start_time_unix_nano',
  end_time: 'end_time_unix_nano',
  name: 'name',
  trace_id: 'trace_id',
  span_id: 'span_id',
  parent_id: 'parent_span_id',
};

const nowSeconds = (): number => Date.now() / 1000;
const newId = (prefix: string, bytes: number): string => prefix + randomBytes(bytes).toString('hex');
const attemptKey = (rolloutId: string, attemptId: string): string => `${rolloutId}\u0000${attemptId}`;

/**
 * The {@link LightningStore} of the collector, kept in the DuckDB file (`rollouts`, `attempts`,
 * `resources`, `workers`, `span_sequence_ids`; spans in `spans`).
 *
 * Changes use group commit ({@link GroupCommitter}, one lane): operations that arrive while a
 * transaction is under way wait, then run one after the other when the next group forms, each
 * seeing the changes of those before it in the group (an overlay over the mirror), so a dequeue
 * never hands out a rollout twice. The group's changes are written in one transaction (one
 * statement per table) and the operations answer once it committed. If the group fails, each
 * operation is run again alone, in its own transaction, so one bad write fails alone.
 *
 * The tables are mirrored in memory, loaded at open: reads and the queue are served from the
 * mirror, which changes only after a transaction committed. The collector must be the only writer
 * of these tables.
 */
export class DuckDBLightningStore implements LightningStore {
  readonly #database: Database;
  readonly #writer: DuckDBConnection;
  readonly #reader: DuckDBConnection;
  readonly #statements: Statements;
  readonly #spanSink: SpanSink;
  readonly #ownsSink: boolean;
  readonly #openedAt = nowSeconds();

  readonly #rollouts = new Map<string, RolloutEntry>();
  readonly #workers = new Map<string, Worker>();
  /** The latest version of each resources id, in creation order. */
  readonly #resources = new Map<string, ResourcesUpdate>();
  #latestResourcesId: string | null = null;
  readonly #sequences = new Map<string, number>();
  /** Queued rollouts in FIFO order; entries whose position no longer matches are stale. */
  #queue: { rolloutId: string; position: number }[] = [];
  #queueHead = 0;
  /** Rollouts in `preparing` or `running`: what the watchdog looks at. */
  readonly #active = new Set<string>();
  readonly #waiters = new Map<string, Set<(rolloutId: string) => void>>();
  #queueCounter = 0;
  #createdCounter = 0;
  #resourcesCounter = 0;

  readonly #committer: GroupCommitter<StoreWrite, DuckDBConnection>;
  /** The merged changes of the group being written; empty between groups. */
  #overlay: Draft = emptyDraft();
  /** Where dequeues of the group being built start: queue entries before it are taken or stale. */
  #groupQueueHead = 0;
  #pendingActivity: SpanAttemptActivity[] = [];
  #activityFlush: Promise<void> | null = null;
  readonly #watchdog: NodeJS.Timeout | null;
  #watchdogRunning = false;
  #closed = false;
  #closing: Promise<void> | null = null;
  readonly #closeWaiters = new Set<() => void>();

  private constructor(
    database: Database,
    writer: DuckDBConnection,
    reader: DuckDBConnection,
    statements: Statements,
    spanSink: SpanSink,
    ownsSink: boolean,
    watchdogIntervalMillis: number,
  ) {
    this.#database = database;
    this.#writer = writer;
    this.#reader = reader;
    this.#statements = statements;
    this.#spanSink = spanSink;
    this.#ownsSink = ownsSink;
    this.#watchdog = watchdogIntervalMillis > 0 ? setInterval(() => void this.#runWatchdog(), watchdogIntervalMillis) : null;
    this.#watchdog?.unref();
    this.#committer = new GroupCommitter<StoreWrite, DuckDBConnection>({
      lanes: [writer],
      begin: (connection) => connection.run('BEGIN TRANSACTION').then(() => undefined),
      write: (_connection, group) => this.#writeGroup(group),
      commit: (connection) => connection.run('COMMIT').then(() => undefined),
      rollback: (connection) => connection.run('ROLLBACK').then(() => undefined),
      onCommitted: () => this.#apply(),
    });
  }

  /** Opens the store on its own connections of `database` and loads the state kept there. */
  static async open(database: Database, options: DuckDBLightningStoreOptions = {}): Promise<DuckDBLightningStore> {
    const watchdogIntervalMillis = options.watchdogIntervalMillis ?? 1000;
    if (!Number.isFinite(watchdogIntervalMillis) || watchdogIntervalMillis < 0) {
      throw new RangeError(`Expected \`watchdogIntervalMillis\` to be a number ≥ 0, got \`${watchdogIntervalMillis}\``);
    }
    const writer = await database.connect();
    const reader = await database.connect();
    const statements = {
      rollout: await writer.prepare(bulkInsert('rollouts', ROLLOUT_COLUMNS, true)),
      attempt: await writer.prepare(bulkInsert('attempts', ATTEMPT_COLUMNS, true)),
      worker: await writer.prepare(bulkInsert('workers', WORKER_COLUMNS, true)),
      resources: await writer.prepare(bulkInsert('resources', RESOURCES_COLUMNS, false)),
      sequence: await writer.prepare(bulkInsert('span_sequence_ids', SEQUENCE_COLUMNS, true)),
    };
    let store: DuckDBLightningStore | null = null;
    const ownsSink = options.spanSink === undefined;
    const spanSink =
      options.spanSink ??
      (await DuckDBSpanSink.open(database, { onCommitted: (rows) => store?.recordSpanActivity(rows.attempts) }));
    store = new DuckDBLightningStore(database, writer, reader, statements, spanSink, ownsSink, watchdogIntervalMillis);
    await store.#load();
    return store;
  }

  // ---------------------------------------------------------------- rollouts

  async enqueueRollouts(rollouts: readonly NewRollout[]): Promise<Rollout[]> {
    if (!Array.isArray(rollouts)) throw StoreValidationError.at(['rollouts'], 'Expected an array', 'list_type');
    const prepared = rollouts.map((request, index) => this.#checkNewRollout(request, ['rollouts', index]));
    return this.#mutate((draft) => {
      const now = nowSeconds();
      return prepared.map((request) => {
        const entry = this.#createRollout(draft, request, now, 'queuing');
        return clone(entry.rollout);
      });
    });
  }

  async dequeueRollouts(options: DequeueOptions = {}): Promise<AttemptedRollout[]> {
    const limit = options.limit ?? 1;
    if (!Number.isInteger(limit) || limit < 0) throw StoreValidationError.at(['limit'], `Expected an integer ≥ 0, got ${JSON.stringify(limit)}`, 'int_type');
    const workerId = options.workerId ?? null;
    return this.#mutate((draft) => {
      const now = nowSeconds();
      const taken: AttemptedRollout[] = [];
      for (let index = this.#groupQueueHead; index < this.#queue.length && taken.length < limit; index++) {
        const { rolloutId, position } = this.#queue[index];
        const current = this.#read(draft, rolloutId);
        if (current && current.queuePosition === position && isQueuedRolloutStatus(current.rollout.status)) {
          const entry = this.#edit(draft, rolloutId);
          const attempt = this.#newAttempt(draft, entry, workerId, now);
          taken.push({ ...clone(entry.rollout), attempt: clone(attempt) });
        }
        // Taken or stale for the rest of this group (a dequeue never throws, so its draft is kept):
        // the next dequeue of the group starts after it, not at the mirror's head.
        if (index === this.#groupQueueHead) this.#groupQueueHead++;
      }
      if (workerId !== null) {
        const worker = this.#editWorker(draft, workerId);
        worker.last_dequeue_time = now;
        if (taken.length > 0) {
          const last = taken[taken.length - 1].attempt;
          Object.assign(worker, { status: 'busy', last_busy_time: now, current_rollout_id: last.rollout_id, current_attempt_id: last.attempt_id });
        } else if (worker.status !== 'idle') {
          Object.assign(worker, { status: 'idle', last_idle_time: now });
        }
      }
      return taken;
    });
  }

  async startRollout(options: StartRolloutOptions): Promise<AttemptedRollout> {
    const request = this.#checkNewRollout(options, []);
    const workerId = options.workerId ?? null;
    return this.#mutate((draft) => {
      const now = nowSeconds();
      const entry = this.#createRollout(draft, request, now, 'preparing');
      const attempt = this.#newAttempt(draft, entry, workerId, now);
      return { ...clone(entry.rollout), attempt: clone(attempt) };
    });
  }

  async startAttempt(rolloutId: string, options: { workerId?: string | null } = {}): Promise<AttemptedRollout> {
    return this.#mutate((draft) => {
      const entry = this.#edit(draft, rolloutId);
      if (isTerminalRolloutStatus(entry.rollout.status)) {
        throw new ConflictError(`Rollout ${rolloutId} is ${entry.rollout.status}: it takes no new attempt`);
      }
      const attempt = this.#newAttempt(draft, entry, options.workerId ?? null, nowSeconds());
      return { ...clone(entry.rollout), attempt: clone(attempt) };
    });
  }

  async getRollout(rolloutId: string): Promise<Rollout | AttemptedRollout | null> {
    const entry = this.#rollouts.get(rolloutId);
    return entry ? withLatestAttempt(entry) : null;
  }

  async queryRollouts(query: RolloutQuery = {}): Promise<PaginatedResult<Rollout | AttemptedRollout>> {
    checkPage(query);
    const statusIn = checkEnumList(query.statusIn, ROLLOUT_STATUSES, 'status_in');
    const modeIn = checkEnumList(query.modeIn, ROLLOUT_MODES, 'mode_in');
    const idIn = query.rolloutIdIn ? new Set(query.rolloutIdIn) : null;
    const contains = query.rolloutIdContains ?? null;
    const logic = checkFilterLogic(query.filterLogic);
    const tests: ((entry: RolloutEntry) => boolean)[] = [];
    if (statusIn) tests.push((entry) => statusIn.includes(entry.rollout.status));
    if (modeIn) tests.push((entry) => entry.rollout.mode !== null && modeIn.includes(entry.rollout.mode));
    // As in Agent Lightning, `rollout_id_in` and `rollout_id_contains` are one filter on the id.
    if (idIn || contains !== null) {
      tests.push((entry) => (!idIn || idIn.has(entry.rollout.rollout_id)) && (contains === null || entry.rollout.rollout_id.includes(contains)));
    }
    // With `rollout_id_in` and AND logic only the listed rollouts can match: no scan of the others.
    const candidates =
      idIn && logic === 'and'
        ? [...idIn].flatMap((id) => this.#rollouts.get(id) ?? []).sort((a, b) => a.createdOrder - b.createdOrder)
        : [...this.#rollouts.values()];
    const matches = candidates.filter((entry) => combine(tests, logic, entry));
    const page = paginate(matches.map((entry) => entry.rollout), query, ROLLOUT_SORTABLE);
    return { ...page, items: page.items.map((rollout) => withLatestAttempt(this.#rollouts.get(rollout.rollout_id)!)) };
  }

  async updateRollout(rolloutId: string, update: RolloutUpdate): Promise<Rollout> {
    if (update.status !== undefined && !ROLLOUT_STATUSES.includes(update.status)) {
      throw StoreValidationError.at(['status'], `Expected one of ${ROLLOUT_STATUSES.join(', ')}`, 'enum');
    }
    if (update.mode !== undefined && update.mode !== null && !ROLLOUT_MODES.includes(update.mode)) {
      throw StoreValidationError.at(['mode'], `Expected one of ${ROLLOUT_MODES.join(', ')} or null`, 'enum');
    }
    const config = update.config === undefined ? undefined : checkConfig(update.config, ['config']);
    return this.#mutate((draft) => {
      const entry = this.#edit(draft, rolloutId);
      const rollout = entry.rollout;
      if (update.status !== undefined && update.status !== rollout.status) {
        if (isTerminalRolloutStatus(rollout.status)) {
          throw new ConflictError(`Rollout ${rolloutId} is ${rollout.status}; its status cannot become ${update.status}`);
        }
        this.#setRolloutStatus(entry, update.status, nowSeconds());
      }
      if (update.input !== undefined) rollout.input = update.input;
      if (update.mode !== undefined) rollout.mode = update.mode;
      if (update.resourcesId !== undefined) rollout.resources_id = update.resourcesId;
      if (config !== undefined) rollout.config = config;
      if (update.metadata !== undefined) rollout.metadata = update.metadata;
      return clone(rollout);
    });
  }

  cancelRollout(rolloutId: string): Promise<Rollout> {
    return this.updateRollout(rolloutId, { status: 'cancelled' });
  }

  async queryAttempts(rolloutId: string, query: PageOptions = {}): Promise<PaginatedResult<Attempt>> {
    const entry = this.#rollouts.get(rolloutId);
    if (!entry) throw new NotFoundError(`Rollout ${rolloutId} not found`);
    const page = paginate(entry.attempts, { sortBy: 'sequence_id', ...query }, ATTEMPT_SORTABLE);
    return { ...page, items: page.items.map(clone) };
  }

  async getLatestAttempt(rolloutId: string): Promise<Attempt | null> {
    const entry = this.#rollouts.get(rolloutId);
    if (!entry) throw new NotFoundError(`Rollout ${rolloutId} not found`);
    const latest = entry.attempts[entry.attempts.length - 1];
    return latest ? clone(latest) : null;
  }

  async updateAttempt(rolloutId: string, attemptId: string, update: AttemptUpdate): Promise<Attempt> {
    if (update.status !== undefined && !ATTEMPT_STATUSES.includes(update.status)) {
      throw StoreValidationError.at(['status'], `Expected one of ${ATTEMPT_STATUSES.join(', ')}`, 'enum');
    }
    if (update.lastHeartbeatTime !== undefined && update.lastHeartbeatTime !== null && !Number.isFinite(update.lastHeartbeatTime)) {
      throw StoreValidationError.at(['last_heartbeat_time'], 'Expected a number of seconds or null', 'float_type');
    }
    return this.#mutate((draft) => {
      const entry = this.#edit(draft, rolloutId);
      const index = attemptId === 'latest' ? entry.attempts.length - 1 : entry.attempts.findIndex((item) => item.attempt_id === attemptId);
      if (index < 0) throw new NotFoundError(`Attempt ${attemptId} of rollout ${rolloutId} not found`);
      const attempt = { ...entry.attempts[index] };
      if (update.workerId !== undefined) attempt.worker_id = update.workerId;
      if (update.lastHeartbeatTime !== undefined) attempt.last_heartbeat_time = update.lastHeartbeatTime;
      if (update.metadata !== undefined) attempt.metadata = update.metadata;
      this.#putAttempt(draft, entry, attempt);
      const workerChanged = update.workerId !== undefined && update.workerId !== null;
      if (update.status !== undefined && update.status !== attempt.status) {
        this.#setAttemptStatus(draft, entry, index, update.status, nowSeconds());
      } else if (workerChanged) {
        this.#syncWorker(draft, entry.attempts[index], nowSeconds());
      }
      return clone(entry.attempts[index]);
    });
  }

  async waitForRollouts(rolloutIds: readonly string[], options: WaitOptions = {}): Promise<Rollout[]> {
    const timeoutSeconds = options.timeoutSeconds ?? null;
    if (timeoutSeconds !== null && (!Number.isFinite(timeoutSeconds) || timeoutSeconds < 0)) {
      throw StoreValidationError.at(['timeout'], `Expected a number of seconds ≥ 0 or null, got ${JSON.stringify(timeoutSeconds)}`, 'float_type');
    }
    const finished = (): Rollout[] =>
      rolloutIds.flatMap((id) => {
        const entry = this.#rollouts.get(id);
        return entry && isTerminalRolloutStatus(entry.rollout.status) ? [clone(entry.rollout)] : [];
      });
    const pending = (): string[] =>
      rolloutIds.filter((id) => {
        const entry = this.#rollouts.get(id);
        return entry !== undefined && !isTerminalRolloutStatus(entry.rollout.status);
      });
    if (pending().length === 0 || timeoutSeconds === 0 || this.#closed || options.signal?.aborted) return finished();
    await new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | null = null;
      const ids = new Set(pending());
      const unfinished = new Set(ids);
      // Called (with its id) when one of the rollouts finished: constant time, however many wait.
      const check = (id: string): void => {
        unfinished.delete(id);
        if (unfinished.size === 0) done();
      };
      const done = (): void => {
        if (timer) clearTimeout(timer);
        for (const id of ids) this.#waiters.get(id)?.delete(check);
        options.signal?.removeEventListener('abort', done);
        this.#closeWaiters.delete(done);
        resolve();
      };
      for (const id of ids) {
        let set = this.#waiters.get(id);
        if (!set) this.#waiters.set(id, (set = new Set()));
        set.add(check);
      }
      if (timeoutSeconds !== null) timer = setTimeout(done, timeoutSeconds * 1000);
      options.signal?.addEventListener('abort', done, { once: true });
      this.#closeWaiters.add(done);
    });
    return finished();
  }

  // --------------------------------------------------------------- resources

  async addResources(resources: NamedResources): Promise<ResourcesUpdate> {
    checkResources(resources);
    return this.#mutate((draft) => this.#putResources(draft, newId('rs-', 6), resources));
  }

  async updateResources(resourcesId: string, resources: NamedResources): Promise<ResourcesUpdate> {
    checkResources(resources);
    if (typeof resourcesId !== 'string' || resourcesId === '') throw StoreValidationError.at(['resources_id'], 'Expected a non-empty string', 'string_type');
    return this.#mutate((draft) => this.#putResources(draft, resourcesId, resources));
  }

  async getLatestResources(): Promise<ResourcesUpdate | null> {
    return this.#latestResourcesId === null ? null : clone(this.#resources.get(this.#latestResourcesId)!);
  }

  async getResources(resourcesId: string): Promise<ResourcesUpdate | null> {
    const found = this.#resources.get(resourcesId);
    return found ? clone(found) : null;
  }

  async queryResources(query: ResourcesQuery = {}): Promise<PaginatedResult<ResourcesUpdate>> {
    const items = [...this.#resources.values()].filter(
      (item) =>
        (query.resourcesId == null || item.resources_id === query.resourcesId) &&
        (query.resourcesIdContains == null || item.resources_id.includes(query.resourcesIdContains)),
    );
    const page = paginate(items, query, RESOURCES_SORTABLE);
    return { ...page, items: page.items.map(clone) };
  }

  // ----------------------------------------------------------------- workers

  async updateWorker(workerId: string, options: { heartbeatStats?: Record<string, unknown> | null } = {}): Promise<Worker> {
    if (typeof workerId !== 'string' || workerId === '') throw StoreValidationError.at(['worker_id'], 'Expected a non-empty string', 'string_type');
    return this.#mutate((draft) => {
      const worker = this.#editWorker(draft, workerId);
      worker.last_heartbeat_time = nowSeconds();
      if (options.heartbeatStats !== undefined) worker.heartbeat_stats = options.heartbeatStats;
      return clone(worker);
    });
  }

  async getWorker(workerId: string): Promise<Worker | null> {
    const worker = this.#workers.get(workerId);
    return worker ? clone(worker) : null;
  }

  async queryWorkers(query: WorkerQuery = {}): Promise<PaginatedResult<Worker>> {
    checkPage(query);
    const statusIn = checkEnumList(query.statusIn, WORKER_STATUSES, 'status_in');
    const logic = checkFilterLogic(query.filterLogic);
    const tests: ((worker: Worker) => boolean)[] = [];
    if (statusIn) tests.push((worker) => statusIn.includes(worker.status));
    if (query.workerIdContains != null) tests.push((worker) => worker.worker_id.includes(query.workerIdContains!));
    const matches = [...this.#workers.values()].filter((worker) => combine(tests, logic, worker));
    const page = paginate(matches, query, WORKER_SORTABLE);
    return { ...page, items: page.items.map(clone) };
  }

  // ------------------------------------------------------------------- spans

  async getNextSpanSequenceId(rolloutId: string, attemptId: string): Promise<number> {
    if (typeof rolloutId !== 'string' || typeof attemptId !== 'string') {
      throw StoreValidationError.at(['rollout_id'], 'Expected string `rollout_id` and `attempt_id`', 'string_type');
    }
    return this.#mutate((draft) => {
      const next = this.#lastSequenceId(draft, rolloutId) + 1;
      draft.sequences.set(rolloutId, next);
      return next;
    });
  }

  async addSpan(span: Span): Promise<Span | null> {
    const mapped = spanToMapped(span);
    const entry = this.#rollouts.get(span.rollout_id);
    if (!entry) throw new NotFoundError(`Rollout ${span.rollout_id} not found`);
    if (!entry.attempts.some((attempt) => attempt.attempt_id === span.attempt_id)) {
      throw new NotFoundError(`Attempt ${span.attempt_id} of rollout ${span.rollout_id} not found`);
    }
    const rows = toSpanRows([mapped]);
    const result = await this.#spanSink.write(rows);
    if (result.kind === 'overloaded') return null;
    // The sink's onCommitted queued the heartbeat already; let it land before answering.
    await this.flushSpanActivity();
    const [stored] = (await this.querySpans({ rolloutId: span.rollout_id, attemptId: span.attempt_id, spanId: mapped.span.spanId, limit: 1 })).items;
    return stored ?? null;
  }

  async querySpans(query: SpanQuery): Promise<PaginatedResult<Span>> {
    const { limit, offset, sortOrder } = checkPage(query);
    if (typeof query.rolloutId !== 'string') throw StoreValidationError.at(['rollout_id'], 'Field required', 'missing');
    const logic = checkFilterLogic(query.filterLogic);
    const must: string[] = ['rollout_id = $rollout_id'];
    const values: Record<string, DuckDBValue> = { rollout_id: query.rolloutId };
    let attemptId = query.attemptId ?? null;
    if (attemptId === 'latest') {
      const latest = this.#rollouts.get(query.rolloutId)?.attempts.at(-1);
      if (!latest) return { items: [], limit, offset, total: 0 };
      attemptId = latest.attempt_id;
    }
    if (attemptId !== null) {
      must.push('attempt_id = $attempt_id');
      values.attempt_id = attemptId;
    }
    const optional: string[] = [];
    const field = (column: string, exact: string | null | undefined, contains: string | null | undefined): void => {
      const parts: string[] = [];
      if (exact != null) {
        parts.push(`${column} = $${column}_exact`);
        values[`${column}_exact`] = exact;
      }
      if (contains != null) {
        parts.push(`contains(${column}, $${column}_contains)`);
        values[`${column}_contains`] = contains;
      }
      if (parts.length > 0) optional.push(`(${parts.join(' AND ')})`);
    };
    field('trace_id', query.traceId, query.traceIdContains);
    field('span_id', query.spanId, query.spanIdContains);
    field('parent_span_id', query.parentId, query.parentIdContains);
    field('name', query.name, query.nameContains);
    const where = [...must, ...(optional.length > 0 ? [`(${optional.join(logic === 'and' ? ' AND ' : ' OR ')})`] : [])].join(' AND ');
    const sortBy = query.sortBy === undefined ? 'sequence_id' : query.sortBy;
    let order = '';
    if (sortBy !== null) {
      const column = SPAN_SORT_COLUMNS[sortBy];
      if (!column) throw StoreValidationError.at(['sort_by'], `Cannot sort spans by \`${sortBy}\`; use one of ${Object.keys(SPAN_SORT_COLUMNS).join(', ')}`, 'enum');
      const direction = sortOrder === 'desc' ? 'DESC' : 'ASC';
      order = `ORDER BY ${column} ${direction} NULLS LAST, start_time_unix_nano ${direction}, span_id`;
    }
    const page = limit === -1 ? `OFFSET ${offset}` : `LIMIT ${limit} OFFSET ${offset}`;
    const rowsReader = await this.#reader.runAndReadAll(`SELECT ${SPAN_SELECT_COLUMNS} FROM spans WHERE ${where} ${order} ${page}`, values);
    const countReader = await this.#reader.runAndReadAll(`SELECT count(*) AS n FROM spans WHERE ${where}`, values);
    const items = (rowsReader.getRowObjectsJS() as unknown as SpanRow[]).map(spanFromRow);
    return { items, limit, offset, total: Number(countReader.getRows()[0][0]) };
  }

  /**
   * Spans committed for some attempts (from `DuckDBSpanSink`'s `onCommitted`): each counts as
   * its attempt's heartbeat, moves a `preparing` or `unresponsive` attempt to `running` (and its
   * rollout, when the attempt is the latest and the rollout was not yet running or finished), and
   * raises the rollout's span sequence counter. Applied in the background, batched.
   */
  recordSpanActivity(activities: readonly SpanAttemptActivity[]): void {
    if (this.#closed) return;
    // Only spans of attempts the store handed out matter here (an attempt id exists only once its
    // dequeue or start committed); spans of other traces cost the store nothing.
    const known = activities.filter((activity) => this.#rollouts.has(activity.rolloutId));
    if (known.length === 0) return;
    this.#pendingActivity.push(...known);
    this.#activityFlush ??= this.#applyActivity();
  }

  /** Resolves when the span activity recorded so far is applied. */
  async flushSpanActivity(): Promise<void> {
    while (this.#activityFlush) await this.#activityFlush;
  }

  async statistics(): Promise<StoreStatistics> {
    const reader = await this.#reader.runAndReadAll('SELECT count(*) FROM spans');
    let attempts = 0;
    let queued = 0;
    const byStatus: Record<string, number> = {};
    for (const entry of this.#rollouts.values()) {
      attempts += entry.attempts.length;
      byStatus[entry.rollout.status] = (byStatus[entry.rollout.status] ?? 0) + 1;
      if (isQueuedRolloutStatus(entry.rollout.status)) queued++;
    }
    return {
      name: 'DuckDBLightningStore',
      total_rollouts: this.#rollouts.size,
      total_attempts: attempts,
      total_spans: Number(reader.getRows()[0][0]),
      total_resources: this.#resources.size,
      total_workers: this.#workers.size,
      uptime: nowSeconds() - this.#openedAt,
      queue_length: queued,
      rollouts_by_status: byStatus,
    };
  }

  /** Stops the watchdog, ends every wait with what is finished, lets writes under way commit. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#watchdog) clearInterval(this.#watchdog);
      await this.flushSpanActivity();
      this.#closed = true;
      for (const done of [...this.#closeWaiters]) done();
      await this.#committer.flush();
      if (this.#ownsSink) await this.#spanSink.close();
      for (const statement of Object.values(this.#statements)) statement.destroySync();
      this.#database.release(this.#writer);
      this.#database.release(this.#reader);
    })();
    return this.#closing;
  }

  // ------------------------------------------------------------- internals

  /**
   * Runs `build` when the next group forms (after the operations queued before it), writes its
   * changes with the group's, and resolves with what `build` returned once they committed and
   * reached the mirror. When `build` throws, nothing of it is written and it rejects with that.
   */
  #mutate<T>(build: (draft: Draft) => T): Promise<T> {
    if (this.#closed) return Promise.reject(new Error('The store is closed'));
    const write: StoreWrite = { build, result: undefined, failure: null };
    return this.#committer.submit(write).then(() => {
      if (write.failure) throw write.failure.error;
      return write.result as T;
    });
  }

  /**
   * Builds a group inside the open transaction: each operation in turn, against the mirror plus
   * the changes of those before it (the overlay), then writes the overlay. Runs again for one
   * operation alone when its group failed, so it starts from the mirror every time.
   */
  async #writeGroup(group: readonly StoreWrite[]): Promise<void> {
    this.#overlay = emptyDraft();
    this.#groupQueueHead = this.#queueHead;
    for (const write of group) {
      const draft = emptyDraft();
      write.failure = null;
      try {
        write.result = write.build(draft);
      } catch (error) {
        write.failure = { error };
        continue;
      }
      mergeDraft(this.#overlay, draft);
    }
    await this.#persist(this.#overlay);
  }

  async #persist(draft: Draft): Promise<void> {
    const run = async (statement: DuckDBPreparedStatement, rows: Record<string, unknown>[]): Promise<void> => {
      if (rows.length === 0) return;
      statement.bind([JSON.stringify(rows)]);
      await statement.run();
    };
    await run(
      this.#statements.rollout,
      [...draft.rollouts.values()].map(({ rollout, attempts, queuePosition, createdOrder }) => ({
        rollout_id: rollout.rollout_id,
        input: JSON.stringify(rollout.input ?? null),
        mode: rollout.mode,
        resources_id: rollout.resources_id,
        status: rollout.status,
        start_time: rollout.start_time,
        end_time: rollout.end_time,
        max_attempts: rollout.config.max_attempts,
        retry_condition: JSON.stringify(rollout.config.retry_condition),
        timeout_seconds: rollout.config.timeout_seconds,
        unresponsive_seconds: rollout.config.unresponsive_seconds,
        metadata: jsonOrNull(rollout.metadata),
        queue_position: queuePosition,
        created_order: createdOrder,
        attempt_count: attempts.length,
        latest_attempt_id: attempts.at(-1)?.attempt_id ?? null,
      })),
    );
    await run(
      this.#statements.attempt,
      [...draft.attempts.values()].map((attempt) => ({ ...attempt, metadata: jsonOrNull(attempt.metadata) })),
    );
    await run(
      this.#statements.worker,
      [...draft.workers.values()].map((worker) => ({ ...worker, heartbeat_stats: jsonOrNull(worker.heartbeat_stats) })),
    );
    await run(
      this.#statements.resources,
      draft.resources.map(({ update, order }) => ({
        resources_id: update.resources_id,
        version: update.version,
        resources: JSON.stringify(update.resources),
        create_time: update.create_time,
        update_time: update.update_time,
        update_order: order,
      })),
    );
    await run(
      this.#statements.sequence,
      [...draft.sequences].map(([rolloutId, last]) => ({ rollout_id: rolloutId, last_sequence_id: last })),
    );
  }

  /** Applies the committed overlay to the mirror and wakes the waits it finished. */
  #apply(): void {
    const draft = this.#overlay;
    this.#overlay = emptyDraft();
    const queued: { rolloutId: string; position: number }[] = [];
    for (const [id, entry] of draft.rollouts) {
      const before = this.#rollouts.get(id);
      this.#rollouts.set(id, entry);
      if (entry.queuePosition !== null && before?.queuePosition !== entry.queuePosition) {
        queued.push({ rolloutId: id, position: entry.queuePosition });
      }
      const status = entry.rollout.status;
      if (status === 'preparing' || status === 'running') this.#active.add(id);
      else this.#active.delete(id);
      if (isTerminalRolloutStatus(status)) {
        const waiters = this.#waiters.get(id);
        if (waiters) {
          this.#waiters.delete(id);
          for (const check of [...waiters]) check(id);
        }
      }
    }
    // Positions are handed out in order, but a group may change rollouts in another order.
    if (queued.length > 0) this.#queue.push(...queued.sort((a, b) => a.position - b.position));
    for (const [id, worker] of draft.workers) this.#workers.set(id, worker);
    for (const { update } of draft.resources) {
      // Re-inserted so that the map keeps the latest version; creation order kept by `create_time`.
      this.#resources.set(update.resources_id, update);
      this.#latestResourcesId = update.resources_id;
    }
    for (const [id, last] of draft.sequences) this.#sequences.set(id, last);
    this.#compactQueue();
  }

  #compactQueue(): void {
    while (this.#queueHead < this.#queue.length) {
      const { rolloutId, position } = this.#queue[this.#queueHead];
      if (this.#rollouts.get(rolloutId)?.queuePosition === position) break;
      this.#queueHead++;
    }
    if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#queueHead);
      this.#queueHead = 0;
    }
  }

  /** A rollout as the operation being built sees it: its own changes, its group's, the mirror. */
  #read(draft: Draft, rolloutId: string): RolloutEntry | undefined {
    return draft.rollouts.get(rolloutId) ?? this.#overlay.rollouts.get(rolloutId) ?? this.#rollouts.get(rolloutId);
  }

  /** The draft's copy of a rollout entry, for changing; `NotFoundError` when unknown. */
  #edit(draft: Draft, rolloutId: string): RolloutEntry {
    let entry = draft.rollouts.get(rolloutId);
    if (entry) return entry;
    const base = this.#overlay.rollouts.get(rolloutId) ?? this.#rollouts.get(rolloutId);
    if (!base) throw new NotFoundError(`Rollout ${rolloutId} not found`);
    entry = { ...base, rollout: { ...base.rollout }, attempts: base.attempts.slice() };
    draft.rollouts.set(rolloutId, entry);
    return entry;
  }

  #editWorker(draft: Draft, workerId: string): Worker {
    let worker = draft.workers.get(workerId);
    if (worker) return worker;
    const base = this.#overlay.workers.get(workerId) ?? this.#workers.get(workerId);
    worker = base
      ? { ...base }
      : {
          worker_id: workerId,
          status: 'unknown',
          heartbeat_stats: null,
          last_heartbeat_time: null,
          last_dequeue_time: null,
          last_busy_time: null,
          last_idle_time: null,
          current_rollout_id: null,
          current_attempt_id: null,
        };
    draft.workers.set(workerId, worker);
    return worker;
  }

  #lastSequenceId(draft: Draft, rolloutId: string): number {
    return draft.sequences.get(rolloutId) ?? this.#overlay.sequences.get(rolloutId) ?? this.#sequences.get(rolloutId) ?? 0;
  }

  /** The latest version of a resources id as the operation being built sees it. */
  #latestVersion(draft: Draft, resourcesId: string): ResourcesUpdate | undefined {
    for (const changes of [draft, this.#overlay]) {
      const found = changes.resources.findLast(({ update }) => update.resources_id === resourcesId);
      if (found) return found.update;
    }
    return this.#resources.get(resourcesId);
  }

  #latestResourcesIdIn(draft: Draft): string | null {
    return draft.resources.at(-1)?.update.resources_id ?? this.#overlay.resources.at(-1)?.update.resources_id ?? this.#latestResourcesId;
  }

  #putAttempt(draft: Draft, entry: RolloutEntry, attempt: Attempt): void {
    entry.attempts[attempt.sequence_id - 1] = attempt;
    draft.attempts.set(attemptKey(attempt.rollout_id, attempt.attempt_id), attempt);
  }

  #createRollout(draft: Draft, request: CheckedNewRollout, now: number, status: RolloutStatus): RolloutEntry {
    const entry: RolloutEntry = {
      rollout: {
        rollout_id: newId('ro-', 6),
        input: request.input,
        start_time: now,
        end_time: null,
        mode: request.mode,
        resources_id: request.resourcesId === null ? this.#latestResourcesIdIn(draft) : request.resourcesId,
        status,
        config: request.config,
        metadata: request.metadata,
      },
      attempts: [],
      queuePosition: isQueuedRolloutStatus(status) ? ++this.#queueCounter : null,
      createdOrder: ++this.#createdCounter,
    };
    draft.rollouts.set(entry.rollout.rollout_id, entry);
    return entry;
  }

  #newAttempt(draft: Draft, entry: RolloutEntry, workerId: string | null, now: number): Attempt {
    const attempt: Attempt = {
      rollout_id: entry.rollout.rollout_id,
      attempt_id: newId('at-', 6),
      sequence_id: entry.attempts.length + 1,
      start_time: now,
      end_time: null,
      status: 'preparing',
      worker_id: workerId,
      last_heartbeat_time: null,
      metadata: {},
    };
    this.#putAttempt(draft, entry, attempt);
    this.#setRolloutStatus(entry, 'preparing', now);
    if (workerId !== null) this.#syncWorker(draft, attempt, now);
    return attempt;
  }

  /** Sets a rollout's status with its consequences (end time, queue position). */
  #setRolloutStatus(entry: RolloutEntry, status: RolloutStatus, now: number): void {
    entry.rollout.status = status;
    if (isTerminalRolloutStatus(status)) entry.rollout.end_time = now;
    if (isQueuedRolloutStatus(status)) entry.queuePosition ??= ++this.#queueCounter;
    else entry.queuePosition = null;
  }

  /**
   * Sets an attempt's status. A final attempt (`succeeded`, `failed`, `timeout`) takes no other
   * status (`ConflictError`). The latest attempt's status carries over to an unfinished rollout.
   */
  #setAttemptStatus(draft: Draft, entry: RolloutEntry, index: number, status: AttemptStatus, now: number): void {
    const current = entry.attempts[index];
    if (current.status === status) return;
    if (isFinalAttemptStatus(current.status)) {
      throw new ConflictError(`Attempt ${current.attempt_id} of rollout ${current.rollout_id} is ${current.status}; it cannot become ${status}`);
    }
    const attempt = { ...current, status };
    if (isFinalAttemptStatus(status)) attempt.end_time = now;
    this.#putAttempt(draft, entry, attempt);
    if (index === entry.attempts.length - 1 && !isTerminalRolloutStatus(entry.rollout.status)) {
      const next = rolloutStatusFromAttempt(attempt, entry.rollout.config);
      if (next !== entry.rollout.status) this.#setRolloutStatus(entry, next, now);
    }
    this.#syncWorker(draft, attempt, now);
  }

  /** A worker follows the status of the attempt it runs (as Agent Lightning's store does). */
  #syncWorker(draft: Draft, attempt: Attempt, now: number): void {
    if (!attempt.worker_id) return;
    const worker = this.#editWorker(draft, attempt.worker_id);
    if (attempt.status === 'succeeded' || attempt.status === 'failed' || attempt.status === 'timeout' || attempt.status === 'unresponsive') {
      // Only when the worker is still on this attempt: it may have moved on already.
      if (worker.current_attempt_id !== null && worker.current_attempt_id !== attempt.attempt_id) return;
      const status = attempt.status === 'succeeded' || attempt.status === 'failed' ? 'idle' : 'unknown';
      Object.assign(worker, { status, last_idle_time: now, current_rollout_id: null, current_attempt_id: null });
    } else {
      Object.assign(worker, {
        status: 'busy',
        last_busy_time: now,
        current_rollout_id: attempt.rollout_id,
        current_attempt_id: attempt.attempt_id,
      });
    }
  }

  #putResources(draft: Draft, resourcesId: string, resources: NamedResources): ResourcesUpdate {
    const now = nowSeconds();
    const existing = this.#latestVersion(draft, resourcesId);
    const update: ResourcesUpdate = {
      resources_id: resourcesId,
      create_time: existing?.create_time ?? now,
      update_time: now,
      version: (existing?.version ?? 0) + 1,
      resources: clone(resources),
    };
    draft.resources.push({ update, order: ++this.#resourcesCounter });
    return clone(update);
  }

  async #applyActivity(): Promise<void> {
    try {
      while (this.#pendingActivity.length > 0 && !this.#closed) {
        const batch = this.#pendingActivity;
        this.#pendingActivity = [];
        await this.#mutate((draft) => {
          const now = nowSeconds();
          for (const activity of batch) {
            const base = this.#read(draft, activity.rolloutId);
            const index = base?.attempts.findIndex((attempt) => attempt.attempt_id === activity.attemptId) ?? -1;
            // Spans of rollouts the store does not know are stored all the same, but cost the store
            // nothing (no write on the ingest path).
            if (!base || index < 0) continue;
            if (activity.maxSequenceId !== null) {
              const current = this.#lastSequenceId(draft, activity.rolloutId);
              if (activity.maxSequenceId > current) draft.sequences.set(activity.rolloutId, activity.maxSequenceId);
            }
            const entry = this.#edit(draft, activity.rolloutId);
            const attempt = { ...entry.attempts[index], last_heartbeat_time: now };
            const revived = attempt.status === 'preparing' || attempt.status === 'unresponsive';
            if (revived) attempt.status = 'running';
            this.#putAttempt(draft, entry, attempt);
            const latest = index === entry.attempts.length - 1;
            const status = entry.rollout.status;
            // Spans are applied after their commit, so they can arrive after the runner already
            // reported the attempt finished (e.g. failed → rollout requeuing): then they must not
            // revive the rollout.
            if (latest && !isFinalAttemptStatus(attempt.status) && (status === 'preparing' || status === 'queuing' || status === 'requeuing')) {
              this.#setRolloutStatus(entry, 'running', now);
            }
            if (revived) this.#syncWorker(draft, attempt, now);
          }
        }).catch(() => undefined); // A failed heartbeat write loses a heartbeat, nothing else.
      }
    } finally {
      this.#activityFlush = null;
    }
  }

  async #runWatchdog(): Promise<void> {
    if (this.#watchdogRunning || this.#closed) return;
    this.#watchdogRunning = true;
    try {
      await this.checkHealth();
    } catch {
      // The next tick tries again.
    } finally {
      this.#watchdogRunning = false;
    }
  }

  /**
   * One watchdog pass: the latest attempt of each preparing or running rollout is marked `timeout`
   * (running longer than `timeout_seconds` since it started) or `unresponsive` (no heartbeat or
   * span for `unresponsive_seconds`, counted from its start when it never had one), which requeues
   * or fails the rollout per its config. Returns how many attempts were marked.
   */
  async checkHealth(): Promise<number> {
    return this.#mutate((draft) => {
      const now = nowSeconds();
      let marked = 0;
      for (const rolloutId of this.#active) {
        // As the operations before this one in its group left it.
        const entry = this.#read(draft, rolloutId)!;
        const attempt = entry.attempts.at(-1);
        if (!attempt || (attempt.status !== 'preparing' && attempt.status !== 'running')) continue;
        const { timeout_seconds: timeout, unresponsive_seconds: unresponsive } = entry.rollout.config;
        let status: AttemptStatus | null = null;
        if (timeout !== null && now - attempt.start_time > timeout) status = 'timeout';
        else if (unresponsive !== null && now - (attempt.last_heartbeat_time ?? attempt.start_time) > unresponsive) status = 'unresponsive';
        if (status === null) continue;
        this.#setAttemptStatus(draft, this.#edit(draft, rolloutId), attempt.sequence_id - 1, status, now);
        marked++;
      }
      return marked;
    });
  }

  #checkNewRollout(request: NewRollout, loc: (string | number)[]): CheckedNewRollout {
    if (typeof request !== 'object' || request === null) throw StoreValidationError.at(loc, 'Expected an object', 'dict_type');
    if (!('input' in request)) throw StoreValidationError.at([...loc, 'input'], 'Field required', 'missing');
    const mode = request.mode ?? null;
    if (mode !== null && !ROLLOUT_MODES.includes(mode)) {
      throw StoreValidationError.at([...loc, 'mode'], `Expected one of ${ROLLOUT_MODES.join(', ')} or null`, 'enum');
    }
    const resourcesId = request.resourcesId ?? null;
    if (resourcesId !== null && typeof resourcesId !== 'string') throw StoreValidationError.at([...loc, 'resources_id'], 'Expected a string or null', 'string_type');
    const metadata = request.metadata ?? {};
    if (typeof metadata !== 'object' || Array.isArray(metadata)) throw StoreValidationError.at([...loc, 'metadata'], 'Expected an object or null', 'dict_type');
    return { input: request.input ?? null, mode, resourcesId, config: checkConfig(request.config ?? {}, [...loc, 'config']), metadata };
  }

  async #load(): Promise<void> {
    const rows = async (sql: string): Promise<Record<string, unknown>[]> =>
      (await this.#reader.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
    const attempts = new Map<string, Attempt[]>();
    for (const row of await rows('SELECT * FROM attempts ORDER BY rollout_id, sequence_id')) {
      const attempt: Attempt = {
        rollout_id: row.rollout_id as string,
        attempt_id: row.attempt_id as string,
        sequence_id: Number(row.sequence_id),
        start_time: row.start_time as number,
        end_time: row.end_time as number | null,
        status: row.status as AttemptStatus,
        worker_id: row.worker_id as string | null,
        last_heartbeat_time: row.last_heartbeat_time as number | null,
        metadata: parseOrNull(row.metadata),
      };
      let list = attempts.get(attempt.rollout_id);
      if (!list) attempts.set(attempt.rollout_id, (list = []));
      list.push(attempt);
    }
    const queued: { rolloutId: string; position: number }[] = [];
    for (const row of await rows('SELECT * FROM rollouts ORDER BY created_order')) {
      const entry: RolloutEntry = {
        rollout: {
          rollout_id: row.rollout_id as string,
          input: JSON.parse(row.input as string),
          start_time: row.start_time as number,
          end_time: row.end_time as number | null,
          mode: row.mode as Rollout['mode'],
          resources_id: row.resources_id as string | null,
          status: row.status as RolloutStatus,
          config: {
            timeout_seconds: row.timeout_seconds as number | null,
            unresponsive_seconds: row.unresponsive_seconds as number | null,
            max_attempts: Number(row.max_attempts),
            retry_condition: JSON.parse(row.retry_condition as string),
          },
          metadata: parseOrNull(row.metadata),
        },
        attempts: attempts.get(row.rollout_id as string) ?? [],
        queuePosition: row.queue_position === null ? null : Number(row.queue_position),
        createdOrder: Number(row.created_order),
      };
      this.#rollouts.set(entry.rollout.rollout_id, entry);
      this.#createdCounter = Math.max(this.#createdCounter, entry.createdOrder);
      if (entry.queuePosition !== null) {
        queued.push({ rolloutId: entry.rollout.rollout_id, position: entry.queuePosition });
        this.#queueCounter = Math.max(this.#queueCounter, entry.queuePosition);
      }
      if (entry.rollout.status === 'preparing' || entry.rollout.status === 'running') this.#active.add(entry.rollout.rollout_id);
    }
    this.#queue = queued.sort((a, b) => a.position - b.position);
    for (const row of await rows('SELECT * FROM workers ORDER BY worker_id')) {
      this.#workers.set(row.worker_id as string, { ...(row as unknown as Worker), heartbeat_stats: parseOrNull(row.heartbeat_stats) });
    }
    const latestVersions = await rows(`SELECT resources_id, version, CAST(resources AS VARCHAR) AS resources, create_time, update_time, update_order
      FROM resources QUALIFY row_number() OVER (PARTITION BY resources_id ORDER BY version DESC) = 1 ORDER BY update_order`);
    for (const row of latestVersions) {
      this.#resources.set(row.resources_id as string, {
        resources_id: row.resources_id as string,
        create_time: row.create_time as number,
        update_time: row.update_time as number,
        version: Number(row.version),
        resources: JSON.parse(row.resources as string),
      });
      this.#latestResourcesId = row.resources_id as string;
      this.#resourcesCounter = Math.max(this.#resourcesCounter, Number(row.update_order));
    }
    for (const row of await rows('SELECT rollout_id, last_sequence_id FROM span_sequence_ids')) {
      this.#sequences.set(row.rollout_id as string, Number(row.last_sequence_id));
    }
  }
}

interface CheckedNewRollout {
  input: unknown;
  mode: Rollout['mode'];
  resourcesId: string | null;
  config: RolloutConfig;
  metadata: Record<string, unknown> | null;
}

/** The rollout status an attempt's status implies (Agent Lightning's rule). */
export function rolloutStatusFromAttempt(attempt: Attempt, config: RolloutConfig): RolloutStatus {
  switch (attempt.status) {
    case 'preparing':
    case 'running':
    case 'succeeded':
      return attempt.status;
    default:
      return config.retry_condition.includes(attempt.status) && attempt.sequence_id < config.max_attempts ? 'requeuing' : 'failed';
  }
}

/** A config with defaults filled in; throws on a bad field. */
export function checkConfig(config: Partial<RolloutConfig>, loc: (string | number)[]): RolloutConfig {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw StoreValidationError.at(loc, 'Expected an object', 'dict_type');
  const maxAttempts = config.max_attempts ?? 1;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw StoreValidationError.at([...loc, 'max_attempts'], `Expected an integer ≥ 1, got ${JSON.stringify(maxAttempts)}`, 'greater_than_equal');
  }
  const retry = config.retry_condition ?? [];
  if (!Array.isArray(retry) || retry.some((status) => !ATTEMPT_STATUSES.includes(status))) {
    throw StoreValidationError.at([...loc, 'retry_condition'], `Expected a list of ${ATTEMPT_STATUSES.join(', ')}`, 'enum');
  }
  for (const field of ['timeout_seconds', 'unresponsive_seconds'] as const) {
    const value = config[field];
    if (value !== undefined && value !== null && (typeof value !== 'number' || !Number.isFinite(value) || value < 0)) {
      throw StoreValidationError.at([...loc, field], `Expected a number of seconds ≥ 0 or null, got ${JSON.stringify(value)}`, 'float_type');
    }
  }
  return {
    timeout_seconds: config.timeout_seconds ?? null,
    unresponsive_seconds: config.unresponsive_seconds ?? null,
    max_attempts: maxAttempts,
    retry_condition: [...retry],
  };
}

function checkResources(resources: NamedResources): void {
  if (typeof resources !== 'object' || resources === null || Array.isArray(resources)) {
    throw StoreValidationError.at(['resources'], 'Expected an object of named resources', 'dict_type');
  }
  for (const [name, resource] of Object.entries(resources)) {
    if (typeof resource !== 'object' || resource === null || typeof resource.resource_type !== 'string') {
      throw StoreValidationError.at(['resources', name, 'resource_type'], 'Expected an object with a string `resource_type`', 'missing');
    }
  }
}

function checkEnumList<T extends string>(values: readonly T[] | null | undefined, allowed: readonly T[], field: string): readonly T[] | null {
  if (values === null || values === undefined) return null;
  const bad = values.findIndex((value) => !allowed.includes(value));
  if (!Array.isArray(values) || bad >= 0) {
    throw StoreValidationError.at([field, bad], `Expected one of ${allowed.join(', ')}`, 'enum');
  }
  return values;
}

function checkFilterLogic(logic: string | undefined): 'and' | 'or' {
  if (logic === undefined || logic === 'and' || logic === 'or') return logic ?? 'and';
  throw StoreValidationError.at(['filter_logic'], `Expected 'and' or 'or', got ${JSON.stringify(logic)}`, 'enum');
}

function combine<T>(tests: ((item: T) => boolean)[], logic: 'and' | 'or', item: T): boolean {
  if (tests.length === 0) return true;
  return logic === 'and' ? tests.every((test) => test(item)) : tests.some((test) => test(item));
}

function withLatestAttempt(entry: RolloutEntry): Rollout | AttemptedRollout {
  const latest = entry.attempts.at(-1);
  return latest ? { ...clone(entry.rollout), attempt: clone(latest) } : clone(entry.rollout);
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function jsonOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

function parseOrNull<T>(value: unknown): T | null {
  return value === null || value === undefined ? null : (JSON.parse(value as string) as T);
}

/**
 * One statement inserting (or replacing, by primary key) every row of a JSON array of objects
 * given as its only parameter; `columns` are the table's columns in order with their types.
 */
function bulkInsert(table: string, columns: readonly (readonly [string, string])[], replace: boolean): string {
  const struct = JSON.stringify(Object.fromEntries(columns));
  const select = columns.map(([name]) => `r.${name}`).join(', ');
  return `INSERT ${replace ? 'OR REPLACE ' : ''}INTO ${table} SELECT ${select} FROM (SELECT unnest(from_json($1, '[${struct}]')) AS r)`;
}

/** Merges an operation's changes into its group's (later changes of the same row win). */
function mergeDraft(into: Draft, draft: Draft): void {
  for (const [id, entry] of draft.rollouts) into.rollouts.set(id, entry);
  for (const [key, attempt] of draft.attempts) into.attempts.set(key, attempt);
  for (const [id, worker] of draft.workers) into.workers.set(id, worker);
  into.resources.push(...draft.resources);
  for (const [id, last] of draft.sequences) into.sequences.set(id, last);
}
