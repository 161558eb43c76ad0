import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Agent } from '../agent/index.ts';
import { AglError, ConflictError } from '../errors/index.ts';
import { createLogger } from '../logging/index.ts';
import type { Logger } from '../logging/index.ts';
import type { AttemptedRollout, LightningStore, NamedResources } from '../store/index.ts';
import { abortableSleep } from '../timers/index.ts';
import { FailureLog } from './failure-log.ts';

/**
 * What a runner needs of the store: a `StoreClient` (remote runners) or the collector's own
 * `LightningStore` (in process) both fit.
 */
export type RunnerStore = Pick<
  LightningStore,
  'dequeueRollouts' | 'getResources' | 'getLatestResources' | 'updateAttempt' | 'updateWorker' | 'getNextSpanSequenceId'
>;

/** Something that exports the spans ended so far: the process's `OtelTracer`. */
export interface SpanFlusher {
  forceFlush(): Promise<void>;
}

/** Options of {@link Runner}. */
export interface RunnerOptions {
  /** The store to take rollouts from and report to. */
  store: RunnerStore;
  /** The agent to run on each rollout's task. */
  agent: Agent;
  /**
   * Flushed after each rollout and before its attempt is reported, so that its spans and reward
   * are stored first. Pass the process's `OtelTracer` (`setupTracing(...)`).
   * @default none (nothing is flushed: only right when the agent's spans go nowhere)
   */
  tracer?: SpanFlusher | null;
  /** The worker id the store knows this runner by. @default `<hostname>-<pid>-<random>` */
  workerId?: string;
  /** How often the runner heartbeats its worker (always) and its attempt (while running). @default 5000 */
  heartbeatIntervalMillis?: number;
  /** The first wait after an empty dequeue; doubled on each empty dequeue in a row. @default 50 */
  minPollIntervalMillis?: number;
  /** The longest wait between dequeues on an empty queue. @default 1000 */
  maxPollIntervalMillis?: number;
  /** Stop after taking this many rollouts; `null` for no limit. @default null */
  maxRollouts?: number | null;
  /**
   * After {@link Runner.stop}'s grace time the agent's signal is aborted; an agent that has not
   * settled this much later is abandoned and its attempt marked `failed`. @default 1000
   */
  abandonAfterMillis?: number;
  /** @default a stderr logger at `warn` */
  logger?: Logger;
  /**
   * Where failed rollouts are recorded: the first of each distinct failure is logged (rollout id,
   * message, origin), repeats counted. A {@link RunnerPool} shares one among its runners.
   * @default one of its own, logging to `logger`
   */
  failureLog?: FailureLog;
}

/** Options of {@link Runner.stop}. */
export interface StopOptions {
  /**
   * How long a rollout under way may take to finish before its agent is aborted (and, if it does
   * not settle, abandoned with its attempt marked `failed`). @default 10000
   */
  graceMillis?: number;
}

/** Counts a runner sends with its worker heartbeats (`Worker.heartbeat_stats`). */
export interface RunnerStats {
  [field: string]: unknown;
  worker_id: string;
  hostname: string;
  pid: number;
  /** Epoch seconds. */
  started_at: number;
  rollouts_taken: number;
  rollouts_succeeded: number;
  rollouts_failed: number;
  current_rollout_id: string | null;
  current_attempt_id: string | null;
  stopping: boolean;
}

interface CurrentAttempt {
  rolloutId: string;
  attemptId: string;
  controller: AbortController;
  abandon: (reason: Error) => void;
}

/** Thrown into an agent's run (as its signal's reason) when the runner stops before it finished. */
export class RunnerStoppedError extends AglError {
  constructor(message = 'The runner stopped before the rollout finished') {
    super('runner_stopped', 503, message);
  }
}

