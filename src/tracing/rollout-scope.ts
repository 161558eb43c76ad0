import { createContextKey } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';

/**
 * The rollout and attempt that spans started in a context belong to, with the attempt's span
 * sequence counter. One scope per attempt run: every span started inside it takes the next
 * sequence id, so sequence ids increase in start order within the attempt.
 */
export class RolloutScope {
  /** The rollout's id (`agentlightning.rollout_id`). */
  readonly rolloutId: string;
  /** The attempt's id (`agentlightning.attempt_id`). */
  readonly attemptId: string;
  #nextSequenceId: number;

  /**
   * @param firstSequenceId The sequence id of the first span started in the scope. @default 1
   */
  constructor(rolloutId: string, attemptId: string, firstSequenceId = 1) {
    if (typeof rolloutId !== 'string' || rolloutId === '') throw new TypeError(`Expected \`rolloutId\` to be a non-empty string, got \`${String(rolloutId)}\``);
    if (typeof attemptId !== 'string' || attemptId === '') throw new TypeError(`Expected \`attemptId\` to be a non-empty string, got \`${String(attemptId)}\``);
    if (!Number.isSafeInteger(firstSequenceId) || firstSequenceId < 0) {
      throw new RangeError(`Expected \`firstSequenceId\` to be an integer ≥ 0, got \`${firstSequenceId}\``);
    }
    this.rolloutId = rolloutId;
    this.attemptId = attemptId;
    this.#nextSequenceId = firstSequenceId;
  }

  /** Takes the next span sequence id of the attempt. */
  takeSequenceId(): number {
    return this.#nextSequenceId++;
  }

  /** The sequence id the next span will take. */
  get nextSequenceId(): number {
    return this.#nextSequenceId;
  }
}

/** The OpenTelemetry context key under which the current {@link RolloutScope} is kept. */
export const ROLLOUT_SCOPE_KEY = createContextKey('agentlightning.rollout_scope');

/** The rollout scope of a context, if any. */
export function getRolloutScope(context: Context): RolloutScope | undefined {
  const value = context.getValue(ROLLOUT_SCOPE_KEY);
  return value instanceof RolloutScope ? value : undefined;
}

/** A context like `context` whose rollout scope is `scope`. Run code in it with `context.with(...)`. */
export function setRolloutScope(context: Context, scope: RolloutScope): Context {
  return context.setValue(ROLLOUT_SCOPE_KEY, scope);
}
