import { ConflictError } from '../errors/index.ts';
import { DuckDBSpanSink } from '../storage/index.ts';
import type { Database, SpanAttemptActivity, SpanRows, SpanSink } from '../storage/index.ts';
import { DraftCommitter } from './draft-committer.ts';
import { DraftEditor } from './draft-editor.ts';
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
import { loadMirror } from './mirror-loader.ts';
import { queryAttempts, queryResources, queryRollouts, queryWorkers, withLatestAttempt } from './mirror-queries.ts';
import { applyAttemptUpdate, applyRolloutUpdate, takeQueuedRollouts } from './rollout-operations.ts';
import { RolloutWaiters } from './rollout-waiters.ts';
import { clone, newId, nowSeconds } from './store-draft.ts';
import type { Draft } from './store-draft.ts';
import { checkAttemptUpdate, checkConfig, checkNewRollout, checkResources, checkRolloutUpdate, checkWaitTimeout } from './store-input-checks.ts';
import { StoreConnections } from './store-connections.ts';
import { StoreMirror } from './store-mirror.ts';
import { StoreSpans } from './store-spans.ts';
import { storeStatistics } from './store-statistics.ts';
import { isTerminalRolloutStatus } from './store-types.ts';
import type {
  Attempt,
  AttemptedRollout,
  NamedResources,
  PaginatedResult,
  ResourcesUpdate,
  Rollout,
  Span,
  StoreStatistics,
  Worker,
} from './store-types.ts';
import { StoreValidationError } from './store-validation-error.ts';
import { storeSettings } from './store-options.ts';
import type { DuckDBLightningStoreOptions, StoreSettings } from './store-options.ts';
import { StoreWatchdog, markUnhealthyAttempts } from './store-watchdog.ts';

/**
 * The {@link LightningStore} of the collector, kept in the DuckDB file (`rollouts`, `attempts`,
 * `resources`, `workers`, `span_sequence_ids`; spans in `spans`).
 *
 * Changes use group commit ({@link DraftCommitter}, one lane): operations that arrive while a
 * transaction is under way wait, then run one after the other when the next group forms, each
 * seeing the changes of those before it in the group (an overlay over the mirror), so a dequeue
 * never hands out a rollout twice. The group's changed rows are appended to `store_journal` in one
 * transaction and the operations answer once it committed. If the group fails, each operation is
 * run again alone, in its own transaction, so one bad write fails alone. The tables are rewritten
 * from the journal in batches ({@link DraftCommitter}), before every read through
 * `Database.connectForReading` (so SQL sees every committed change) and at close; what an unclean
 * stop left in the journal is written into the tables at the next open.
 *
 * The tables are mirrored in memory ({@link StoreMirror}), loaded at open: reads and the queue are
 * served from the mirror, which changes only after a transaction committed. The collector must be
 * the only writer of these tables. Spans are added and read by {@link StoreSpans}; the connections
 * are taken and given back by {@link StoreConnections}.
 */
export class DuckDBLightningStore implements LightningStore {
  readonly #connections: StoreConnections;
  readonly #removeReadBarrier: () => void;
  readonly #spanSink: SpanSink;
  readonly #ownsSink: boolean;
  readonly #openedAt = nowSeconds();

  readonly #mirror = new StoreMirror();
  readonly #editor = new DraftEditor(this.#mirror);
  readonly #waiters = new RolloutWaiters();

  readonly #committer: DraftCommitter;
  readonly #spans: StoreSpans;
  readonly #watchdog: StoreWatchdog;
  #closed = false;
  #closing: Promise<void> | null = null;

