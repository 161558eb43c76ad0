import { existsSync, rmSync, writeFileSync } from 'node:fs';
import OpenAI from 'openai';
import { Collector } from '../../collector/index.ts';
import { PromptTemplate } from '../agent/index.ts';
import type { Agent } from '../agent/index.ts';
import { APO, Baseline, TrainingFailedError, formatRolloutFailure, resolveApoOptions } from '../algorithm/index.ts';
import type { ApoResult, ApoRoundRecord, ApoRunStart, BaselineResult, ResolvedApoOptions } from '../algorithm/index.ts';
import { createLogger } from '../logging/index.ts';
import { loadAgent, loadGrader } from '../runner/index.ts';
import type { CommandGrader } from '../runner/index.ts';
import { chooseModelEndpoint } from '../sim-llm/index.ts';
import { StoreClient } from '../store/index.ts';
import type { StoreStatistics } from '../store/index.ts';
import { Trainer } from '../trainer/index.ts';
import { TrainProgress } from './train-progress.ts';
import { apoReport, baselineReport, describeRound, formatScore } from './train-report.ts';
import type { TrainSettings } from './train-settings.ts';

/** The tasks of a training, loaded and split. */
export interface TrainData {
  train: readonly unknown[];
  val: readonly unknown[] | undefined;
}

/**
 * Runs one training as `agl train` does: the model (a real one when asked for, else the simulated
 * one, said loudly), the agent module loaded with `OPENAI_BASE_URL` pointing at it, a collector on
 * `--db` (or the `--server`), live progress, the algorithm through the `Trainer`, then the report.
 * Resolves with the exit code: 0 done, 1 when the training failed (e.g. the baseline's rollouts all
 * failed), 130 when stopped by a signal.
 */
