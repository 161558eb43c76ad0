import type { RolloutConfig } from '../../store/index.ts';
import type { ApoData } from './apo-data.ts';
import type { ApoRoundRecord } from './apo-round-record.ts';

/** Options of {@link APO}. */
export interface ApoOptions<TTask = unknown> {
  /** The model that writes critiques (textual gradients). @default `APO_GRADIENT_MODEL`, else 'gpt-4.1-mini' */
  gradientModel?: string;
  /** The model that applies a critique to a prompt. @default `APO_EDIT_MODEL`, else 'gpt-4.1-mini' */
  applyEditModel?: string;
  /** Sampling temperature of the critique and edit calls (higher: more varied children). @default 1.0 */
  diversityTemperature?: number;
  /** Rollouts per critique (the parent's train batch). @default 4 */
  gradientBatchSize?: number;
  /** Tasks in the validation batch that ranks beam and children each round. @default 16 */
  valBatchSize?: number;
  /** Prompts kept after each round. @default 4 */
  beamWidth?: number;
  /** Children per parent per round. @default 4 */
  branchFactor?: number;
  /** Rounds of beam search. @default 3 */
  beamRounds?: number;
  /** How long one batch of rollouts may take; unfinished ones are cancelled, reported and scored 0. @default 600 */
  rolloutBatchTimeoutSeconds?: number;
  /** Score the initial prompt on the full validation set first (the baseline). @default true */
  runInitialValidation?: boolean;
  /** Critique and edit calls under way at once. @default 8 */
  maxConcurrentModelCalls?: number;
  /** Seeds the sampling of parents and batches, and the model calls' `seed`. @default 0 */
  seed?: number;
  /** The name of the prompt template in the store's resources. @default 'prompt_template' */
  promptResourceName?: string;
  /**
   * Names this training in `apo_rounds`; a run started again with the same id resumes after its
   * last completed round (with its own prompts, whatever the initial resources are now).
   * @default `apo-<hash>`: derived from the run's identity — its initial resources, datasets and
   * options (not `beamRounds`) — so that the same training resumes and a different one starts anew
   */
  runId?: string;
  /**
   * Only resume: the run (`runId`, else the one with this identity) must be in `apo_rounds`;
   * otherwise `run` rejects with an `ApoRunNotFoundError` listing the runs there. @default false
   */
  resume?: boolean;
  /** Called once the run is known: new, or resumed (after which round). */
  onRunStart?: (start: ApoRunStart) => void;
  /** Retries and time limits of each rollout. @default the store's (one attempt) */
  rolloutConfig?: Partial<RolloutConfig> | null;
  /**
   * The task as shown to the critic (`task_input` of each experiment).
   * @default the task's `task_input` field when it has one, else the task
   */
  critiqueTaskInput?: (task: TTask) => unknown;
  /** SQL and `apo_rounds` access. @default found from the store (in-process collector or `StoreClient`) */
  data?: ApoData;
  /** Called after each completed round (round 0 is the initial validation). */
  onRound?: (round: ApoRoundRecord) => void;
  /**
   * How a round is scheduled. `'concurrent'`: independent children (and the validation of beam and
   * children) run at once and rollouts are awaited with the store's server-side wait.
   * `'sequential'`: Agent Lightning's schedule — children one after another, candidates validated
   * one after another, rollouts awaited by polling every `pollIntervalSeconds`. It exists for the
   * comparison of `npm run bench:apo`; it gives the same prompts, only slower.
   * @default 'concurrent'
   */
  schedule?: 'concurrent' | 'sequential';
  /** The polling interval of the `'sequential'` schedule (Agent Lightning's is 2 s). @default 2 */
  pollIntervalSeconds?: number;
}

/** How an APO run starts (see {@link ApoOptions.onRunStart}). */
export interface ApoRunStart {
  runId: string;
  /** The hash of this call's initial resources, datasets and options. */
  fingerprint: string;
  /** The last completed round the run resumes after; null for a new run. */
  resumedAfterRound: number | null;
  /** For a resumed run: whether it was recorded with another identity (a run resumed by its id). */
  identityDiffers: boolean;
  /** For a resumed run: its best full-validation score so far. */
  bestScore: number | null;
  /** The resources the run started from (for a resumed run, its recorded baseline). */
  initialResourcesId: string | null;
}

