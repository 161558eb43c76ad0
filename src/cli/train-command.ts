import { parse as parseYaml } from 'yaml';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import OpenAI from 'openai';
import { Collector } from '../../collector/index.ts';
import { PromptTemplate } from '../agent/index.ts';
import type { Agent } from '../agent/index.ts';
import { APO } from '../algorithm/index.ts';
import type { ApoOptions, ApoResult, ApoRoundRecord } from '../algorithm/index.ts';
import { createLogger, parseLogLevel } from '../logging/index.ts';
import type { LogLevel } from '../logging/index.ts';
import { chooseModelEndpoint } from '../sim-llm/index.ts';
import { StoreClient } from '../store/index.ts';
import type { StoreStatistics } from '../store/index.ts';
import { Trainer } from '../trainer/index.ts';
import { formatQueryResult } from './format-table.ts';
import { UsageError } from './sql-command.ts';
import { TrainProgress } from './train-progress.ts';

export const TRAIN_USAGE = `Usage: agl train <example> [options]
       agl train --config train.json [options]

Trains an example agent's prompt with APO: starts a collector on --db (printing its URL, so the
traces can be queried with \`agl sql --server URL\` while it runs), a pool of runners and the
algorithm; shows live progress, then a table of the rounds and the best prompt, which is also saved
to --out. A training stopped with Ctrl-C continues where it stopped when run again on the same --db
(and more --rounds continue a finished one); --fresh starts over.

The model: OPENAI_BASE_URL / OPENAI_API_KEY when either is set (OpenAI, vLLM, Ollama, llama.cpp…;
an unreachable server is an error, never a silent fall-back); otherwise the SIMULATED model
(agl sim-llm) is started in this process, and said so.

Examples: room-selector (Agent Lightning's APO tutorial: 57 tasks, 28 train / 29 validation).

  --config FILE             a JSON file: {"example", "algorithm": "apo", "db", "port", "out", "runners",
                            "seed", "apo": {beamRounds, beamWidth, branchFactor, valBatchSize,
                            gradientBatchSize, diversityTemperature, ...}}; flags override it.
                            (JSON, or YAML for .yaml / .yml files.)
  --server URL              train against a running collector (agl serve) instead of starting one:
                            its database keeps the rollouts, traces and rounds (and resumes them);
                            --db, --fresh and --port are then not used
  --traces-endpoint URL     send the runners' spans there (OTLP/HTTP) instead of to the collector,
                            e.g. an OpenTelemetry Collector that passes them on to Jaeger and to it
  --db PATH                 the DuckDB file (default ./agl-train.duckdb); kept afterwards
  --fresh                   remove --db first instead of resuming from it
  --port N                  the collector's port (default 0: a free one, printed; 4318 is agl serve's)
  --out PATH                where the best prompt is saved (default best-prompt.txt next to --db)
  --rounds N                APO beam rounds (default: the example's, room-selector 2)
  --beam-width N            prompts kept per round (room-selector 2)
  --branch-factor N         children per parent (room-selector 2)
  --val-batch-size N        validation batch per round (room-selector 10)
  --gradient-batch-size N   rollouts per critique (room-selector 4)
  --runners N               concurrent runners (default 8)
  --seed N                  APO's seed, and the simulated model's (default 0)
  --agent-model NAME        the agent's model (default env AGENT_MODEL, else the example's)
  --sim-latency-ms MS       the simulated model's latency per call (default 0)
  --log-level L             debug, info, warn, error or silent (default warn)`;

/** A task set, an agent and APO settings that `agl train` knows by name. */
interface TrainExample {
  description: string;
  agent(openai: OpenAI, model: string | undefined): Agent<unknown>;
  initialPrompt: string;
  trainDataset: readonly unknown[];
  valDataset: readonly unknown[];
  apo: ApoOptions<unknown>;
}

/** The examples, loaded on demand (they live in `examples/`). */
const EXAMPLES: Record<string, () => Promise<TrainExample>> = {
  'room-selector': async () => {
    const agentModule = await import('../../examples/room-selector/room-agent.ts');
    const data = await import('../../examples/room-selector/room-data.ts');
    const training = await import('../../examples/room-selector/train-room-selector.ts');
    return {
      description: "the room selector of Agent Lightning's APO tutorial",
      agent: (openai, model) => agentModule.createRoomSelectorAgent({ openai, model }) as unknown as Agent<unknown>,
      initialPrompt: agentModule.BASELINE_PROMPT,
      trainDataset: data.TRAIN_TASKS,
      valDataset: data.VAL_TASKS,
      apo: training.TUTORIAL_APO_OPTIONS as ApoOptions<unknown>,
    };
  },
};

