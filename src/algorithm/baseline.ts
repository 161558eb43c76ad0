import type { RolloutConfig, RolloutMode, RolloutStatus } from '../store/index.ts';
import type { Algorithm, AlgorithmContext } from './algorithm.ts';
import { readAttemptReward } from './rollout-reward.ts';
import { readRolloutFailure } from './training-failed-error.ts';
import type { RolloutFailure } from './training-failed-error.ts';

/** Options of {@link Baseline}. */
export interface BaselineOptions {
  /** Which tasks: the validation set (the training set when there is none), the training set, or both. @default 'val' */
  dataset?: 'val' | 'train' | 'both';
  /** The mode the rollouts are enqueued in (what the agent sees). @default 'val' */
  mode?: RolloutMode;
  /** Evaluate only the first this many tasks; `null` for all. @default null */
  maxTasks?: number | null;
  /** The rollouts' retries and time limits. @default the store's (one attempt, no limits) */
  rolloutConfig?: Partial<RolloutConfig> | null;
  /** Give up waiting after this many seconds (unfinished tasks are reported as they are); `null` waits. @default null */
  timeoutSeconds?: number | null;
  /** The resources to evaluate. @default the latest resources in the store */
  resourcesId?: string | null;
}

/** One task's outcome in a {@link BaselineResult}. */
export interface BaselineTaskResult<TTask = unknown> {
  /** The task's position in the evaluated list. */
  index: number;
  input: TTask;
  rolloutId: string;
  status: RolloutStatus;
  /** The primary reward of the rollout's last attempt; null when it recorded none. */
  reward: number | null;
  /** Every reward dimension by name. */
  dimensions: Record<string, number>;
  /** For a failed or cancelled rollout: the error its runner recorded. */
  failure: RolloutFailure | null;
}

/** What {@link Baseline} resolves with. */
export interface BaselineResult<TTask = unknown> {
  /** The resources evaluated (null when the store had none). */
  resourcesId: string | null;
  /** The mean primary reward over the tasks that recorded one; null when none did. */
  meanReward: number | null;
  /** Tasks enqueued. */
  total: number;
  succeeded: number;
  /** Rollouts that ended `failed` or `cancelled`. */
  failed: number;
  /** Tasks that were still unfinished when the wait timed out. */
  unfinished: number;
  tasks: BaselineTaskResult<TTask>[];
}

/** How long one server-side wait lasts before the signal is looked at again. */
const WAIT_SLICE_SECONDS = 2;

/**
 * Evaluates the current resources: enqueues the tasks with them, waits (a server-side long-poll,
 * no client polling) until every rollout is finished, and reports the mean reward and each task's
 * reward, read from the `final_rewards` view. It trains nothing: it is the reference an optimiser is
 * measured against, and what {@link Trainer.dev} runs.
 */
export class Baseline<TTask = unknown> implements Algorithm<TTask, BaselineResult<TTask>> {
  readonly name = 'Baseline';
  readonly #options: Required<Omit<BaselineOptions, 'rolloutConfig' | 'resourcesId'>> & Pick<BaselineOptions, 'rolloutConfig' | 'resourcesId'>;

  constructor(options: BaselineOptions = {}) {
    const dataset = options.dataset ?? 'val';
    if (!['val', 'train', 'both'].includes(dataset)) throw new RangeError(`Expected \`dataset\` to be 'val', 'train' or 'both', got \`${dataset}\``);
    const mode = options.mode ?? 'val';
    if (!['val', 'train', 'test'].includes(mode)) throw new RangeError(`Expected \`mode\` to be 'train', 'val' or 'test', got \`${mode}\``);
    const maxTasks = options.maxTasks ?? null;
    if (maxTasks !== null && (!Number.isInteger(maxTasks) || maxTasks < 1)) throw new RangeError(`Expected \`maxTasks\` to be an integer ≥ 1 or null, got \`${maxTasks}\``);
    const timeoutSeconds = options.timeoutSeconds ?? null;
    if (timeoutSeconds !== null && !(timeoutSeconds >= 0)) throw new RangeError(`Expected \`timeoutSeconds\` to be a number ≥ 0 or null, got \`${timeoutSeconds}\``);
    this.#options = { dataset, mode, maxTasks, timeoutSeconds, rolloutConfig: options.rolloutConfig, resourcesId: options.resourcesId };
  }

  async run(context: AlgorithmContext<TTask>): Promise<BaselineResult<TTask>> {
    const { store, signal, log } = context;
    const { dataset, mode, maxTasks, timeoutSeconds, rolloutConfig } = this.#options;
    let tasks: readonly TTask[] =
      dataset === 'train' ? context.trainDataset : dataset === 'both' ? [...context.trainDataset, ...(context.valDataset ?? [])] : (context.valDataset ?? context.trainDataset);
    if (maxTasks !== null) tasks = tasks.slice(0, maxTasks);
    const resourcesId = this.#options.resourcesId ?? (await store.getLatestResources())?.resources_id ?? null;
    signal.throwIfAborted();
    const rollouts = await store.enqueueRollouts(tasks.map((input) => ({ input, mode, resourcesId, config: rolloutConfig ?? undefined })));
    log.info(`Baseline: ${rollouts.length} ${mode} rollouts enqueued with resources ${resourcesId ?? '(none)'}`);

    const ids = rollouts.map((rollout) => rollout.rollout_id);
    const finished = new Map<string, RolloutStatus>();
    const deadline = timeoutSeconds === null ? Infinity : Date.now() + timeoutSeconds * 1000;
    while (finished.size < ids.length && Date.now() < deadline) {
      signal.throwIfAborted();
      const pending = ids.filter((id) => !finished.has(id));
      const slice = Math.max(0, Math.min(WAIT_SLICE_SECONDS, (deadline - Date.now()) / 1000));
      for (const rollout of await store.waitForRollouts(pending, { timeoutSeconds: slice, signal })) finished.set(rollout.rollout_id, rollout.status);
    }

    const results: BaselineTaskResult<TTask>[] = [];
    for (const [index, rollout] of rollouts.entries()) {
      const status = finished.get(rollout.rollout_id) ?? (await store.getRollout(rollout.rollout_id))?.status ?? rollout.status;
      const { reward, dimensions } = status === 'succeeded' ? await readAttemptReward(store, rollout.rollout_id, 'latest', context.data) : { reward: null, dimensions: {} };
      const failure = status === 'failed' || status === 'cancelled' ? await readRolloutFailure(store, rollout.rollout_id) : null;
      results.push({ index, input: tasks[index], rolloutId: rollout.rollout_id, status, reward, dimensions, failure });
    }
    const rewards = results.flatMap((result) => (result.reward === null ? [] : [result.reward]));
    const meanReward = rewards.length === 0 ? null : rewards.reduce((sum, value) => sum + value, 0) / rewards.length;
    const result: BaselineResult<TTask> = {
      resourcesId,
      meanReward,
      total: results.length,
      succeeded: results.filter((task) => task.status === 'succeeded').length,
      failed: results.filter((task) => task.status === 'failed' || task.status === 'cancelled').length,
      unfinished: ids.length - finished.size,
      tasks: results,
    };
    log.info(
      `Baseline: mean reward ${meanReward === null ? 'n/a' : meanReward.toFixed(4)} over ${rewards.length} of ${result.total} tasks ` +
        `(${result.succeeded} succeeded, ${result.failed} failed, ${result.unfinished} unfinished)`,
    );
    if (result.failed > 0) {
      log.warn(`Baseline: ${result.failed} of ${result.total} rollouts failed (${Math.round((100 * result.failed) / result.total)}%); they have no reward`);
    }
    return result;
  }
}