/**
 * One worker: registers with the store, dequeues one rollout at a time, fetches the resources it
 * was enqueued with, runs the agent on its input, flushes the spans and reports the attempt
 * `succeeded` or `failed` (a throw: the agent has recorded it as an `agentlightning.exception`
 * span). Heartbeats the worker, and the attempt while it runs. Waits with exponential back-off
 * (50 ms → 1 s by default) while the queue is empty.
 *
 * ```ts
 * const runner = new Runner({ store: new StoreClient({ baseUrl }), agent, tracer: setupTracing({ endpoint: baseUrl }) });
 * const done = runner.run();
 * // …
 * await runner.stop();   // no new dequeues; the rollout under way finishes (or is failed after the grace time)
 * ```
 */
export class Runner {
  readonly workerId: string;
  readonly #store: RunnerStore;
  readonly #agent: Agent;
  readonly #tracer: SpanFlusher | null;
  readonly #heartbeatIntervalMillis: number;
  readonly #minPollIntervalMillis: number;
  readonly #maxPollIntervalMillis: number;
  readonly #maxRollouts: number | null;
  readonly #abandonAfterMillis: number;
  readonly #logger: Logger;
  readonly #failureLog: FailureLog;
  readonly #wake = new AbortController();
  readonly #stats: RunnerStats;
  #stopping = false;
  #loop: Promise<void> | null = null;
  #current: CurrentAttempt | null = null;
  #lastWorkerBeat = 0;
  #wakeSleep: (() => void) | null = null;

