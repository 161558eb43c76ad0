import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Collector } from '../../collector/index.ts';
import { toNamedResources } from '../agent/index.ts';
import type { Agent, ResourcesInput } from '../agent/index.ts';
import { Baseline, LocalApoData, RemoteApoData, toAlgorithm } from '../algorithm/index.ts';
import type { Algorithm, AlgorithmData, AlgorithmLike, AlgorithmStore, BaselineResult } from '../algorithm/index.ts';
import { createLogger } from '../logging/index.ts';
import type { Logger } from '../logging/index.ts';
import { CommandAgent, RunnerPool, checkCommandSpec } from '../runner/index.ts';
import type { CommandSpec, RunnerOptions, SpanFlusher } from '../runner/index.ts';
import { StoreClient } from '../store/index.ts';
import { setupTracing } from '../tracing/index.ts';
import type { OtelTracer } from '../tracing/index.ts';

/** Runner settings a {@link Trainer} passes on to each of its runners. */
export type TrainerRunnerOptions = Pick<RunnerOptions, 'heartbeatIntervalMillis' | 'minPollIntervalMillis' | 'maxPollIntervalMillis' | 'abandonAfterMillis'>;

/** Options of {@link Trainer}. */
export interface TrainerOptions<TTask = unknown, TResult = unknown> {
  /** The algorithm, or a plain function `(context) => result`. @default `new Baseline()` */
  algorithm?: AlgorithmLike<TTask, TResult>;
  /** Runners working concurrently in this process. @default 1 */
  nRunners?: number;
  /** The older name of `nRunners` (Agent Lightning's `Trainer(n_workers=…)`). */
  nWorkers?: number;
  /** Resources added to the store (as the latest) before the algorithm starts. @default none */
  initialResources?: ResourcesInput | null;
  /**
   * The URL of a running collector (`agl serve`) to use as the store.
   * @default none: a collector is started in this process, on `dbPath`, for each `fit` / `dev`
   */
  store?: string;
  /**
   * Where the runners send their spans (OTLP/HTTP), when not to the store's collector: e.g. an
   * OpenTelemetry Collector that passes them on to Jaeger and to the store's collector.
   * Ignored when `tracer` is given. @default the store's URL
   */
  tracesEndpoint?: string;
  /** The in-process collector's DuckDB file (kept afterwards). @default a temporary file, removed after the run */
  dbPath?: string;
  /** Bearer token of the store (and of the in-process collector). @default `AGL_TOKEN` when set */
  token?: string;
  /**
   * The process's tracing setup, when the application made one (`setupTracing(...)`): the
   * runners flush it after each rollout, and it is left running afterwards.
   * @default one is set up for the run (OTLP to the store's URL) and shut down after it; when the
   * process already has a global setup, the run joins it instead (see `OtelTracerOptions.registerGlobal`)
   */
  tracer?: SpanFlusher | null;
  /** Settings of each runner. @default the runners' own */
  runner?: TrainerRunnerOptions;
  /** When the algorithm is done, rollouts under way get this long to finish before their attempts are failed. @default 10000 */
  stopGraceMillis?: number;
  /** The in-process collector's watchdog interval. @default 1000 */
  watchdogIntervalMillis?: number;
  /** Progress and warnings. @default a stderr logger at `info` */
  logger?: Logger;
  /**
   * The agent as a command line in any language (`{ command: 'python3 agent.py', timeoutSeconds: 60 }`):
   * each rollout runs it once, with the rollout in its environment, its model calls recorded by the
   * collector's gateway (see `CommandAgent`). Then `fit` and `dev` take `null` as their agent.
   * @default none: the agent is given to `fit` / `dev`
   */
  command?: CommandSpec;
}

/** Options of {@link Trainer.fit}. */
export interface FitOptions<TTask = unknown> {
  /** @default [] */
  trainDataset?: readonly TTask[];
  valDataset?: readonly TTask[];
  /** Stops the algorithm (the runners are then stopped as usual). */
  signal?: AbortSignal;
}

/**
 * Options of {@link Trainer.fit} in the older, runners-only form: the tasks come from whoever
 * queues them on `backend` (e.g. with `AgentLightningServer.queueTask`).
 */
export interface BackendFitOptions {
  /** The collector's URL. */
  backend: string;
  /** Runs until this aborts. @default never */
  signal?: AbortSignal;
}

/** Options of {@link Trainer.dev}. */
export interface DevOptions {
  /** Run the agent on at most this many tasks. @default 5 */
  maxTasks?: number;
  signal?: AbortSignal;
}

