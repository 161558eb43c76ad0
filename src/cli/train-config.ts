import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { UsageError } from './sql-command.ts';
import type { TrainConfig, TrainPreset } from './train-config-keys.ts';

export type { TrainConfig, TrainPreset } from './train-config-keys.ts';

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

/** The keys of `apo` a config file may set (the serialisable `ApoOptions`). */
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