  constructor(options: RunnerOptions) {
    if (!options || typeof options.store !== 'object' || options.store === null) throw new TypeError('Expected `store` to be a store or StoreClient');
    if (!options.agent || typeof options.agent.run !== 'function') throw new TypeError('Expected `agent` to have a `run(task, context)` method');
    this.#store = options.store;
    this.#agent = options.agent;
    this.#tracer = options.tracer ?? null;
    this.workerId = options.workerId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
    if (typeof this.workerId !== 'string' || this.workerId === '') throw new TypeError('Expected `workerId` to be a non-empty string');
    this.#heartbeatIntervalMillis = positive('heartbeatIntervalMillis', options.heartbeatIntervalMillis ?? 5000);
    this.#minPollIntervalMillis = positive('minPollIntervalMillis', options.minPollIntervalMillis ?? 50);
    this.#maxPollIntervalMillis = positive('maxPollIntervalMillis', options.maxPollIntervalMillis ?? 1000);
    if (this.#maxPollIntervalMillis < this.#minPollIntervalMillis) {
      throw new RangeError(`Expected \`maxPollIntervalMillis\` to be ≥ \`minPollIntervalMillis\` (${this.#minPollIntervalMillis}), got \`${this.#maxPollIntervalMillis}\``);
    }
    const maxRollouts = options.maxRollouts ?? null;
    if (maxRollouts !== null && (!Number.isInteger(maxRollouts) || maxRollouts < 1)) {
      throw new RangeError(`Expected \`maxRollouts\` to be an integer ≥ 1 or null, got \`${maxRollouts}\``);
    }
    this.#maxRollouts = maxRollouts;
    this.#abandonAfterMillis = nonNegative('abandonAfterMillis', options.abandonAfterMillis ?? 1000);
    this.#logger = options.logger ?? createLogger('warn');
    this.#failureLog = options.failureLog ?? new FailureLog(this.#logger);
    this.#stats = {
      worker_id: this.workerId,
      hostname: hostname(),
      pid: process.pid,
      started_at: Date.now() / 1000,
      rollouts_taken: 0,
      rollouts_succeeded: 0,
      rollouts_failed: 0,
      current_rollout_id: null,
      current_attempt_id: null,
      stopping: false,
    };
  }

  /** A copy of the counts sent with the heartbeats. */
  get stats(): RunnerStats {
    return { ...this.#stats };
  }

  /** The failures recorded (shared with the other runners of a pool). */
  get failureLog(): FailureLog {
    return this.#failureLog;
  }

  /** Whether {@link stop} was called. */
  get stopping(): boolean {
    return this.#stopping;
  }

  /**
   * Runs until {@link stop} (or `maxRollouts`); resolves when the last rollout taken is reported.
   * Calling it again returns the same promise. Store errors are logged and retried after a wait,
   * never thrown.
   */
  run(): Promise<void> {
    this.#loop ??= this.#runLoop();
    return this.#loop;
  }

  /** Wakes the runner if it is waiting on an empty queue (e.g. after an enqueue in the same process). */
  wake(): void {
    this.#wakeSleep?.();
  }

  /**
   * Stops taking rollouts. The rollout under way gets `graceMillis` to finish; then its agent's
   * signal is aborted, and an agent that still has not settled `abandonAfterMillis` later is
   * abandoned with its attempt marked `failed` (requeued when the rollout's `retry_condition`
   * includes `failed`). Resolves when the runner has stopped. Idempotent.
   */
  async stop(options: StopOptions = {}): Promise<void> {
    const graceMillis = nonNegative('graceMillis', options.graceMillis ?? 10_000);
    this.#stopping = true;
    this.#stats.stopping = true;
    this.#wake.abort();
    if (!this.#loop) return;
    const timer = setTimeout(() => this.#giveUp(), graceMillis);
    try {
      await this.#loop;
    } finally {
      clearTimeout(timer);
    }
  }

  #giveUp(): void {
    const current = this.#current;
    if (!current) return;
    this.#logger.warn(`Runner ${this.workerId}: aborting rollout ${current.rolloutId} (stop grace time over)`);
    current.controller.abort(new RunnerStoppedError());
    const timer = setTimeout(
      () => current.abandon(new RunnerStoppedError('The runner stopped and the agent did not settle after its signal was aborted')),
      this.#abandonAfterMillis,
    );
    timer.unref();
  }

  async #runLoop(): Promise<void> {
    await this.#beatWorker();
    let delay = this.#minPollIntervalMillis;
    while (!this.#stopping && (this.#maxRollouts === null || this.#stats.rollouts_taken < this.#maxRollouts)) {
      let attempted: AttemptedRollout | undefined;
      try {
        [attempted] = await this.#store.dequeueRollouts({ limit: 1, workerId: this.workerId });
      } catch (error) {
        this.#logger.warn(`Runner ${this.workerId}: dequeue failed (${(error as Error).message}); trying again`);
      }
      if (!attempted) {
        if (Date.now() - this.#lastWorkerBeat >= this.#heartbeatIntervalMillis) await this.#beatWorker();
        await this.#idle(delay);
        delay = Math.min(delay * 2, this.#maxPollIntervalMillis);
        continue;
      }
      delay = this.#minPollIntervalMillis;
      await this.#runAttempt(attempted);
    }
    await this.#beatWorker();
  }

  #idle(millis: number): Promise<void> {
    const wake = new AbortController();
    this.#wakeSleep = () => wake.abort();
    return abortableSleep(millis, AbortSignal.any([wake.signal, this.#wake.signal])).finally(() => {
      this.#wakeSleep = null;
    });
  }

  async #runAttempt(attempted: AttemptedRollout): Promise<void> {
    const rolloutId = attempted.rollout_id;
    const attemptId = attempted.attempt.attempt_id;
    const controller = new AbortController();
    let abandon!: (reason: Error) => void;
    const abandoned = new Promise<never>((_, reject) => {
      abandon = reject;
    });
    abandoned.catch(() => undefined);
    this.#current = { rolloutId, attemptId, controller, abandon };
    this.#stats.rollouts_taken++;
    this.#stats.current_rollout_id = rolloutId;
    this.#stats.current_attempt_id = attemptId;
    const heartbeat = setInterval(() => void this.#beatAttempt(rolloutId, attemptId), this.#heartbeatIntervalMillis);

    let status: 'succeeded' | 'failed' = 'failed';
    let failure: Error | null = null;
    let ran = false;
    try {
      try {
        await this.#store.updateAttempt(rolloutId, attemptId, { status: 'running', workerId: this.workerId });
      } catch (error) {
        // The rollout was taken away meanwhile (cancelled, timed out) or the store is unreachable:
        // the watchdog settles the attempt; nothing to run.
        this.#logger.warn(`Runner ${this.workerId}: could not start attempt ${attemptId} of ${rolloutId}: ${(error as Error).message}`);
        return;
      }
      ran = true;
      const resources = await this.#resourcesOf(attempted);
      const firstSequenceId = attempted.attempt.sequence_id > 1 ? await this.#store.getNextSpanSequenceId(rolloutId, attemptId) : 1;
      const run = this.#agent.run(attempted.input, {
        rolloutId,
        attemptId,
        resources,
        resourcesId: attempted.resources_id,
        mode: attempted.mode,
        rollout: attempted,
        firstSequenceId,
        signal: controller.signal,
      });
      run.catch(() => undefined); // An abandoned run may still reject later.
      await Promise.race([run, abandoned]);
      status = 'succeeded';
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
    } finally {
      clearInterval(heartbeat);
      this.#current = null;
      this.#stats.current_rollout_id = null;
      this.#stats.current_attempt_id = null;
      if (ran) await this.#report(rolloutId, attemptId, status, failure);
    }
  }

  async #resourcesOf(attempted: AttemptedRollout): Promise<NamedResources | null> {
    if (attempted.resources_id) {
      const update = await this.#store.getResources(attempted.resources_id);
      if (!update) throw new Error(`Resources ${attempted.resources_id} of rollout ${attempted.rollout_id} not found`);
      return update.resources;
    }
    return (await this.#store.getLatestResources())?.resources ?? null;
  }

  async #report(rolloutId: string, attemptId: string, status: 'succeeded' | 'failed', failure: Error | null): Promise<void> {
    if (status === 'succeeded') this.#stats.rollouts_succeeded++;
    else this.#stats.rollouts_failed++;
    // Spans (and the reward) first: whoever sees the attempt finished may read them at once.
    try {
      await this.#tracer?.forceFlush();
    } catch (error) {
      this.#logger.warn(`Runner ${this.workerId}: exporting the spans of ${rolloutId} failed: ${(error as Error).message}`);
    }
    // The first of each distinct failure is logged; the error (and where it came from) is kept with the attempt.
    const metadata = failure ? { error: this.#failureLog.record(rolloutId, attemptId, failure) } : undefined;
    try {
      await this.#store.updateAttempt(rolloutId, attemptId, { status, metadata });
    } catch (error) {
      // A finished attempt (timed out, or the rollout cancelled meanwhile) keeps its status.
      const level = error instanceof ConflictError ? 'info' : 'warn';
      this.#logger[level](`Runner ${this.workerId}: reporting attempt ${attemptId} of ${rolloutId} as ${status} failed: ${(error as Error).message}`);
    }
    if (Date.now() - this.#lastWorkerBeat >= this.#heartbeatIntervalMillis) await this.#beatWorker();
  }

  async #beatAttempt(rolloutId: string, attemptId: string): Promise<void> {
    try {
      await this.#store.updateAttempt(rolloutId, attemptId, { lastHeartbeatTime: Date.now() / 1000 });
    } catch (error) {
      this.#logger.debug(`Runner ${this.workerId}: heartbeat of ${attemptId} failed: ${(error as Error).message}`);
    }
    await this.#beatWorker();
  }

  async #beatWorker(): Promise<void> {
    this.#lastWorkerBeat = Date.now();
    try {
      await this.#store.updateWorker(this.workerId, { heartbeatStats: this.stats });
    } catch (error) {
      this.#logger.debug(`Runner ${this.workerId}: worker heartbeat failed: ${(error as Error).message}`);
    }
  }
}

function positive(name: string, value: number): number {
  if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) throw new RangeError(`Expected \`${name}\` to be a number > 0, got \`${value}\``);
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0)) throw new RangeError(`Expected \`${name}\` to be a number ≥ 0, got \`${value}\``);
  return value;
}