export async function runTraining(settings: TrainSettings, data: TrainData): Promise<number> {
  const model = await chooseModelEndpoint({ log: process.stderr, name: 'agl train', seed: settings.seed, latencyMillis: settings.simLatencyMillis });
  if (model.simulated) {
    // The agent module's own OpenAI client (`new OpenAI()`) reads these: it reaches the same model.
    process.env.OPENAI_BASE_URL = model.baseURL;
    process.env.OPENAI_API_KEY = model.apiKey;
  }
  if (settings.agentModel !== undefined) process.env.AGENT_MODEL = settings.agentModel;

  const { dbPath, server } = settings;
  if (settings.fresh) for (const path of [dbPath, `${dbPath}.wal`]) rmSync(path, { force: true });
  const resuming = server === undefined && existsSync(dbPath);
  let collector: Collector | null = null;
  let progress: TrainProgress | null = null;
  const controller = new AbortController();
  let interrupted = false;
  const onSignal = (signal: string): void => {
    if (interrupted) return;
    interrupted = true;
    progress?.note(`${signal}: stopping after the calls under way; run the same command again to resume from ${server ?? dbPath}`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const loaded = await loadTrainAgent(settings);
    if (typeof loaded === 'number') return loaded;
    process.stdout.write(`agl train ${settings.title}\n`);
    const target = await openTrainStore(settings, resuming);
    collector = target.collector;
    const apoOptions = resolveApoOptions(settings.apo);
    process.stdout.write(describeTraining(settings, data, apoOptions, target.url, loaded.grader !== null));

    progress = new TrainProgress({ statistics: () => target.store.statistics() });
    progress.state.totalRounds = settings.algorithm === 'apo' ? apoOptions.beamRounds : 0;
    const trainer = new Trainer<unknown, ApoResult | BaselineResult>({
      algorithm: trainAlgorithm(settings, new OpenAI({ baseURL: model.baseURL, apiKey: model.apiKey }), progress),
      nRunners: settings.runners,
      store: target.url,
      tracesEndpoint: settings.tracesEndpoint,
      initialResources: {
        prompt_template: new PromptTemplate(settings.prompt),
        // Prompt application: the gateway reads this resource (APO keeps it in every candidate's resources).
        ...(settings.gatewayPrompt ? { gateway_prompt: { resource_type: 'gateway_prompt', mode: settings.gatewayPrompt, prompt: 'prompt_template' } } : {}),
      },
      command: settings.command === null ? undefined : { command: settings.command, timeoutSeconds: settings.commandTimeoutSeconds, grader: loaded.grader },
      runner: { minPollIntervalMillis: 20, maxPollIntervalMillis: 100 },
      // Failures are warnings (the runners' first occurrences, the algorithms' failed shares): shown at the default --log-level warn.
      logger: createLogger(settings.logLevel, progress.logStream),
    });
    let result: ApoResult | BaselineResult;
    try {
      result = await trainer.fit(loaded.agent, { trainDataset: data.train, valDataset: data.val, signal: controller.signal });
    } catch (error) {
      await progress.stop();
      if (interrupted) {
        process.stderr.write(`agl train: stopped; run the same command again to resume from ${server ?? dbPath}\n`);
        return 130;
      }
      if (error instanceof TrainingFailedError) {
        process.stderr.write(`agl train: ${error.message}\n`);
        return 1;
      }
      throw error;
    }
    await progress.stop();
    return reportTraining(result, settings);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await progress?.stop();
    await collector?.close();
    await model.close();
  }
}

/** The agent: a module loaded here, or a command (run by the runners once per rollout) with its grader. Exit code 1 when one does not load. */
async function loadTrainAgent(settings: TrainSettings): Promise<{ agent: Agent<unknown> | null; grader: CommandGrader | null } | number> {
  if (settings.agentPath !== null) {
    try {
      return { agent: (await loadAgent(settings.agentPath)) as Agent<unknown>, grader: null };
    } catch (error) {
      process.stderr.write(`agl train: cannot load the agent module ${settings.agentPath}: ${(error as Error).message}\n`);
      return 1;
    }
  }
  if (settings.graderPath === null) return { agent: null, grader: null };
  try {
    return { agent: null, grader: await loadGrader(settings.graderPath) };
  } catch (error) {
    process.stderr.write(`agl train: cannot load the grader module ${settings.graderPath}: ${(error as Error).message}\n`);
    return 1;
  }
}

/** The store of the training: a collector started on `--db` (closed by the caller), or the `--server`; says which, and how to look. */
async function openTrainStore(
  settings: TrainSettings,
  resuming: boolean,
): Promise<{ collector: Collector | null; url: string; store: { statistics(): Promise<StoreStatistics> } }> {
  const out = process.stdout;
  const { dbPath, server } = settings;
  if (server !== undefined) {
    const url = server.replace(/\/+$/, '');
    out.write(`collector: ${url} (agl serve; a training stopped earlier resumes from its database)\n`);
    out.write(`  traces: npx agl sql --server ${url} "SELECT name, count(*) FROM spans GROUP BY name"\n`);
    return { collector: null, url, store: new StoreClient({ baseUrl: url }) };
  }
  const collector = await Collector.start({ dbPath, port: settings.port, logger: createLogger(settings.logLevel) });
  out.write(`collector: ${collector.url} (database ${dbPath}${resuming ? ', resuming from it' : ''})\n`);
  out.write(`  traces while it runs: npx agl sql --server ${collector.url} "SELECT name, count(*) FROM spans GROUP BY name"\n`);
  out.write(`  failures:             npx agl sql --server ${collector.url} "SELECT rollout_id, metadata->'error' FROM attempts WHERE status = 'failed'"\n`);
  out.write(`  afterwards:           npx agl sql --db ${dbPath} "SELECT * FROM apo_rounds"\n`);
  return { collector, url: collector.url, store: collector.store };
}

/** The lines that say what will run: where spans go, the command agent, the algorithm and the tasks. */
function describeTraining(settings: TrainSettings, data: TrainData, apoOptions: ResolvedApoOptions<unknown>, storeUrl: string, graded: boolean): string {
  let text = '';
  if (settings.tracesEndpoint !== undefined) text += `spans: to ${settings.tracesEndpoint}\n`;
  if (settings.command !== null) {
    text +=
      `command: ${settings.command} — once per rollout, model calls through ${storeUrl}/v1/agl/gateway/rollouts/<rollout>/attempts/<attempt>/v1` +
      `${settings.gatewayPrompt ? ` (the prompt being tried put in by the gateway: ${settings.gatewayPrompt})` : ''}; ` +
      `reward from its reward span, its last stdout line${graded ? ` or ${settings.graderPath}` : ''}\n`;
  }
  const tasks = `${data.train.length} train / ${data.val?.length ?? `${data.train.length} (the same)`} validation tasks`;
  return (
    text +
    (settings.algorithm === 'apo'
      ? `APO: ${apoOptions.beamRounds} rounds, beam width ${apoOptions.beamWidth}, branch factor ${apoOptions.branchFactor}, ` +
        `val batch ${apoOptions.valBatchSize}, gradient batch ${apoOptions.gradientBatchSize}, seed ${settings.seed}; ${settings.runners} runners; ${tasks}\n`
      : `Baseline: the prompt on the validation tasks; ${settings.runners} runners; ${tasks}\n`)
  );
}

/** APO reporting each round and how its run starts on the progress display, or the Baseline. */
function trainAlgorithm(settings: TrainSettings, openai: OpenAI, display: TrainProgress): APO<unknown> | Baseline<unknown> {
  if (settings.algorithm !== 'apo') return new Baseline<unknown>({ dataset: 'val' });
  const onRound = (round: ApoRoundRecord): void => {
    display.state.round = round.round + 1;
    display.state.bestScore = round.best_val_score;
    if (round.round === 0) display.state.baselineScore = round.leader_val_score;
    display.note(describeRound(round));
  };
  const onRunStart = (start: ApoRunStart): void => {
    display.note(
      start.resumedAfterRound === null
        ? `APO run ${start.runId}: a new run (initial prompt ${start.initialResourcesId ?? 'none'})`
        : `APO run ${start.runId}: resuming after round ${start.resumedAfterRound} (its baseline ${start.initialResourcesId}, best so far ${formatScore(start.bestScore)})` +
            (start.identityDiffers ? '; it was started with another prompt, datasets or options and continues with its own prompts' : ''),
    );
  };
  return new APO<unknown>(openai, { ...settings.apo, resume: settings.resume, onRound, onRunStart });
}

/** The report of a finished training (APO's best prompt is written to `--out`); the exit code. */
function reportTraining(result: ApoResult | BaselineResult, settings: TrainSettings): number {
  if ('rounds' in result) {
    writeFileSync(settings.outPath, `${result.bestPrompt.template}\n`);
    process.stdout.write(apoReport(result, settings.outPath));
    return 0;
  }
  process.stdout.write(baselineReport(result));
  if (result.total > 0 && result.succeeded === 0) {
    const first = result.tasks.find((task) => task.failure !== null)?.failure;
    process.stderr.write(
      `agl train: the baseline evaluation failed entirely — all ${result.total} rollouts failed${first ? `. First error: ${formatRolloutFailure(first)}` : ''}\n`,
    );
    return 1;
  }
  return 0;
}
