import type { AgentResources } from './agent-resources.ts';
import { rollout } from './lit-agent.ts';
import type { Agent, FunctionAgent, RolloutResult, RunContext, RunOutcome } from './lit-agent.ts';

/**
 * The getting-started guide's older agent shape (Agent Lightning before v0.2):
 * `trainingRollout(task, rolloutId, resources)` and `validationRollout(task, rolloutId, resources)`.
 * A subclass runs like any agent (spans, a returned number as the reward, a throw failing the
 * attempt); rollouts of no mode run `trainingRollout`.
 *
 * ```ts
 * class EchoAgent extends LegacyLitAgent<{ text: string }> {
 *   override trainingRollout(task, rolloutId, resources) { return task.text.length > 3 ? 1 : 0; }
 * }
 * ```
 */
export abstract class LegacyLitAgent<TTask = unknown, R = RolloutResult> implements Agent<TTask, R> {
  readonly #agent: FunctionAgent<TTask, R>;

  constructor(options: { name?: string } = {}) {
    this.#agent = rollout<TTask, R>(
      (task, resources, context) =>
        context.mode === 'val' || context.mode === 'test'
          ? this.validationRollout(task, context.rolloutId, resources)
          : this.trainingRollout(task, context.rolloutId, resources),
      { name: options.name ?? new.target.name },
    );
  }

  /** Runs a `train` rollout (and rollouts of no mode). */
  abstract trainingRollout(task: TTask, rolloutId: string, resources: AgentResources): Promise<R> | R;

  /** Runs a `val` or `test` rollout. @default {@link trainingRollout} */
  validationRollout(task: TTask, rolloutId: string, resources: AgentResources): Promise<R> | R {
    return this.trainingRollout(task, rolloutId, resources);
  }

  /** See {@link Agent.run}. */
  run(task: TTask, context: RunContext): Promise<RunOutcome<R>> {
    return this.#agent.run(task, context);
  }
}
