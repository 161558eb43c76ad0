import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ApoOptions } from '../algorithm/index.ts';
import { parseLogLevel } from '../logging/index.ts';
import type { LogLevel } from '../logging/index.ts';
import { PRESETS, readTrainConfig } from './train-config.ts';
import type { TrainConfig, TrainPreset } from './train-config.ts';
import { UsageError } from './sql-command.ts';

export const TRAIN_USAGE = `Usage: agl train --agent ./agent.ts --dataset tasks.jsonl (--prompt-file prompt.txt | --prompt '...') [options]
       agl train --command "python3 agent.py" --dataset tasks.jsonl (--prompt-file F | --prompt '...') [--grader grader.ts] [options]
       agl train <example> [options]
       agl train --config train.yaml [options]

Trains an agent's prompt: starts a collector on --db (printing its URL, so the traces can be queried
with \`agl sql --server URL\` while it runs), a pool of runners running the agent module, and the
algorithm; shows live progress, then a table of the rounds and the best prompt, which is also saved
to --out. Before training, the prompt is rendered for the first training task: a placeholder the
tasks do not have stops it there (exit 1). Failed rollouts are logged (the first of each kind, with
its rollout id and where it was thrown) and counted; a baseline whose rollouts all fail exits 1.

A run is its initial prompt, datasets and options: the same command again on the same --db resumes
after the last completed round (more --rounds continue a finished one); anything different starts a
new run. --resume insists on resuming (an error when there is nothing to resume); --fresh starts over.

The model: OPENAI_BASE_URL / OPENAI_API_KEY when either is set (OpenAI, vLLM, Ollama, llama.cpp…;
an unreachable server is an error, never a silent fall-back); otherwise the SIMULATED model
(agl sim-llm) is started in this process, said so, and OPENAI_BASE_URL / OPENAI_API_KEY point the
agent module's OpenAI client at it.

Examples (presets of agent module + dataset + prompt + options): room-selector (Agent Lightning's
APO tutorial: 57 tasks, 28 train / 29 validation).

  --agent PATH              the agent module (TypeScript or JavaScript): its default export (or \`agent\`)
                            is a rollout(fn) / LitAgent instance, a LitAgent class or a function
                            (task, resources) => reward — what \`agl runner --agent\` loads
  --command "CMD"           instead: the agent as a command line in any language, run once per rollout
                            (sh -c, its own process group) with OPENAI_BASE_URL at the collector's
                            gateway (its model calls are recorded with no instrumentation),
                            OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_RESOURCE_ATTRIBUTES (the rollout's ids),
                            AGL_TASK, AGL_PROMPT (the prompt rendered for the task), AGL_RESOURCES…, the
                            task as JSON on stdin; exit code ≠ 0 fails the rollout. Its reward: a reward
                            span it emits, else its last stdout line (a number or {"reward": …}), else --grader
  --grader PATH             with --command: a module whose default export ({task, finalAnswer, messages})
                            => number grades each rollout from its recorded LLM calls
  --timeout S               with --command: kill a rollout's process group after S seconds (default 300)
  --gateway-prompt MODE     with --command: the gateway puts the prompt being tried into every model
                            call — system (replaces or inserts the system message) or marker (replaces
                            {{agl.prompt}}) — so APO trains an agent whose prompt is hard-coded
  --dataset PATH            the training tasks: JSON Lines (.jsonl), a JSON array (.json) or CSV
                            (.csv, a header row, every value a string)
  --val-dataset PATH        the validation tasks (same formats)
  --val-fraction F          instead: the last F of --dataset validates (0 < F < 1)
                            (neither: the training tasks also validate)
  --prompt TEXT             the initial prompt template ({placeholder}s filled from each task's fields,
                            or from its task_input's)
  --prompt-file PATH        the same, from a file
  --algorithm NAME          apo (default) or baseline (evaluate the prompt, train nothing)
  --config FILE             JSON or YAML with the same keys in camelCase (agent, dataset, valDataset,
                            valFraction, prompt, promptFile, algorithm, runners, db, server, out,
                            resume, seed, port, tracesEndpoint, agentModel, example) and
                            "apo": {beamRounds, beamWidth, branchFactor, valBatchSize,
                            gradientBatchSize, diversityTemperature, runId, ...}; paths are relative
                            to the file; flags override it
  --server URL              train against a running collector (agl serve) instead of starting one:
                            its database keeps the rollouts, traces and rounds (and resumes them);
                            --db, --fresh and --port are then not used
  --traces-endpoint URL     send the runners' spans there (OTLP/HTTP) instead of to the collector,
                            e.g. an OpenTelemetry Collector that passes them on to Jaeger and to it
  --db PATH                 the DuckDB file (default ./agl-train.duckdb); kept afterwards
  --fresh                   remove --db first instead of resuming from it
  --resume                  resume the run of these settings (or --run-id); an error if there is none
  --run-id ID               name the APO run (default apo-<hash of prompt, datasets and options>)
  --port N                  the collector's port (default 0: a free one, printed; 4318 is agl serve's)
  --out PATH                where the best prompt is saved (default best-prompt.txt next to --db)
  --rounds N                APO beam rounds (default: the example's, else 3)
  --beam-width N            prompts kept per round (default 4; room-selector 2)
  --branch-factor N         children per parent (default 4; room-selector 2)
  --val-batch-size N        validation batch per round (default 16; room-selector 10)
  --gradient-batch-size N   rollouts per critique (default 4)
  --runners N               concurrent runners (default 8)
  --seed N                  APO's seed, and the simulated model's (default 0)
  --agent-model NAME        the agent's model, set as AGENT_MODEL for the agent module
  --sim-latency-ms MS       the simulated model's latency per call (default 0)
  --log-level L             debug, info, warn, error or silent (default warn)`;