const CONFIG_KEYS = new Set(['example', 'algorithm', 'server', 'tracesEndpoint', 'db', 'port', 'out', 'runners', 'seed', 'apo']);
const CONFIG_APO_KEYS = new Set([
  'gradientModel', 'applyEditModel', 'diversityTemperature', 'gradientBatchSize', 'valBatchSize', 'beamWidth', 'branchFactor',
  'beamRounds', 'rolloutBatchTimeoutSeconds', 'runInitialValidation', 'maxConcurrentModelCalls', 'seed', 'runId',
]);

/** The contents of a `--config` file. */
interface TrainConfig {
  example?: string;
  algorithm?: string;
  server?: string;
  tracesEndpoint?: string;
  db?: string;
  port?: number;
  out?: string;
  runners?: number;
  seed?: number;
  apo?: ApoOptions<unknown>;
}

function readConfig(path: string): TrainConfig {
  const isYaml = /\.ya?ml$/i.test(path);
  let config: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    config = isYaml ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--config ${path}: ${(error as Error).message}`);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new UsageError(`--config ${path}: expected an object (a mapping) at the top`);
  for (const key of Object.keys(config)) if (!CONFIG_KEYS.has(key)) throw new UsageError(`--config ${path}: unknown key \`${key}\` (known: ${[...CONFIG_KEYS].join(', ')})`);
  const apo = (config as TrainConfig).apo;
  if (apo !== undefined) {
    if (typeof apo !== 'object' || apo === null || Array.isArray(apo)) throw new UsageError(`--config ${path}: \`apo\` must be an object`);
    for (const key of Object.keys(apo)) if (!CONFIG_APO_KEYS.has(key)) throw new UsageError(`--config ${path}: unknown APO option \`apo.${key}\` (known: ${[...CONFIG_APO_KEYS].join(', ')})`);
  }
  return config as TrainConfig;
}

function integerFlag(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value) || Number(value) < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got \`${value}\``);
  return Number(value);
}