  private constructor(connections: StoreConnections, spanSink: SpanSink, ownsSink: boolean, options: StoreSettings) {
    this.#connections = connections;
    this.#spanSink = spanSink;
    this.#ownsSink = ownsSink;
    this.#spans = new StoreSpans({
      reader: connections.reader,
      spanSink,
      mirror: this.#mirror,
      editor: this.#editor,
      mutate: (build) => this.#mutate(build),
      isClosed: () => this.#closed,
    });
    this.#watchdog = new StoreWatchdog(
      options.watchdogIntervalMillis,
      () => this.checkHealth(),
      () => this.#closed,
      () => this.#mirror.active.size > 0,
    );
    this.#committer = new DraftCommitter({
      writer: connections.writer,
      draftWriter: connections.draftWriter,
      journal: connections.journal,
      mirror: this.#mirror,
      editor: this.#editor,
      onFinished: (id) => this.#waiters.finished(id),
      syncRows: options.syncRows,
      syncAfterMillis: options.syncAfterMillis,
      onSyncError: options.onSyncError,
      onRowRejected: options.onRowRejected,
    });
    this.#removeReadBarrier = connections.database.addReadBarrier(() => this.#committer.sync());
  }

  /** The database the store lives on (where algorithms in this process run their SQL). */
  get database(): Database {
    return this.#connections.database;
  }

  /** Opens the store on its own connections of `database` and loads the state kept there. */
  static async open(database: Database, options: DuckDBLightningStoreOptions = {}): Promise<DuckDBLightningStore> {
    const settings = storeSettings(options);
    // What an unclean stop left in the journal goes into the tables before they are loaded.
    const connections = await StoreConnections.open(database, settings.onRowRejected);
    let store: DuckDBLightningStore | null = null;
    const ownsSink = options.spanSink === undefined;
    const spanSink =
      options.spanSink ??
      (await DuckDBSpanSink.open(database, {
        onCommitted: (rows) => store?.recordSpanActivity(rows.attempts),
        beforeWrite: (rows) => store?.assignSpanSequenceIds(rows),
      }));
    store = new DuckDBLightningStore(connections, spanSink, ownsSink, settings);
    await loadMirror(connections.reader, store.#mirror);
    // Attempts left active by the last run are watched from the start.
    store.#watchdog.wake();
    return store;
  }

  // ---------------------------------------------------------------- rollouts

  async enqueueRollouts(rollouts: readonly NewRollout[]): Promise<Rollout[]> {
    if (!Array.isArray(rollouts)) throw StoreValidationError.at(['rollouts'], 'Expected an array', 'list_type');
    const prepared = rollouts.map((request, index) => checkNewRollout(request, ['rollouts', index]));
    return this.#mutate((draft) => {
      const now = nowSeconds();
      return prepared.map((request) => {
        const entry = this.#editor.createRollout(draft, request, now, 'queuing');
        return clone(entry.rollout);
      });
    });
  }

  async dequeueRollouts(options: DequeueOptions = {}): Promise<AttemptedRollout[]> {
    const limit = options.limit ?? 1;
    if (!Number.isInteger(limit) || limit < 0) throw StoreValidationError.at(['limit'], `Expected an integer ≥ 0, got ${JSON.stringify(limit)}`, 'int_type');
    const workerId = options.workerId ?? null;
    return this.#mutate((draft) => takeQueuedRollouts(this.#editor, this.#mirror, draft, limit, workerId));
  }

  async startRollout(options: StartRolloutOptions): Promise<AttemptedRollout> {
    const request = checkNewRollout(options, []);
    const workerId = options.workerId ?? null;
    return this.#mutate((draft) => {
      const now = nowSeconds();
      const entry = this.#editor.createRollout(draft, request, now, 'preparing');
      const attempt = this.#editor.newAttempt(draft, entry, workerId, now);
      return { ...clone(entry.rollout), attempt: clone(attempt) };
    });
  }

  async startAttempt(rolloutId: string, options: { workerId?: string | null } = {}): Promise<AttemptedRollout> {
    return this.#mutate((draft) => {
      const entry = this.#editor.edit(draft, rolloutId);
      if (isTerminalRolloutStatus(entry.rollout.status)) {
        throw new ConflictError(`Rollout ${rolloutId} is ${entry.rollout.status}: it takes no new attempt`);
      }
      const attempt = this.#editor.newAttempt(draft, entry, options.workerId ?? null, nowSeconds());
      return { ...clone(entry.rollout), attempt: clone(attempt) };
    });
  }

  async getRollout(rolloutId: string): Promise<Rollout | AttemptedRollout | null> {
    const entry = this.#mirror.rollouts.get(rolloutId);
    return entry ? withLatestAttempt(entry) : null;
  }

  /**
   * The rollout and one of its attempts as they stand (`attempt` is `null` when the rollout has no
   * such attempt), or `null` for an unknown rollout. These are the store's own records, not
   * copies, for callers on a hot path that only look (the gateway checks the attempt of every
   * call): never change them. They are never changed in place either (a change replaces them), so
   * what is returned stays as it was read.
   */
  readAttempt(rolloutId: string, attemptId: string): { rollout: Readonly<Rollout>; attempt: Readonly<Attempt> | null } | null {
    const entry = this.#mirror.rollouts.get(rolloutId);
    if (!entry) return null;
    const latest = entry.attempts.at(-1);
    const attempt = latest?.attempt_id === attemptId ? latest : entry.attempts.find((item) => item.attempt_id === attemptId);
    return { rollout: entry.rollout, attempt: attempt ?? null };
  }

  async queryRollouts(query: RolloutQuery = {}): Promise<PaginatedResult<Rollout | AttemptedRollout>> {
    return queryRollouts(this.#mirror, query);
  }

  async updateRollout(rolloutId: string, update: RolloutUpdate): Promise<Rollout> {
    checkRolloutUpdate(update);
    const config = update.config === undefined ? undefined : checkConfig(update.config, ['config']);
    return this.#mutate((draft) => applyRolloutUpdate(this.#editor, draft, rolloutId, update, config));
  }

  cancelRollout(rolloutId: string): Promise<Rollout> {
    return this.updateRollout(rolloutId, { status: 'cancelled' });
  }

  async queryAttempts(rolloutId: string, query: PageOptions = {}): Promise<PaginatedResult<Attempt>> {
    return queryAttempts(this.#mirror, rolloutId, query);
  }

  async getLatestAttempt(rolloutId: string): Promise<Attempt | null> {
    // As Agent Lightning's store and the contract: null for an unknown rollout too, not 404.
    const latest = this.#mirror.rollouts.get(rolloutId)?.attempts.at(-1);
    return latest ? clone(latest) : null;
  }

  async updateAttempt(rolloutId: string, attemptId: string, update: AttemptUpdate): Promise<Attempt> {
    checkAttemptUpdate(update);
    const { attempt, supersededBy } = await this.#mutate((draft) => applyAttemptUpdate(this.#editor, draft, rolloutId, attemptId, update));
    if (supersededBy !== null) {
      // Recorded on the attempt (committed above), but only the latest attempt moves its rollout.
      throw new ConflictError(
        `Attempt ${attempt.attempt_id} of rollout ${rolloutId} is superseded by attempt ${supersededBy}: its status ${attempt.status} was recorded on it but does not change the rollout`,
      );
    }
    return attempt;
  }

  async waitForRollouts(rolloutIds: readonly string[], options: WaitOptions = {}): Promise<Rollout[]> {
    const timeoutSeconds = checkWaitTimeout(options.timeoutSeconds);
    const finished = (): Rollout[] =>
      rolloutIds.flatMap((id) => {
        const entry = this.#mirror.rollouts.get(id);
        return entry && isTerminalRolloutStatus(entry.rollout.status) ? [clone(entry.rollout)] : [];
      });
    const pending = (): string[] =>
      rolloutIds.filter((id) => {
        const entry = this.#mirror.rollouts.get(id);
        return entry !== undefined && !isTerminalRolloutStatus(entry.rollout.status);
      });
    if (pending().length === 0 || timeoutSeconds === 0 || this.#closed || options.signal?.aborted) return finished();
    await this.#waiters.wait(pending(), timeoutSeconds, options.signal);
    return finished();
  }

  // --------------------------------------------------------------- resources

  async addResources(resources: NamedResources): Promise<ResourcesUpdate> {
    checkResources(resources);
    return this.#mutate((draft) => this.#editor.putResources(draft, newId('rs-', 6), resources));
  }

  async updateResources(resourcesId: string, resources: NamedResources): Promise<ResourcesUpdate> {
    checkResources(resources);
    if (typeof resourcesId !== 'string' || resourcesId === '') throw StoreValidationError.at(['resources_id'], 'Expected a non-empty string', 'string_type');
    return this.#mutate((draft) => this.#editor.putResources(draft, resourcesId, resources));
  }

  async getLatestResources(): Promise<ResourcesUpdate | null> {
    return this.#mirror.latestResourcesId === null ? null : clone(this.#mirror.resources.get(this.#mirror.latestResourcesId)!);
  }

  async getResources(resourcesId: string): Promise<ResourcesUpdate | null> {
    const found = this.#mirror.resources.get(resourcesId);
    return found ? clone(found) : null;
  }

  /**
   * The latest version of `resourcesId`, or the latest resources when `resourcesId` is `null`; like
   * {@link readAttempt}, the store's own record (never changed in place), not a copy: never change it.
   */
  readResources(resourcesId: string | null): Readonly<ResourcesUpdate> | null {
    const id = resourcesId ?? this.#mirror.latestResourcesId;
    return id === null ? null : (this.#mirror.resources.get(id) ?? null);
  }

  async queryResources(query: ResourcesQuery = {}): Promise<PaginatedResult<ResourcesUpdate>> {
    return queryResources(this.#mirror, query);
  }

  // ----------------------------------------------------------------- workers

  async updateWorker(workerId: string, options: { heartbeatStats?: Record<string, unknown> | null } = {}): Promise<Worker> {
    if (typeof workerId !== 'string' || workerId === '') throw StoreValidationError.at(['worker_id'], 'Expected a non-empty string', 'string_type');
    return this.#mutate((draft) => {
      const worker = this.#editor.editWorker(draft, workerId);
      worker.last_heartbeat_time = nowSeconds();
      if (options.heartbeatStats !== undefined) worker.heartbeat_stats = options.heartbeatStats;
      return clone(worker);
    });
  }

  async getWorker(workerId: string): Promise<Worker | null> {
    const worker = this.#mirror.workers.get(workerId);
    return worker ? clone(worker) : null;
  }

  async queryWorkers(query: WorkerQuery = {}): Promise<PaginatedResult<Worker>> {
    return queryWorkers(this.#mirror, query);
  }

  // ------------------------------------------------------------------- spans

  getNextSpanSequenceId(rolloutId: string, attemptId: string): Promise<number> {
    return this.#spans.getNextSpanSequenceId(rolloutId, attemptId);
  }

  /**
   * Adds one span of a known attempt; `null` when the attempt already has a span with this span id
   * (stored once, as Agent Lightning's store does) or when the sink is overloaded.
   */
  addSpan(span: Span): Promise<Span | null> {
    return this.#spans.addSpan(span);
  }

  querySpans(query: SpanQuery): Promise<PaginatedResult<Span>> {
    return this.#spans.querySpans(query);
  }

  /**
   * Spans committed for some attempts (from `DuckDBSpanSink`'s `onCommitted`): each counts as
   * its attempt's heartbeat, moves a `preparing` or `unresponsive` attempt to `running` (and its
   * rollout, when the attempt is the latest and the rollout was not yet running or finished), and
   * raises the rollout's span sequence counter. Applied in the background, batched.
   */
  recordSpanActivity(activities: readonly SpanAttemptActivity[]): void {
    this.#spans.recordSpanActivity(activities);
  }

  /**
   * Gives each span of `rows` that names one of the store's attempts but carries no sequence id the
   * next sequence id of its rollout, as Agent Lightning's OTLP receiver does (from the sink's
   * `beforeWrite`, before the rows are queued). Spans of unknown rollouts keep none.
   */
  assignSpanSequenceIds(rows: SpanRows): void {
    this.#spans.assignSpanSequenceIds(rows);
  }

  /** Resolves when the span activity recorded so far is applied. */
  flushSpanActivity(): Promise<void> {
    return this.#spans.flushSpanActivity();
  }

  statistics(): Promise<StoreStatistics> {
    return storeStatistics(this.#connections.reader, this.#mirror, this.#openedAt);
  }

  /** Stops the watchdog, ends every wait with what is finished, lets writes under way commit. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#watchdog.stop();
      await this.flushSpanActivity();
      this.#closed = true;
      this.#waiters.endAll();
      await this.#committer.close();
      this.#removeReadBarrier();
      if (this.#ownsSink) await this.#spanSink.close();
      this.#connections.release();
    })();
    return this.#closing;
  }

  /**
   * One watchdog pass: the latest attempt of each preparing or running rollout is marked `timeout`
   * (running longer than `timeout_seconds` since it started) or `unresponsive` (no heartbeat or
   * span for `unresponsive_seconds`, counted from its start when it never had one), which requeues
   * or fails the rollout per its config. Returns how many attempts were marked.
   */
  async checkHealth(): Promise<number> {
    // Nothing preparing or running: nothing to mark, and no transaction (an idle collector's tick costs nothing).
    if (this.#mirror.active.size === 0) return 0;
    // Heartbeats from spans may wait to be written (see SpanActivityApplier): count them first.
    await this.flushSpanActivity();
    return this.#mutate((draft) => markUnhealthyAttempts(this.#editor, this.#mirror.active, draft));
  }

  // ------------------------------------------------------------- internals

  /** Runs `build` in the next group (see {@link DraftCommitter.submit}); rejects once the store is closed. */
  #mutate<T>(build: (draft: Draft) => T): Promise<T> {
    if (this.#closed) return Promise.reject(new Error('The store is closed'));
    const submitted = this.#committer.submit(build);
    // The watchdog sleeps while no attempt is active; a change may have started one.
    void submitted.then(() => this.#watchdog.wake(), () => undefined);
    return submitted;
  }
}