/** Everything `agl train` was asked for, resolved: flags over the config file over the example's preset. */
export interface TrainSettings {
  /** What the training is called in its first line: the example's name and description, or the agent's path. */
  title: string;
  /** The agent module; null when the agent is a `command`. */
  agentPath: string | null;
  /** The agent as a command line (`--command`); null for a module. */
  command: string | null;
  /** The grader module of a command agent (`--grader`). */
  graderPath: string | null;
  /** A command's time limit per rollout. */
  commandTimeoutSeconds: number;
  /** Prompt application by the gateway (`--gateway-prompt`), or null. */
  gatewayPrompt: 'system' | 'marker' | null;
  datasetPath: string;
  valDatasetPath: string | null;
  valFraction: number | null;
  prompt: string;
  algorithm: 'apo' | 'baseline';
  /** APO's options from the preset, the config and the flags (seed and runId included). */
  apo: ApoOptions<unknown>;
  resume: boolean;
  runners: number;
  seed: number;
  port: number;
  dbPath: string;
  outPath: string;
  server: string | undefined;
  tracesEndpoint: string | undefined;
  fresh: boolean;
  logLevel: LogLevel;
  simLatencyMillis: number;
  agentModel: string | undefined;
}

function integerFlag(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value) || Number(value) < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got \`${value}\``);
  return Number(value);
}

