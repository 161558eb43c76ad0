import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ApoOptions } from '../algorithm/index.ts';
import { UsageError } from './sql-command.ts';

/**
 * The keys of an `agl train --config` file (JSON, or YAML for `.yaml` / `.yml`): the command's
 * flags in camelCase, and `apo` for APO's options. Paths in the file are relative to the file.
 */
export interface TrainConfig {
  /** A built-in example (a preset of the keys below), e.g. `room-selector`. */
  example?: string;
  /** The agent module (what `agl runner --agent` loads). */
  agent?: string;
  /** Instead of `agent`: the agent as a command line in any language (what `agl runner --command` runs). */
  command?: string;
  /** A command agent's grader module. */
  grader?: string;
  /** A command agent's time limit per rollout, in seconds. */
  timeout?: number;
  /** Prompt application by the gateway for a command agent: `system` or `marker`. */
  gatewayPrompt?: string;
  /** The training tasks: JSON Lines, a JSON array or CSV. */
  dataset?: string;
  /** The validation tasks (same formats). */
  valDataset?: string;
  /** Instead of `valDataset`: the share of `dataset` (its last tasks) kept for validation. */
  valFraction?: number;
  /** The initial prompt template (f-string placeholders such as `{question}`). */
  prompt?: string;
  /** Instead of `prompt`: a file holding it. */
  promptFile?: string;
  /** `apo` (default) or `baseline` (evaluate the prompt, train nothing). */
  algorithm?: string;
  server?: string;
  tracesEndpoint?: string;
  db?: string;
  port?: number;
  out?: string;
  runners?: number;
  seed?: number;
  /** Resume the run of these settings (or `apo.runId`); an error when there is none. */
  resume?: boolean;
  /** The agent's model (set as `AGENT_MODEL` for the agent module). */
  agentModel?: string;
  apo?: ApoOptions<unknown>;
}

/** A built-in example: the keys it sets, with absolute paths, and what it is. */
export interface TrainPreset extends Omit<TrainConfig, 'example' | 'agent' | 'dataset'> {
  description: string;
  agent: string;
  dataset: string;
}

/**
 * An example's module. The examples live in the git checkout's `examples/`; the installed package
 * (compiled, in `dist/`) does not ship them: say so rather than name a missing file.
 */
async function importExample<T>(name: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND' || import.meta.url.endsWith('.ts')) throw error;
    throw new UsageError(`the example \`${name}\` comes with the project's git checkout (examples/), not with the installed package; train your own agent with --agent ./agent.ts`);
  }
}

/** The built-in examples, loaded on demand (they live in `examples/`). */
export const PRESETS: Record<string, () => Promise<TrainPreset>> = {
  'room-selector': async () => (await importExample('room-selector', () => import('../../examples/room-selector/preset.ts'))).ROOM_SELECTOR_PRESET,
};

const KEY_TYPES: Record<keyof TrainConfig, 'string' | 'number' | 'boolean' | 'object'> = {
  example: 'string',
  agent: 'string',
  command: 'string',
  grader: 'string',
  timeout: 'number',
  gatewayPrompt: 'string',
  dataset: 'string',
  valDataset: 'string',
  valFraction: 'number',
  prompt: 'string',
  promptFile: 'string',
  algorithm: 'string',
  server: 'string',
  tracesEndpoint: 'string',
  db: 'string',
  port: 'number',
  out: 'string',
  runners: 'number',
  seed: 'number',
  resume: 'boolean',
  agentModel: 'string',
  apo: 'object',
};

/** The keys of `apo` a config file may set (the serialisable {@link ApoOptions}). */
const APO_KEYS = new Set([
  'gradientModel', 'applyEditModel', 'diversityTemperature', 'gradientBatchSize', 'valBatchSize', 'beamWidth', 'branchFactor',
  'beamRounds', 'rolloutBatchTimeoutSeconds', 'runInitialValidation', 'maxConcurrentModelCalls', 'seed', 'runId',
]);

const PATH_KEYS = ['agent', 'grader', 'dataset', 'valDataset', 'promptFile', 'db', 'out'] as const;

/** Reads and checks a config file; unknown keys and wrong types are usage errors naming the known keys. */
export function readTrainConfig(path: string): TrainConfig {
  const isYaml = /\.ya?ml$/i.test(path);
  let config: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    config = isYaml ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--config ${path}: ${(error as Error).message}`);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new UsageError(`--config ${path}: expected an object (a mapping) at the top`);
  const known = Object.keys(KEY_TYPES);
  for (const [key, value] of Object.entries(config)) {
    if (!(key in KEY_TYPES)) throw new UsageError(`--config ${path}: unknown key \`${key}\` (known: ${known.join(', ')})`);
    const type = KEY_TYPES[key as keyof TrainConfig];
    if (value !== null && (typeof value !== type || (type === 'object' && Array.isArray(value)))) {
      throw new UsageError(`--config ${path}: \`${key}\` must be ${type === 'object' ? 'an object' : `a ${type}`}, got ${JSON.stringify(value)}`);
    }
  }
  const apo = (config as TrainConfig).apo;
  if (apo) for (const key of Object.keys(apo)) if (!APO_KEYS.has(key)) throw new UsageError(`--config ${path}: unknown APO option \`apo.${key}\` (known: ${[...APO_KEYS].join(', ')})`);
  const resolved: TrainConfig = { ...(config as TrainConfig) };
  for (const key of PATH_KEYS) if (typeof resolved[key] === 'string') resolved[key] = resolve(dirname(path), resolved[key]);
  return resolved;
}