/**
 * Runs a training from one call: a collector (in this process unless `store` names one), a pool
 * of `nRunners` runners running the agent, and the algorithm; everything is shut down afterwards.
 *
 * ```ts
 * const trainer = new Trainer({ algorithm: new Baseline(), nRunners: 8, initialResources: { prompt_template: prompt } });
 * const result = await trainer.fit(agent, { trainDataset, valDataset });
 * ```
 */
export class Trainer<TTask = unknown, TResult = unknown> {
  readonly algorithm: Algorithm<TTask, TResult>;
  readonly nRunners: number;
  readonly #options: TrainerOptions<TTask, TResult>;
  readonly #logger: Logger;
  readonly #stopGraceMillis: number;

  constructor(options: TrainerOptions<TTask, TResult> = {}) {
    if (typeof options !== 'object' || options === null) throw new TypeError('Expected `options` to be an object');
    for (const name of ['nRunners', 'nWorkers'] as const) {
      const value = options[name];
      if (value !== undefined && (!Number.isInteger(value) || value < 1)) throw new RangeError(`Expected \`${name}\` to be an integer ≥ 1, got \`${value}\``);
    }
    if (options.nRunners !== undefined && options.nWorkers !== undefined && options.nRunners !== options.nWorkers) {
      throw new RangeError(`Expected one of \`nRunners\` (${options.nRunners}) and \`nWorkers\` (${options.nWorkers}), its older name; got both, different`);
    }
    this.nRunners = options.nRunners ?? options.nWorkers ?? 1;
    this.algorithm = toAlgorithm(options.algorithm ?? (new Baseline() as unknown as Algorithm<TTask, TResult>));
    if (options.store !== undefined && !/^https?:\/\/[^/]/.test(options.store)) throw new TypeError(`Expected \`store\` to be an http(s) URL, got \`${options.store}\``);
    if (options.tracesEndpoint !== undefined && !/^https?:\/\/[^/]/.test(options.tracesEndpoint)) {
      throw new TypeError(`Expected \`tracesEndpoint\` to be an http(s) URL, got \`${options.tracesEndpoint}\``);
    }
    if (options.store !== undefined && options.dbPath !== undefined) throw new TypeError('Expected `store` (a running collector) or `dbPath` (an in-process one), not both');
    if (options.initialResources != null && (typeof options.initialResources !== 'object' || Array.isArray(options.initialResources))) {
      throw new TypeError('Expected `initialResources` to be an object of named resources');
    }
    if (options.initialResources) toNamedResources(options.initialResources); // Throws now on a resource it cannot store.
    if (options.command !== undefined) checkCommandSpec(options.command, 'command');
    this.#stopGraceMillis = options.stopGraceMillis ?? 10_000;
    if (!(this.#stopGraceMillis >= 0)) throw new RangeError(`Expected \`stopGraceMillis\` to be a number ≥ 0, got \`${options.stopGraceMillis}\``);
    this.#options = options;
    this.#logger = options.logger ?? createLogger('info');
  }

  /**
   * Trains: starts the collector (unless `store` is set) and the runners, adds `initialResources`,
   * runs the algorithm to its end, stops the runners (rollouts under way finish) and the
   * collector, and resolves with the algorithm's result.
   */
  fit(agent: Agent<TTask> | null, options?: FitOptions<TTask>): Promise<TResult>;
  /** The older form: runners only, working for the collector at `backend` until `signal` aborts. */
  fit(agent: Agent<TTask> | null, options: BackendFitOptions): Promise<void>;
  async fit(agent: Agent<TTask> | null, options: FitOptions<TTask> | BackendFitOptions = {}): Promise<TResult | void> {
    this.#checkAgent(agent);
    if ('backend' in options) return this.#serveBackend(agent, options);
    return this.#session(this.#options.store, async (store, signal, data) => {
      return this.algorithm.run({
        store,
        trainDataset: options.trainDataset ?? [],
        valDataset: options.valDataset,
        signal,
        log: this.#logger,
        data,
      });
    }, agent, options.signal);
  }

  /**
   * A quick dry run: the agent on the first `maxTasks` tasks (in `train` mode) with the initial
   * resources, through the whole machinery (collector, runners, spans, rewards), no training.
   * Resolves with the {@link Baseline} result (mean reward, each task's reward and status).
   */
  async dev(agent: Agent<TTask> | null, dataset: readonly TTask[], options: DevOptions = {}): Promise<BaselineResult<TTask>> {
    this.#checkAgent(agent);
    const baseline = new Baseline<TTask>({ dataset: 'train', mode: 'train', maxTasks: options.maxTasks ?? 5 });
    return this.#session(this.#options.store, (store, signal, data) =>
      baseline.run({ store, trainDataset: dataset, valDataset: undefined, signal, log: this.#logger, data }),
    agent, options.signal);
  }

  /** One agent: given, or the `command` option's (then `agent` is `null`). */
  #checkAgent(agent: Agent<TTask> | null): void {
    if (this.#options.command !== undefined && agent != null) {
      throw new TypeError('Expected the agent as `fit(agent)` or as the `command` option, not both: with `command`, pass `null` as the agent');
    }
    if (this.#options.command === undefined && (agent == null || typeof agent.run !== 'function')) {
      throw new TypeError('Expected an agent (an object with run(task, context)), or the `command` option with `null` as the agent');
    }
  }