/** {@link ApoOptions} with every default applied. `runId` stays null when it is to be derived from the run's identity. */
export type ResolvedApoOptions<TTask> = Required<Omit<ApoOptions<TTask>, 'data' | 'onRound' | 'onRunStart' | 'rolloutConfig' | 'critiqueTaskInput' | 'runId'>> &
  Pick<ApoOptions<TTask>, 'data' | 'onRound' | 'onRunStart' | 'rolloutConfig'> & { critiqueTaskInput: (task: TTask) => unknown; runId: string | null };

/** Applies defaults and checks every option (throws a `RangeError`/`TypeError` naming the option). */
export function resolveApoOptions<TTask>(options: ApoOptions<TTask>): ResolvedApoOptions<TTask> {
  const resolved: ResolvedApoOptions<TTask> = {
    gradientModel: options.gradientModel ?? process.env.APO_GRADIENT_MODEL ?? 'gpt-4.1-mini',
    applyEditModel: options.applyEditModel ?? process.env.APO_EDIT_MODEL ?? 'gpt-4.1-mini',
    diversityTemperature: options.diversityTemperature ?? 1.0,
    gradientBatchSize: options.gradientBatchSize ?? 4,
    valBatchSize: options.valBatchSize ?? 16,
    beamWidth: options.beamWidth ?? 4,
    branchFactor: options.branchFactor ?? 4,
    beamRounds: options.beamRounds ?? 3,
    rolloutBatchTimeoutSeconds: options.rolloutBatchTimeoutSeconds ?? 600,
    runInitialValidation: options.runInitialValidation ?? true,
    maxConcurrentModelCalls: options.maxConcurrentModelCalls ?? 8,
    seed: options.seed ?? 0,
    promptResourceName: options.promptResourceName ?? 'prompt_template',
    runId: options.runId ?? null,
    resume: options.resume ?? false,
    onRunStart: options.onRunStart,
    rolloutConfig: options.rolloutConfig,
    critiqueTaskInput: options.critiqueTaskInput ?? defaultCritiqueTaskInput,
    data: options.data,
    onRound: options.onRound,
    schedule: options.schedule ?? 'concurrent',
    pollIntervalSeconds: options.pollIntervalSeconds ?? 2,
  };
  for (const name of ['gradientBatchSize', 'valBatchSize', 'beamWidth', 'branchFactor', 'maxConcurrentModelCalls'] as const) {
    if (!Number.isInteger(resolved[name]) || resolved[name] < 1) throw new RangeError(`Expected \`${name}\` to be an integer ≥ 1, got \`${resolved[name]}\``);
  }
  if (!Number.isInteger(resolved.beamRounds) || resolved.beamRounds < 0) throw new RangeError(`Expected \`beamRounds\` to be an integer ≥ 0, got \`${resolved.beamRounds}\``);
  if (!Number.isInteger(resolved.seed)) throw new RangeError(`Expected \`seed\` to be an integer, got \`${resolved.seed}\``);
  if (!(resolved.diversityTemperature >= 0 && resolved.diversityTemperature <= 2)) {
    throw new RangeError(`Expected \`diversityTemperature\` to be a number from 0 to 2, got \`${resolved.diversityTemperature}\``);
  }
  if (resolved.schedule !== 'concurrent' && resolved.schedule !== 'sequential') {
    throw new RangeError(`Expected \`schedule\` to be 'concurrent' or 'sequential', got \`${String(resolved.schedule)}\``);
  }
  if (!(resolved.pollIntervalSeconds > 0)) throw new RangeError(`Expected \`pollIntervalSeconds\` to be > 0, got \`${resolved.pollIntervalSeconds}\``);
  if (!(resolved.rolloutBatchTimeoutSeconds > 0)) throw new RangeError(`Expected \`rolloutBatchTimeoutSeconds\` to be > 0, got \`${resolved.rolloutBatchTimeoutSeconds}\``);
  for (const name of ['gradientModel', 'applyEditModel', 'promptResourceName'] as const) {
    if (typeof resolved[name] !== 'string' || resolved[name] === '') throw new TypeError(`Expected \`${name}\` to be a non-empty string`);
  }
  if (resolved.runId !== null && (typeof resolved.runId !== 'string' || resolved.runId === '')) throw new TypeError('Expected `runId` to be a non-empty string');
  return resolved;
}

function defaultCritiqueTaskInput(task: unknown): unknown {
  if (typeof task === 'object' && task !== null && 'task_input' in task) return (task as { task_input: unknown }).task_input;
  return task;
}
