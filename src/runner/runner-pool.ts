import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { createLogger } from '../logging/index.ts';
import { FailureLog } from './failure-log.ts';
import { Runner } from './runner.ts';
import type { RunnerOptions, RunnerStats, StopOptions } from './runner.ts';

/** Options of {@link RunnerPool}: those of every {@link Runner}, and how many. */
export interface RunnerPoolOptions extends Omit<RunnerOptions, 'workerId'> {
  /** How many runners work concurrently in this process (they share the store client and the tracer). */
  nRunners: number;
  /** Worker ids are `<prefix>-<i>`. @default `<hostname>-<pid>-<random>` */
  workerIdPrefix?: string;
}

/**
 * `nRunners` concurrent {@link Runner}s in one process, sharing one store client and one tracer
 * (the OpenTelemetry context keeps their rollouts' spans apart).
 *
 * ```ts
 * const pool = new RunnerPool({ store, agent, tracer, nRunners: 8 }).start();
 * // …
 * await pool.stop({ graceMillis: 5000 });
 * ```
 */
export class RunnerPool {
  readonly runners: readonly Runner[];
  /** The failures of all its runners: the first of each kind logged, repeats counted. */
  readonly failureLog: FailureLog;
  #done: Promise<void> | null = null;

  constructor(options: RunnerPoolOptions) {
    const { nRunners, workerIdPrefix, ...runnerOptions } = options;
    if (!Number.isInteger(nRunners) || nRunners < 1) throw new RangeError(`Expected \`nRunners\` to be an integer ≥ 1, got \`${nRunners}\``);
    const prefix = workerIdPrefix ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
    this.failureLog = runnerOptions.failureLog ?? new FailureLog(runnerOptions.logger ?? createLogger('warn'));
    this.runners = Array.from({ length: nRunners }, (_, index) => new Runner({ ...runnerOptions, failureLog: this.failureLog, workerId: `${prefix}-${index}` }));
  }

  /** Starts every runner (idempotent); returns the pool. */
  start(): this {
    this.#done ??= Promise.all(this.runners.map((runner) => runner.run())).then(() => undefined);
    return this;
  }

  /** Resolves when every runner has stopped (after {@link stop}, or each one's `maxRollouts`). */
  get done(): Promise<void> {
    return this.#done ?? Promise.resolve();
  }

  /** Wakes the runners waiting on an empty queue. */
  wake(): void {
    for (const runner of this.runners) runner.wake();
  }

  /** The runners' counts. */
  get stats(): RunnerStats[] {
    return this.runners.map((runner) => runner.stats);
  }

  /** Stops every runner: see {@link Runner.stop}. Idempotent. */
  async stop(options: StopOptions = {}): Promise<void> {
    await Promise.all(this.runners.map((runner) => runner.stop(options)));
  }
}