  async #serveBackend(agent: Agent<TTask> | null, options: BackendFitOptions): Promise<void> {
    if (!/^https?:\/\/[^/]/.test(options.backend)) throw new TypeError(`Expected \`backend\` to be an http(s) URL, got \`${options.backend}\``);
    await this.#session(options.backend, async (_store, signal) => {
      if (signal.aborted) return;
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    }, agent, options.signal, { initialResources: false });
  }

  /** Collector (owned or not), tracer, runner pool around `body`; everything owned is closed after. */
  async #session<T>(
    storeUrl: string | undefined,
    body: (store: AlgorithmStore, signal: AbortSignal, data: AlgorithmData) => Promise<T>,
    agent: Agent<TTask> | null,
    outerSignal: AbortSignal | undefined,
    { initialResources = true }: { initialResources?: boolean } = {},
  ): Promise<T> {
    const options = this.#options;
    const token = options.token ?? process.env.AGL_TOKEN;
    const cleanups: (() => Promise<void> | void)[] = [];
    const cleanUp = async (): Promise<void> => {
      for (const cleanup of cleanups.reverse()) {
        try {
          await cleanup();
        } catch (error) {
          this.#logger.warn(`Trainer: shutting down: ${(error as Error).message}`);
        }
      }
    };
    try {
      let url = storeUrl;
      let store: AlgorithmStore;
      let data: AlgorithmData;
      let gatewayRecorder: Collector['gatewayRecorder'] | undefined;
      if (url === undefined) {
        let dbPath = options.dbPath;
        if (dbPath === undefined) {
          const dir = mkdtempSync(join(tmpdir(), 'agl-trainer-'));
          cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
          dbPath = join(dir, 'agl.duckdb');
        }
        const collector = await Collector.start({
          dbPath,
          port: 0,
          token,
          logger: this.#logger,
          watchdogIntervalMillis: options.watchdogIntervalMillis,
        });
        cleanups.push(() => collector.close());
        url = collector.url;
        store = collector.store;
        data = new LocalApoData(collector.database);
        gatewayRecorder = collector.gatewayRecorder;
        this.#logger.info(`Trainer: collector started at ${url} (database ${dbPath})`);
      } else {
        const client = new StoreClient({ baseUrl: url, token });
        store = client;
        data = new RemoteApoData({ client });
      }
      let tracer: SpanFlusher | null | undefined = options.tracer;
      if (tracer === undefined) {
        let owned: OtelTracer;
        try {
          owned = setupTracing({ endpoint: this.#options.tracesEndpoint ?? url, token, batch: { scheduledDelayMillis: 200 } });
        } catch (error) {
          throw new Error(`Trainer could not set up tracing (${(error as Error).message}); pass your own as the \`tracer\` option`, { cause: error });
        }
        cleanups.push(() => owned.shutdown());
        tracer = owned;
      }
      if (initialResources && options.initialResources) {
        const added = await store.addResources(toNamedResources(options.initialResources));
        this.#logger.info(`Trainer: initial resources stored as ${added.resources_id}`);
      }
      const pool = new RunnerPool({
        ...options.runner,
        store: new StoreClient({ baseUrl: url, token }),
        agent:
          agent ??
          (new CommandAgent({
            ...options.command!,
            server: url,
            token,
            otlpEndpoint: options.tracesEndpoint,
            gatewayRecorder,
            logger: this.#logger,
          }) as unknown as Agent<TTask>),
        tracer,
        nRunners: this.nRunners,
        logger: this.#logger,
      }).start();
      cleanups.push(async () => {
        await pool.stop({ graceMillis: this.#stopGraceMillis });
        // The end of a run with failures says what failed and how often (each first occurrence was logged as it happened).
        const summary = pool.failureLog.summary();
        if (summary) this.#logger.warn(`Trainer: ${summary}`);
      });
      this.#logger.info(`Trainer: ${this.nRunners} runner(s) working for ${url}`);
      const controller = new AbortController();
      const signal = outerSignal ? AbortSignal.any([outerSignal, controller.signal]) : controller.signal;
      cleanups.push(() => controller.abort());
      return await body(store, signal, data);
    } finally {
      await cleanUp();
    }
  }
}
