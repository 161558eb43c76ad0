import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { APO, Baseline, Collector, LocalApoData, PromptTemplate, Trainer } from '../../src/index.ts';
import type { ApoResult, BaselineResult } from '../../src/index.ts';
import { createLogger } from '../../src/logging/index.ts';
import type { Logger } from '../../src/logging/index.ts';
import { JsonFileMemory } from './agent-memory.ts';
import type { AgentConfig, TrainingConfig } from './config.ts';
import { BASELINE_PROMPT, createMathAgent } from './math-agent.ts';
import { trainDataset, valDataset } from './math-dataset.ts';
import type { MathTask } from './math-dataset.ts';
import { PromptManager } from './prompt-manager.ts';
import type { SavedPrompt } from './prompt-manager.ts';
import { setupMathAgentTracing } from './tracing.ts';

/** Options of {@link runMathTraining}. */
export interface RunMathTrainingOptions {
  agent: AgentConfig;
  training: TrainingConfig;
  /** @default a stderr logger at `info` */
  logger?: Logger;
  signal?: AbortSignal;
}

/** What {@link runMathTraining} did. */
export interface MathTrainingSummary {
  algorithm: TrainingConfig['algorithm'];
  dryRun: boolean;
  /** The collector used (its URL) and, when started here, its DuckDB file. */
  collectorUrl: string;
  dbPath: string | null;
  /** The prompt the run started from. */
  initialPrompt: string;
  /** Where it came from: the prompt manager's active prompt, or the built-in baseline. */
  initialPromptSource: 'best_prompts' | 'baseline';
  /** The starting prompt's validation score (APO's round 0, Baseline's mean); null on a dry run. */
  baselineScore: number | null;
  /** The best prompt found and its validation score (the starting one for `baseline`). */
  bestPrompt: string;
  bestScore: number | null;
  /** The dry run's (or baseline's) per-task results. */
  tasks: { question: string; reward: number | null; status: string }[];
  /** What was saved to `best_prompts.json` (nothing on a dry run). */
  saved: SavedPrompt | null;
  apo: Pick<ApoResult, 'rounds' | 'rejectedEdits' | 'timedOutRolloutIds' | 'bestResourcesId'> | null;
}

/**
 * The math agent's training, start to end: a collector (in this process unless
 * `training.server` names one), OTLP tracing to it, the Vercel AI SDK agent with its JSON memory,
 * the seeded datasets, the algorithm (APO or Baseline) through the Trainer, and the prompt
 * manager. A dry run runs the agent on a few training tasks through the same path and writes
 * nothing (no memory, no best prompt).
 */
export async function runMathTraining(options: RunMathTrainingOptions): Promise<MathTrainingSummary> {
  const { agent: agentConfig, training } = options;
  const logger = options.logger ?? createLogger('info');
  const cleanups: (() => Promise<void> | void)[] = [];
  try {
    let collectorUrl = training.server;
    let dbPath: string | null = null;
    let apoData: LocalApoData | undefined;
    if (collectorUrl === undefined) {
      dbPath = training.dbPath ?? null;
      if (dbPath === null) {
        const dir = mkdtempSync(join(tmpdir(), 'math-agent-'));
        cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
        dbPath = join(dir, 'agl.duckdb');
      }
      const collector = await Collector.start({ dbPath, port: 0, logger });
      cleanups.push(() => collector.close());
      collectorUrl = collector.url;
      apoData = new LocalApoData(collector.database);
      logger.info(`math-agent: collector at ${collectorUrl} (database ${dbPath})`);
    }
    const tracer = setupMathAgentTracing({ collectorUrl });
    cleanups.push(() => tracer.shutdown());

    const memory = training.dryRun || agentConfig.memoryPath === null ? null : new JsonFileMemory(agentConfig.memoryPath);
    const agent = createMathAgent({ config: agentConfig, memory });
    const train = trainDataset(training.trainSize);
    const val = valDataset(training.valSize);

    const prompts = new PromptManager(training.bestPromptsPath);
    const active = prompts.active();
    const initialPrompt = active?.template ?? BASELINE_PROMPT;
    logger.info(`math-agent: starting from ${active ? `the active prompt ${active.id} of ${prompts.path}` : 'the baseline prompt'}`);

    const trainerOptions = {
      nRunners: training.nRunners,
      store: collectorUrl,
      tracer,
      initialResources: { prompt_template: new PromptTemplate(initialPrompt) },
      runner: { minPollIntervalMillis: 20, maxPollIntervalMillis: 100 },
      logger,
    };
    const summary: MathTrainingSummary = {
      algorithm: training.algorithm,
      dryRun: training.dryRun,
      collectorUrl,
      dbPath,
      initialPrompt,
      initialPromptSource: active ? 'best_prompts' : 'baseline',
      baselineScore: null,
      bestPrompt: initialPrompt,
      bestScore: null,
      tasks: [],
      saved: null,
      apo: null,
    };
    const taskRows = (result: BaselineResult<MathTask>) => result.tasks.map((task) => ({ question: task.input.question, reward: task.reward, status: task.status }));

    if (training.dryRun) {
      const result = await new Trainer<MathTask>(trainerOptions).dev(agent, train, { maxTasks: training.dryRunTasks, signal: options.signal });
      summary.tasks = taskRows(result);
      summary.bestScore = result.meanReward;
      return summary;
    }

    const metadata = { algorithm: training.algorithm, model: agentConfig.model, trainSize: train.length, valSize: val.length, collectorUrl };
    if (training.algorithm === 'baseline') {
      const trainer = new Trainer<MathTask, BaselineResult<MathTask>>({ ...trainerOptions, algorithm: new Baseline<MathTask>({ dataset: 'val' }) });
      const result = await trainer.fit(agent, { trainDataset: train, valDataset: val, signal: options.signal });
      summary.tasks = taskRows(result);
      summary.baselineScore = summary.bestScore = result.meanReward;
      if (result.meanReward !== null) summary.saved = prompts.save(initialPrompt, result.meanReward, { ...metadata, resourcesId: result.resourcesId });
      return summary;
    }

    const openai = new OpenAI({ baseURL: agentConfig.baseURL, apiKey: agentConfig.apiKey });
    const apo = new APO<MathTask>(openai, {
      beamRounds: training.iterations,
      valBatchSize: Math.min(10, val.length),
      gradientBatchSize: 4,
      beamWidth: 2,
      branchFactor: 2,
      seed: training.seed,
      data: apoData,
      critiqueTaskInput: (task) => ({ question: task.question }),
    });
    const result = await new Trainer<MathTask, ApoResult>({ ...trainerOptions, algorithm: apo }).fit(agent, { trainDataset: train, valDataset: val, signal: options.signal });
    summary.baselineScore = result.baselineScore;
    summary.bestScore = result.bestScore;
    summary.bestPrompt = result.bestPrompt.template;
    summary.apo = { rounds: result.rounds, rejectedEdits: result.rejectedEdits, timedOutRolloutIds: result.timedOutRolloutIds, bestResourcesId: result.bestResourcesId };
    if (result.bestScore !== null) {
      summary.saved = prompts.save(result.bestPrompt.template, result.bestScore, {
        ...metadata,
        iterations: training.iterations,
        resourcesId: result.bestResourcesId,
        baselineScore: result.baselineScore,
        rounds: result.rounds.map((round) => ({ round: round.round, leaderScore: round.leader_val_score, bestScore: round.best_val_score })),
      });
    }
    return summary;
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        logger.warn(`math-agent: shutting down: ${(error as Error).message}`);
      }
    }
  }
}
