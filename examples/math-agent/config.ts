import { parseArgs } from 'node:util';
import { z } from 'zod';

/**
 * The agent's settings: which model, where, how it samples, where its memory lives. Read from the
 * environment (`OPENAI_BASE_URL`, `OPENAI_API_KEY`, `MATH_AGENT_MODEL`, `MATH_AGENT_TEMPERATURE`,
 * `MATH_AGENT_MEMORY`), then overridden by flags; validated by {@link agentConfigSchema}.
 */
export const agentConfigSchema = z.object({
  /** The OpenAI-compatible server, e.g. `https://api.openai.com/v1` or the simulated model's URL. */
  baseURL: z.url({ protocol: /^https?$/ }),
  /** Sent as the bearer token (the simulated model accepts any). */
  apiKey: z.string().min(1),
  /** The chat model. @default 'gpt-4.1-nano' */
  model: z.string().min(1).default('gpt-4.1-nano'),
  /** Sampling temperature of the agent's calls. @default 0 */
  temperature: z.number().min(0).max(2).default(0),
  /** The JSON file the agent remembers solved problems in; `null`: no memory. @default './math-agent-memory.json' */
  memoryPath: z.string().min(1).nullable().default('./math-agent-memory.json'),
});
/** The agent's settings (see {@link agentConfigSchema}). */
export type AgentConfig = z.infer<typeof agentConfigSchema>;

/** The training's settings, from flags (and `AGL_SERVER`); validated by {@link trainingConfigSchema}. */
export const trainingConfigSchema = z.object({
  /** `apo` optimises the prompt; `baseline` only evaluates it. @default 'apo' */
  algorithm: z.enum(['apo', 'baseline']).default('apo'),
  /** APO rounds (beam-search iterations); unused by `baseline`. @default 2 */
  iterations: z.number().int().min(1).max(20).default(2),
  /** Training tasks (the first of the seed-42 set). @default 20 */
  trainSize: z.number().int().min(1).max(1000).default(20),
  /** Validation tasks (the first of the seed-123 set). @default 10 */
  valSize: z.number().int().min(1).max(1000).default(10),
  /** Check the whole path (model, spans, rewards) on a few tasks, train nothing, write nothing. @default false */
  dryRun: z.boolean().default(false),
  /** Tasks of a dry run. @default 3 */
  dryRunTasks: z.number().int().min(1).default(3),
  /** Runners in this process. @default 4 */
  nRunners: z.number().int().min(1).max(64).default(4),
  /** A running collector (`agl serve`) to use; else one is started in this process. @default `AGL_SERVER` */
  server: z.url({ protocol: /^https?$/ }).optional(),
  /** The in-process collector's DuckDB file (kept). @default a temporary file, removed afterwards */
  dbPath: z.string().min(1).optional(),
  /** Where the prompt manager keeps the best prompts. @default './best_prompts.json' */
  bestPromptsPath: z.string().min(1).default('./best_prompts.json'),
  /** Seeds APO's sampling. @default 0 */
  seed: z.number().int().default(0),
});
/** The training's settings (see {@link trainingConfigSchema}). */
export type TrainingConfig = z.infer<typeof trainingConfigSchema>;

/** Thrown for a bad flag or setting; the message names it. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses `schema`, turning zod's issues into one {@link ConfigError} naming each bad field. */
function validate<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `\`${issue.path.join('.')}\`: ${issue.message}`).join('; ');
  throw new ConfigError(`Invalid ${what}: ${problems}`);
}

/** A number flag or variable: `undefined` when absent, `NaN` (refused by the schema) when not a number. */
function numberOf(text: string | undefined): number | undefined {
  return text === undefined || text === '' ? undefined : Number(text);
}

/** Drops `undefined` fields so that the schema's defaults apply. */
function defined<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/**
 * The agent config: explicit `overrides` → environment → defaults. `baseURL` is required (the
 * caller decides whether to start the simulated model when `OPENAI_BASE_URL` is unset).
 */
export function loadAgentConfig(overrides: Partial<AgentConfig> = {}, env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const memory = env.MATH_AGENT_MEMORY;
  return validate(
    agentConfigSchema,
    {
      ...defined({
        baseURL: env.OPENAI_BASE_URL || undefined,
        apiKey: env.OPENAI_API_KEY || undefined,
        model: env.MATH_AGENT_MODEL || undefined,
        temperature: numberOf(env.MATH_AGENT_TEMPERATURE),
        memoryPath: memory === undefined || memory === '' ? undefined : memory === 'none' ? null : memory,
      }),
      ...defined(overrides),
    },
    'agent config',
  );
}

/** What `train.ts` takes on the command line. */
export interface CommandLine {
  training: TrainingConfig;
  /** Agent settings given as flags (`--model`, `--memory`). */
  agent: Partial<AgentConfig>;
  help: boolean;
}

/** Usage text of `train.ts`. */
export const USAGE = `Usage: node --import tsx examples/math-agent/train.ts [options]

  --algorithm apo|baseline   optimise the prompt (apo) or only evaluate it (baseline)   [apo]
  --iterations N             APO rounds                                                 [2]
  --train-size N             training tasks (seed 42)                                   [20]
  --val-size N               validation tasks (seed 123)                                [10]
  --dry-run                  run the agent on a few tasks, train nothing, write nothing
  --runners N                runners in this process                                    [4]
  --server URL               use a running collector (agl serve)                        [AGL_SERVER]
  --db PATH                  keep the in-process collector's DuckDB file here           [temporary]
  --best-prompts PATH        the prompt manager's file                                  [./best_prompts.json]
  --memory PATH|none         the agent's JSON memory                                    [MATH_AGENT_MEMORY or ./math-agent-memory.json]
  --model NAME               the agent's model                                          [MATH_AGENT_MODEL or gpt-4.1-nano]
  --seed N                   APO's seed                                                 [0]

Model: OPENAI_BASE_URL / OPENAI_API_KEY; unset, the SIMULATED model is started in this process.`;

/** Parses `train.ts`'s flags (unknown flags and bad values throw a {@link ConfigError}). */
export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CommandLine {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        algorithm: { type: 'string' },
        iterations: { type: 'string' },
        'train-size': { type: 'string' },
        'val-size': { type: 'string' },
        'dry-run': { type: 'boolean' },
        runners: { type: 'string' },
        server: { type: 'string' },
        db: { type: 'string' },
        'best-prompts': { type: 'string' },
        memory: { type: 'string' },
        model: { type: 'string' },
        seed: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  const training = validate(
    trainingConfigSchema,
    defined({
      algorithm: values.algorithm,
      iterations: numberOf(values.iterations),
      trainSize: numberOf(values['train-size']),
      valSize: numberOf(values['val-size']),
      dryRun: values['dry-run'],
      nRunners: numberOf(values.runners),
      server: values.server ?? (env.AGL_SERVER || undefined),
      dbPath: values.db,
      bestPromptsPath: values['best-prompts'],
      seed: numberOf(values.seed),
    }),
    'training config',
  );
  if (training.server !== undefined && training.dbPath !== undefined) throw new ConfigError('Expected one of `--server` (a running collector) and `--db` (an in-process one), not both');
  const agent = defined({ model: values.model, memoryPath: values.memory === undefined ? undefined : values.memory === 'none' ? null : values.memory });
  return { training, agent, help: values.help ?? false };
}
