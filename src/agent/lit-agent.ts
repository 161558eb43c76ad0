import type { RolloutMode, Rollout } from '../store/index.ts';
import { AGL_ROLLOUT_MODE, emitReward, traceRollout } from '../tracing/index.ts';
import { AgentResources } from './agent-resources.ts';
import type { ResourcesInput } from './agent-resources.ts';

/** What a runner passes when it runs an agent on a task: the rollout, the attempt and its resources. */
export interface RunContext {
  /** The rollout's id. */
  rolloutId: string;
  /** The attempt's id (every span of the run carries it). */
  attemptId: string;
  /**
   * The resources the rollout runs with: the store's named resources JSON (`ResourcesUpdate.resources`),
   * classes, or an {@link AgentResources}. @default none
   */
  resources?: AgentResources | ResourcesInput | null;
  /** The store's id of the resources. @default `rollout.resources_id` when `rollout` is given */
  resourcesId?: string | null;
  /** The rollout's mode: `train` runs `trainingRollout`, `val` / `test` run `validationRollout`, none runs `rollout`. @default `rollout.mode` */
  mode?: RolloutMode | null;
  /** The store's rollout, when the runner has it. */
  rollout?: Rollout;
  /** The sequence id of the attempt's first span. @default 1 */
  firstSequenceId?: number;
  /** Aborted when the runner gives up on the attempt (shutdown, timeout); agents may pass it on. */
  signal?: AbortSignal;
}

/** What an agent's rollout method gets besides the task and resources. */
export interface RolloutContext {
  rolloutId: string;
  attemptId: string;
  mode: RolloutMode | null;
  /** The store's rollout, when the runner passed it. */
  rollout: Rollout | undefined;
  /** Aborted when the runner gives up on the attempt. */
  signal: AbortSignal | undefined;
}

/** What a rollout method may return: a number is the reward; anything else is the output, with no reward. */
export type RolloutResult = number | void | null | undefined | unknown;

/** What {@link Agent.run} resolves to. */
export interface RunOutcome<R = RolloutResult> {
  /** What the rollout method returned. */
  output: R;
  /** The reward recorded from a returned number, else null (the agent may have emitted rewards itself). */
  reward: number | null;
}

/**
 * What a runner runs. `run` records the attempt's spans (a rollout span, everything started
 * inside, a reward span for a returned number, an exception span for a throw) and rejects when the
 * agent throws, so that the runner marks the attempt failed. The spans go out through the process's
 * OpenTelemetry setup (`setupTracing`): call its `forceFlush()` before reporting the attempt's end.
 */
export interface Agent<TTask = unknown, R = RolloutResult> {
  run(task: TTask, context: RunContext): Promise<RunOutcome<R>>;
}

/**
 * Base class of class-based agents (Agent Lightning's `LitAgent`). Override {@link rollout}, or
 * {@link trainingRollout} and {@link validationRollout} when training and validation differ.
 *
 * ```ts
 * class RoomAgent extends LitAgent<RoomTask> {
 *   override async rollout(task: RoomTask, resources: AgentResources) {
 *     const answer = await callModel(resources.prompt.format({ task: task.question }));
 *     return grade(answer, task.expected_choice);   // the reward
 *   }
 * }
 * ```
 */
export class LitAgent<TTask = unknown, R = RolloutResult> implements Agent<TTask, R> {
  /** A name for logs and the rollout span. @default the class name */
  readonly name: string;

  constructor(options: { name?: string } = {}) {
    this.name = options.name ?? new.target.name;
  }

  /** Runs the agent on a task. The default throws: override it (or the mode-specific methods). */
  rollout(_task: TTask, _resources: AgentResources, _context: RolloutContext): Promise<R> | R {
    throw new TypeError(`${this.name} does not implement rollout(task, resources, context)`);
  }

  /** Runs a `train` rollout. @default {@link rollout} */
  trainingRollout(task: TTask, resources: AgentResources, context: RolloutContext): Promise<R> | R {
    return this.rollout(task, resources, context);
  }

  /** Runs a `val` or `test` rollout. @default {@link rollout} */
  validationRollout(task: TTask, resources: AgentResources, context: RolloutContext): Promise<R> | R {
    return this.rollout(task, resources, context);
  }

  /** See {@link Agent.run}. */
  async run(task: TTask, runContext: RunContext): Promise<RunOutcome<R>> {
    const mode = runContext.mode !== undefined ? runContext.mode : (runContext.rollout?.mode ?? null);
    const resources = AgentResources.from(runContext.resources, runContext.resourcesId ?? runContext.rollout?.resources_id ?? null);
    const rolloutContext: RolloutContext = {
      rolloutId: runContext.rolloutId,
      attemptId: runContext.attemptId,
      mode,
      rollout: runContext.rollout,
      signal: runContext.signal,
    };
    const attributes = mode ? { [AGL_ROLLOUT_MODE]: mode } : undefined;
    return traceRollout(
      { rolloutId: runContext.rolloutId, attemptId: runContext.attemptId, firstSequenceId: runContext.firstSequenceId, attributes },
      async () => {
        const output = await this.#dispatch(mode, task, resources, rolloutContext);
        let reward: number | null = null;
        if (typeof output === 'number') {
          emitReward(output);
          reward = output;
        }
        return { output, reward };
      },
    );
  }

  #dispatch(mode: RolloutMode | null, task: TTask, resources: AgentResources, context: RolloutContext): Promise<R> | R {
    if (mode === 'train') return this.trainingRollout(task, resources, context);
    if (mode === 'val' || mode === 'test') return this.validationRollout(task, resources, context);
    return this.rollout(task, resources, context);
  }
}

/** An agent written as a function: `(task, resources, context) => reward | output`. */
export type RolloutFunction<TTask, R> = (task: TTask, resources: AgentResources, context: RolloutContext) => Promise<R> | R;

/** A {@link LitAgent} whose rollout is a function (what {@link rollout} returns). */
export class FunctionAgent<TTask, R> extends LitAgent<TTask, R> {
  readonly #fn: RolloutFunction<TTask, R>;

  constructor(fn: RolloutFunction<TTask, R>, options: { name?: string } = {}) {
    super({ name: options.name ?? (fn.name || 'rollout') });
    this.#fn = fn;
  }

  override rollout(task: TTask, resources: AgentResources, context: RolloutContext): Promise<R> | R {
    return this.#fn(task, resources, context);
  }
}

/**
 * Makes an agent from a function. The function gets the task, the rollout's resources (use
 * `resources.prompt` for the prompt template, `resources.llm` for the model endpoint) and the
 * rollout's ids; spans started inside are attributed to the rollout automatically; a returned
 * number is recorded as the reward; a throw is recorded and fails the attempt.
 *
 * ```ts
 * const roomSelector = rollout(async (task: RoomTask, { prompt, llm }) => {
 *   const answer = await chat(llm, prompt.format(task));
 *   return grade(answer, task.expected_choice);
 * });
 * await roomSelector.run(task, { rolloutId, attemptId, resources });   // what a runner does
 * ```
 */
export function rollout<TTask = unknown, R = RolloutResult>(fn: RolloutFunction<TTask, R>, options: { name?: string } = {}): FunctionAgent<TTask, R> {
  if (typeof fn !== 'function') throw new TypeError('Expected `rollout(fn)` to be given a function');
  return new FunctionAgent(fn, options);
}