/** `agl train`: runs one training to its end; 0 when it finished, 130 when stopped by Ctrl-C. */
export async function trainCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      server: { type: 'string' },
      'traces-endpoint': { type: 'string' },
      db: { type: 'string' },
      fresh: { type: 'boolean', default: false },
      port: { type: 'string' },
      out: { type: 'string' },
      rounds: { type: 'string' },
      'beam-width': { type: 'string' },
      'branch-factor': { type: 'string' },
      'val-batch-size': { type: 'string' },
      'gradient-batch-size': { type: 'string' },
      runners: { type: 'string' },
      seed: { type: 'string' },
      'agent-model': { type: 'string' },
      'sim-latency-ms': { type: 'string', default: '0' },
      'log-level': { type: 'string', default: 'warn' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${TRAIN_USAGE}\n`);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`expected one example, got ${positionals.join(' ')}`);
  const config = values.config ? readConfig(values.config) : {};
  const exampleName = positionals[0] ?? config.example;
  if (!exampleName) throw new UsageError(`name an example (${Object.keys(EXAMPLES).join(', ')}) or give --config`);
  if (positionals[0] && config.example && positionals[0] !== config.example) throw new UsageError(`the example \`${positionals[0]}\` differs from the config's \`${config.example}\``);
  const loadExample = EXAMPLES[exampleName];
  if (!loadExample) throw new UsageError(`unknown example \`${exampleName}\` (known: ${Object.keys(EXAMPLES).join(', ')})`);
  if ((config.algorithm ?? 'apo').toLowerCase() !== 'apo') throw new UsageError(`unknown algorithm \`${config.algorithm}\` (known: apo)`);
  let logLevel: LogLevel;
  try {
    logLevel = parseLogLevel(values['log-level'] ?? 'warn');
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const port = integerFlag('port', values.port, 0) ?? config.port ?? 0;
  if (!Number.isInteger(port) || port > 65535) throw new UsageError(`--port must be 0 to 65535, got \`${port}\``);
  const runners = integerFlag('runners', values.runners, 1) ?? config.runners ?? 8;
  const seed = integerFlag('seed', values.seed, Number.MIN_SAFE_INTEGER) ?? config.seed ?? config.apo?.seed ?? 0;
  const simLatencyMillis = Number(values['sim-latency-ms']);
  if (!(simLatencyMillis >= 0)) throw new UsageError(`--sim-latency-ms must be a number ≥ 0, got \`${values['sim-latency-ms']}\``);
  const server = values.server ?? config.server;
  const tracesEndpoint = values['traces-endpoint'] ?? config.tracesEndpoint;
  for (const [flag, url] of [['--server', server], ['--traces-endpoint', tracesEndpoint]] as const) {
    if (url !== undefined && !/^https?:\/\/[^/]/.test(url)) throw new UsageError(`${flag} must be an http(s) URL, got \`${url}\``);
  }
  if (server !== undefined && (values.db !== undefined || values.fresh || values.port !== undefined)) {
    throw new UsageError('--db, --fresh and --port are for the collector agl train starts; with --server, that collector has its own');
  }
  const dbPath = resolve(values.db ?? config.db ?? 'agl-train.duckdb');
  const outPath = resolve(values.out ?? config.out ?? (server === undefined ? join(dirname(dbPath), 'best-prompt.txt') : 'best-prompt.txt'));

  const example = await loadExample();
  const apoOptions: ApoOptions<unknown> = {
    ...example.apo,
    ...config.apo,
    seed,
    runId: config.apo?.runId ?? exampleName,
  };
  const flagged: [string, keyof ApoOptions<unknown>, number][] = [
    ['rounds', 'beamRounds', 0],
    ['beam-width', 'beamWidth', 1],
    ['branch-factor', 'branchFactor', 1],
    ['val-batch-size', 'valBatchSize', 1],
    ['gradient-batch-size', 'gradientBatchSize', 1],
  ];
  for (const [flag, option, min] of flagged) {
    const value = integerFlag(flag, values[flag as 'rounds'], min);
    if (value !== undefined) (apoOptions as Record<string, unknown>)[option] = value;
  }

  // The model: a real one when asked for (and checked), else the simulated one, said loudly.
  const out = process.stdout;
  const err = process.stderr;
  const model = await chooseModelEndpoint({ log: err, name: 'agl train', seed, latencyMillis: simLatencyMillis });

  if (values.fresh) for (const path of [dbPath, `${dbPath}.wal`]) rmSync(path, { force: true });
  const resuming = server === undefined && existsSync(dbPath);
  let collector: Collector | null = null;
  let progress: TrainProgress | null = null;
  const controller = new AbortController();
  let interrupted = false;
  const onSignal = (signal: string): void => {
    if (interrupted) return;
    interrupted = true;
    progress?.note(`${signal}: stopping after the calls under way; run the same command again to resume from ${dbPath}`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    let storeUrl: string;
    let store: { statistics(): Promise<StoreStatistics> };
    out.write(`agl train ${exampleName}: ${example.description}\n`);
    if (server === undefined) {
      collector = await Collector.start({ dbPath, port, logger: createLogger(logLevel) });
      storeUrl = collector.url;
      store = collector.store;
      out.write(`collector: ${collector.url} (database ${dbPath}${resuming ? ', resuming from it' : ''})\n`);
      out.write(`  traces while it runs: npx agl sql --server ${collector.url} "SELECT name, count(*) FROM spans GROUP BY name"\n`);
      out.write(`  afterwards:           npx agl sql --db ${dbPath} "SELECT * FROM apo_rounds"\n`);
    } else {
      storeUrl = server.replace(/\/+$/, '');
      store = new StoreClient({ baseUrl: storeUrl });
      out.write(`collector: ${storeUrl} (agl serve; a training stopped earlier resumes from its database)\n`);
      out.write(`  traces: npx agl sql --server ${storeUrl} "SELECT name, count(*) FROM spans GROUP BY name"\n`);
    }
    if (tracesEndpoint !== undefined) out.write(`spans: to ${tracesEndpoint}\n`);
    out.write(
      `APO: ${apoOptions.beamRounds} rounds, beam width ${apoOptions.beamWidth ?? 4}, branch factor ${apoOptions.branchFactor ?? 4}, ` +
        `val batch ${apoOptions.valBatchSize ?? 16}, gradient batch ${apoOptions.gradientBatchSize ?? 4}, seed ${seed}; ${runners} runners; ` +
        `${example.trainDataset.length} train / ${example.valDataset.length} validation tasks\n`,
    );

    progress = new TrainProgress({ statistics: () => store.statistics() });
    const display = progress;
    display.state.totalRounds = apoOptions.beamRounds ?? 3;
    const logger = createLogger(logLevel, display.logStream);
    const onRound = (round: ApoRoundRecord): void => {
      display.state.round = round.round + 1;
      display.state.bestScore = round.best_val_score;
      if (round.round === 0) display.state.baselineScore = round.leader_val_score;
      display.note(
        round.round === 0
          ? `initial prompt ${round.leader_resources_id}: validation score ${score(round.leader_val_score)}`
          : `round ${round.round} done: ${round.candidates.length} candidates, leader ${round.leader_resources_id} ${score(round.leader_val_score)}, ` +
              `best ${score(round.best_val_score)}${round.rejected_edits ? `, ${round.rejected_edits} edits rejected` : ''}` +
              `${round.timed_out_rollouts ? `, ${round.timed_out_rollouts} rollouts timed out` : ''}`,
      );
    };
    const openai = new OpenAI({ baseURL: model.baseURL, apiKey: model.apiKey });
    const trainer = new Trainer<unknown, ApoResult>({
      algorithm: new APO<unknown>(openai, { ...apoOptions, onRound }),
      nRunners: runners,
      store: storeUrl,
      tracesEndpoint,
      initialResources: { prompt_template: new PromptTemplate(example.initialPrompt) },
      runner: { minPollIntervalMillis: 20, maxPollIntervalMillis: 100 },
      logger,
    });
    let result: ApoResult;
    try {
      result = await trainer.fit(example.agent(openai, values['agent-model'] ?? process.env.AGENT_MODEL), {
        trainDataset: example.trainDataset,
        valDataset: example.valDataset,
        signal: controller.signal,
      });
    } catch (error) {
      if (interrupted) {
        await progress.stop();
        err.write(`agl train: stopped; run the same command again to resume from ${dbPath}\n`);
        return 130;
      }
      throw error;
    }
    await progress.stop();

    out.write(`\n${roundsTable(result.rounds)}`);
    const bestRound = result.rounds.find((round) => round.leader_resources_id === result.bestResourcesId && round.leader_val_score === result.bestScore);
    out.write(`baseline validation score: ${score(result.baselineScore)}\n`);
    out.write(`best validation score: ${score(result.bestScore)} (${result.bestResourcesId}${bestRound ? `, round ${bestRound.round}` : ''})\n`);
    out.write(`edits rejected: ${result.rejectedEdits}; rollouts timed out: ${result.timedOutRolloutIds.length}\n`);
    writeFileSync(outPath, `${result.bestPrompt.template}\n`);
    out.write(`\nbest prompt (saved to ${outPath}):\n${result.bestPrompt.template}\n`);
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await progress?.stop();
    await collector?.close();
    await model.close();
  }
}

function score(value: number | null): string {
  return value === null ? 'n/a' : value.toFixed(3);
}

/** The final table: the baseline and each round's scores and prompt versions. */
function roundsTable(rounds: readonly ApoRoundRecord[]): string {
  const rows = rounds.map((round) => [
    round.round === 0 ? 'baseline' : String(round.round),
    round.round === 0 ? 0 : round.candidates.length,
    round.leader_resources_id,
    score(round.leader_val_score),
    score(round.best_val_score),
    round.best_resources_id,
    round.beam.map((entry) => entry.resources_id).join(' '),
    round.rejected_edits,
    round.timed_out_rollouts,
  ]);
  const names = ['round', 'candidates', 'leader', 'leader val score', 'best val score', 'best', 'beam (resources ids)', 'rejected', 'timed out'];
  return formatQueryResult({ columns: names.map((name) => ({ name, type: 'VARCHAR' })), rows, truncated: false }, 'table');
}
