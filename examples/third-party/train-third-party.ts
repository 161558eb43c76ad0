import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TracerProvider } from '@opentelemetry/api';
import OpenAI from 'openai';
import { APO, Collector, LocalApoData, PromptTemplate, Trainer, setupTracing } from '../../src/index.ts';
import type { Agent, ApoOptions, ApoResult } from '../../src/index.ts';
import { createLogger } from '../../src/logging/index.ts';
import type { Logger } from '../../src/logging/index.ts';
import { BASELINE_PROMPT } from '../room-selector/room-agent.ts';
import { TRAIN_TASKS, VAL_TASKS } from '../room-selector/room-data.ts';
import type { RoomTask } from '../room-selector/room-data.ts';

/** Where a third-party agent finds its model. */
export interface ModelEndpoint {
  /** The OpenAI-compatible server, e.g. `http://127.0.0.1:8000/v1`. */
  baseURL: string;
  apiKey: string;
  /** The agent's model. */
  model: string;
}

/** How one framework's room selector is made and instrumented. */
export interface ThirdPartyAgentSpec {
  /** The framework's name: the agent process's `service.name` and the log prefix. */
  name: string;
  /**
   * Turns the framework's own instrumentation on, given the tracer provider that exports to the
   * collector (the provider is also registered globally). Called once, before `createAgent`.
   * @default nothing (the framework uses the global OpenTelemetry API by itself)
   */
  instrument?: (provider: TracerProvider) => void;
  /** The room selector written with the framework, wrapped in `rollout(…)`. */
  createAgent: (endpoint: ModelEndpoint) => Agent<RoomTask>;
}

/** Options of {@link trainThirdPartyAgent}. */
export interface TrainThirdPartyOptions {
  endpoint: ModelEndpoint;
  /** Keep the collector's DuckDB file here. @default a temporary file, removed afterwards */
  dbPath?: string;
  /** APO settings. @default {@link SMALL_APO_OPTIONS} */
  apo?: ApoOptions<RoomTask>;
  /** Runners in this process. @default 4 */
  nRunners?: number;
  /** @default the room selector's 28 training tasks */
  trainDataset?: readonly RoomTask[];
  /** @default the room selector's 29 validation tasks */
  valDataset?: readonly RoomTask[];
  /** @default a stderr logger at `info` */
  logger?: Logger;
  signal?: AbortSignal;
}

/**
 * A small APO: one round, one parent, two children, validation batch 10, gradient batch 4; the
 * critique and edit calls at temperature 0, so each edit adds every rule its critique names. (At
 * APO's default of 1.0 an edit may leave a rule out at random — that is how beam search gets
 * varied children — and with only two children a round can then end with no better prompt.)
 */
export const SMALL_APO_OPTIONS: ApoOptions<RoomTask> = { beamRounds: 1, beamWidth: 1, branchFactor: 2, valBatchSize: 10, gradientBatchSize: 4, diversityTemperature: 0 };

/**
 * Trains a third-party agent's prompt with APO from the framework's own spans: a collector in
 * this process, OTLP tracing to it (our `RolloutSpanProcessor` stamps the rollout's ids on the
 * framework's spans), the framework's instrumentation, runners and APO through the `Trainer`.
 * APO's critique reads the agent's calls from `llm_calls` — rows the framework's spans made.
 */
export async function trainThirdPartyAgent(spec: ThirdPartyAgentSpec, options: TrainThirdPartyOptions): Promise<ApoResult> {
  const logger = options.logger ?? createLogger('info');
  const cleanups: (() => Promise<void> | void)[] = [];
  try {
    let dbPath = options.dbPath;
    if (dbPath === undefined) {
      const dir = mkdtempSync(join(tmpdir(), `${spec.name}-`));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      dbPath = join(dir, 'agl.duckdb');
    }
    const collector = await Collector.start({ dbPath, port: 0, logger });
    cleanups.push(() => collector.close());
    logger.info(`${spec.name}: collector at ${collector.url} (database ${dbPath})`);

    // A short export delay so rollouts' spans reach the store quickly; runners also flush after each rollout.
    const tracer = setupTracing({ endpoint: collector.url, serviceName: spec.name, batch: { scheduledDelayMillis: 200 } });
    cleanups.push(() => tracer.shutdown());
    spec.instrument?.(tracer.provider);

    const openai = new OpenAI({ baseURL: options.endpoint.baseURL, apiKey: options.endpoint.apiKey });
    const trainer = new Trainer<RoomTask, ApoResult>({
      algorithm: new APO<RoomTask>(openai, { ...SMALL_APO_OPTIONS, ...options.apo, data: new LocalApoData(collector.database) }),
      nRunners: options.nRunners ?? 4,
      store: collector.url,
      tracer,
      initialResources: { prompt_template: new PromptTemplate(BASELINE_PROMPT) },
      runner: { minPollIntervalMillis: 20, maxPollIntervalMillis: 100 },
      logger,
    });
    const agent = spec.createAgent(options.endpoint);
    return await trainer.fit(agent, {
      trainDataset: options.trainDataset ?? TRAIN_TASKS,
      valDataset: options.valDataset ?? VAL_TASKS,
      signal: options.signal,
    });
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        logger.warn(`${spec.name}: shutting down: ${(error as Error).message}`);
      }
    }
  }
}