/** Parses `agl train`'s arguments; null when `--help` was asked for (the usage is printed). */
export async function resolveTrainSettings(args: string[]): Promise<TrainSettings | null> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      agent: { type: 'string' },
      command: { type: 'string' },
      grader: { type: 'string' },
      timeout: { type: 'string' },
      'gateway-prompt': { type: 'string' },
      dataset: { type: 'string' },
      'val-dataset': { type: 'string' },
      'val-fraction': { type: 'string' },
      prompt: { type: 'string' },
      'prompt-file': { type: 'string' },
      algorithm: { type: 'string' },
      config: { type: 'string' },
      server: { type: 'string' },
      'traces-endpoint': { type: 'string' },
      db: { type: 'string' },
      fresh: { type: 'boolean', default: false },
      resume: { type: 'boolean', default: false },
      'run-id': { type: 'string' },
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
    return null;
  }
  if (positionals.length > 1) throw new UsageError(`expected at most one example, got ${positionals.join(' ')}`);
  const config = values.config ? readTrainConfig(values.config) : {};
  const exampleName = positionals[0] ?? config.example;
  if (positionals[0] && config.example && positionals[0] !== config.example) throw new UsageError(`the example \`${positionals[0]}\` differs from the config's \`${config.example}\``);
  let preset: TrainPreset | null = null;
  if (exampleName !== undefined) {
    const loadPreset = PRESETS[exampleName];
    if (!loadPreset) {
      const hint = /[./\\]/.test(exampleName) ? `; for your own agent module: --agent ${exampleName}` : '';
      throw new UsageError(`unknown example \`${exampleName}\` (known: ${Object.keys(PRESETS).join(', ')})${hint}`);
    }
    preset = await loadPreset();
  }
  // Layers: the preset, then the config file, then the flags.
  const pick = <K extends keyof TrainConfig>(key: K, flag: TrainConfig[K] | undefined): TrainConfig[K] | undefined =>
    flag ?? (config[key] as TrainConfig[K] | undefined) ?? (preset?.[key as keyof TrainPreset] as TrainConfig[K] | undefined);

  // The agent: a module or a command, the nearer layer winning over the other key of a farther one.
  if (values.agent !== undefined && values.command !== undefined) throw new UsageError('give --agent or --command, not both');
  if (config.agent !== undefined && config.command !== undefined) throw new UsageError(`--config ${values.config}: give agent or command, not both`);
  let agentPath: string | undefined;
  let command: string | undefined;
  for (const layer of [{ agent: values.agent, command: values.command }, config, preset ?? {}] as { agent?: string; command?: string }[]) {
    if (layer.agent !== undefined) agentPath = layer.agent;
    else if (layer.command !== undefined) command = layer.command;
    else continue;
    break;
  }
  if (agentPath === undefined && command === undefined) {
    throw new UsageError(`give the agent: a module (--agent ./agent.ts), a command (--command "python3 agent.py"), an example (${Object.keys(PRESETS).join(', ')}) or --config`);
  }
  if (command !== undefined && command.trim() === '') throw new UsageError('--command must be a command line, got an empty one');
  const graderPath = pick('grader', values.grader);
  const gatewayPrompt = pick('gatewayPrompt', values['gateway-prompt']);
  const timeoutFlag = values.timeout === undefined ? undefined : Number(values.timeout);
  const commandTimeoutSeconds = timeoutFlag ?? config.timeout ?? 300;
  if (command === undefined) {
    for (const [flag, value] of [['--grader', graderPath], ['--gateway-prompt', gatewayPrompt], ['--timeout', timeoutFlag ?? config.timeout]] as const) {
      if (value !== undefined) throw new UsageError(`${flag} goes with --command (an agent module grades itself and reads its prompt)`);
    }
  }
  if (!(typeof commandTimeoutSeconds === 'number' && commandTimeoutSeconds > 0 && Number.isFinite(commandTimeoutSeconds))) {
    throw new UsageError(`--timeout must be a number of seconds > 0, got \`${values.timeout ?? config.timeout}\``);
  }
  if (gatewayPrompt !== undefined && gatewayPrompt !== 'system' && gatewayPrompt !== 'marker') {
    throw new UsageError(`--gateway-prompt must be system or marker, got \`${gatewayPrompt}\``);
  }
  const datasetPath = pick('dataset', values.dataset);
  if (datasetPath === undefined) throw new UsageError('give the training tasks: --dataset tasks.jsonl (JSON Lines, a JSON array or CSV)');

  // Validation: --val-dataset or --val-fraction, the nearer layer winning over the other key of a farther one.
  const flagValFraction = values['val-fraction'] === undefined ? undefined : Number(values['val-fraction']);
  if (values['val-dataset'] !== undefined && flagValFraction !== undefined) throw new UsageError('give --val-dataset or --val-fraction, not both');
  if (config.valDataset !== undefined && config.valFraction !== undefined) throw new UsageError(`--config ${values.config}: give valDataset or valFraction, not both`);
  let valDatasetPath: string | null = null;
  let valFraction: number | null = null;
  for (const layer of [{ valDataset: values['val-dataset'], valFraction: flagValFraction }, config, preset ?? {}]) {
    if (layer.valDataset !== undefined) valDatasetPath = layer.valDataset;
    else if (layer.valFraction !== undefined) valFraction = layer.valFraction;
    else continue;
    break;
  }
  if (valFraction !== null && !(valFraction > 0 && valFraction < 1)) throw new UsageError(`--val-fraction must be a number between 0 and 1 (exclusive), got \`${valFraction}\``);

  // The prompt: text or file, the nearer layer winning.
  if (values.prompt !== undefined && values['prompt-file'] !== undefined) throw new UsageError('give --prompt or --prompt-file, not both');
  if (config.prompt !== undefined && config.promptFile !== undefined) throw new UsageError(`--config ${values.config}: give prompt or promptFile, not both`);
  let prompt: string | undefined;
  for (const layer of [{ prompt: values.prompt, promptFile: values['prompt-file'] }, config, preset ?? {}]) {
    if (layer.prompt !== undefined) prompt = layer.prompt;
    else if (layer.promptFile !== undefined) {
      try {
        prompt = readFileSync(layer.promptFile, 'utf8').replace(/\r?\n$/, '');
      } catch (error) {
        throw new UsageError(`--prompt-file ${layer.promptFile}: ${(error as Error).message}`);
      }
    } else continue;
    break;
  }
  if (prompt === undefined || prompt.trim() === '') throw new UsageError("give the initial prompt template: --prompt-file prompt.txt or --prompt '...'");

  const algorithm = (pick('algorithm', values.algorithm) ?? 'apo').toLowerCase();
  if (algorithm !== 'apo' && algorithm !== 'baseline') throw new UsageError(`unknown algorithm \`${algorithm}\` (known: apo, baseline)`);
  let logLevel: LogLevel;
  try {
    logLevel = parseLogLevel(values['log-level'] ?? 'warn');
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const port = integerFlag('port', values.port, 0) ?? config.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0 to 65535, got \`${port}\``);
  const runners = integerFlag('runners', values.runners, 1) ?? config.runners ?? preset?.runners ?? 8;
  if (!Number.isInteger(runners) || runners < 1) throw new UsageError(`--runners must be an integer ≥ 1, got \`${runners}\``);
  const seed = integerFlag('seed', values.seed, Number.MIN_SAFE_INTEGER) ?? config.seed ?? config.apo?.seed ?? preset?.seed ?? 0;
  const simLatencyMillis = Number(values['sim-latency-ms']);
  if (!(simLatencyMillis >= 0)) throw new UsageError(`--sim-latency-ms must be a number ≥ 0, got \`${values['sim-latency-ms']}\``);
  const server = pick('server', values.server);
  const tracesEndpoint = pick('tracesEndpoint', values['traces-endpoint']);
  for (const [flag, url] of [['--server', server], ['--traces-endpoint', tracesEndpoint]] as const) {
    if (url !== undefined && !/^https?:\/\/[^/]/.test(url)) throw new UsageError(`${flag} must be an http(s) URL, got \`${url}\``);
  }
  if (server !== undefined && (values.db !== undefined || values.fresh || values.port !== undefined)) {
    throw new UsageError('--db, --fresh and --port are for the collector agl train starts; with --server, that collector has its own');
  }
  const resume = values.resume || (config.resume ?? false);
  if (resume && values.fresh) throw new UsageError('--resume and --fresh contradict each other');
  const dbPath = resolve(values.db ?? config.db ?? 'agl-train.duckdb');
  const outPath = resolve(values.out ?? config.out ?? (server === undefined ? join(dirname(dbPath), 'best-prompt.txt') : 'best-prompt.txt'));

  const apo: ApoOptions<unknown> = { ...preset?.apo, ...config.apo, seed };
  const runId = values['run-id'] ?? config.apo?.runId;
  if (runId !== undefined) apo.runId = runId;
  const flagged: [string, keyof ApoOptions<unknown>, number][] = [
    ['rounds', 'beamRounds', 0],
    ['beam-width', 'beamWidth', 1],
    ['branch-factor', 'branchFactor', 1],
    ['val-batch-size', 'valBatchSize', 1],
    ['gradient-batch-size', 'gradientBatchSize', 1],
  ];
  for (const [flag, option, min] of flagged) {
    const value = integerFlag(flag, values[flag as 'rounds'], min);
    if (value !== undefined) (apo as Record<string, unknown>)[option] = value;
  }

  return {
    title: preset && exampleName ? `${exampleName}: ${preset.description}` : command !== undefined ? `command ${command}` : `agent ${agentPath}`,
    agentPath: agentPath === undefined ? null : resolve(agentPath),
    command: command ?? null,
    graderPath: graderPath === undefined ? null : resolve(graderPath),
    commandTimeoutSeconds,
    gatewayPrompt: gatewayPrompt ?? null,
    datasetPath: resolve(datasetPath),
    valDatasetPath: valDatasetPath === null ? null : resolve(valDatasetPath),
    valFraction,
    prompt,
    algorithm,
    apo,
    resume,
    runners,
    seed,
    port,
    dbPath,
    outPath,
    server,
    tracesEndpoint,
    fresh: values.fresh ?? false,
    logLevel,
    simLatencyMillis,
    agentModel: values['agent-model'] ?? config.agentModel,
  };
}
