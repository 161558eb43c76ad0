import { AglError } from '../errors/index.ts';
import type { AlgorithmStore } from './algorithm.ts';

/** A failed rollout's error, as its runner recorded it in the attempt's metadata. */
export interface RolloutFailure {
  rolloutId: string;
  /** The error's class name; null when the attempt recorded none (e.g. cancelled, timed out). */
  type: string | null;
  message: string;
  /** Where it was thrown (`file:line:column`), when the runner knew. */
  origin: string | null;
}

/** A training that cannot go on: e.g. every rollout of the baseline evaluation failed. */
export class TrainingFailedError extends AglError {
  /** The first failure, when one was found. */
  readonly firstFailure: RolloutFailure | null;

  constructor(message: string, firstFailure: RolloutFailure | null) {
    super('training_failed', 500, message);
    this.firstFailure = firstFailure;
  }
}

/** The error recorded with a rollout's latest attempt (`metadata.error`), or its status when none was. */
export async function readRolloutFailure(store: Pick<AlgorithmStore, 'getLatestAttempt'>, rolloutId: string): Promise<RolloutFailure> {
  const attempt = await store.getLatestAttempt(rolloutId).catch(() => null);
  const error = (attempt?.metadata as { error?: { type?: unknown; message?: unknown; origin?: unknown } } | null | undefined)?.error;
  if (error && typeof error.message === 'string') {
    return { rolloutId, type: typeof error.type === 'string' ? error.type : null, message: error.message, origin: typeof error.origin === 'string' ? error.origin : null };
  }
  return { rolloutId, type: null, message: `the attempt ended ${attempt?.status ?? 'without finishing'} with no error recorded`, origin: null };
}

/** `TypeError: message (at file:line:column), rollout ro-…` */
export function formatRolloutFailure(failure: RolloutFailure): string {
  return `${failure.type ? `${failure.type}: ` : ''}${failure.message}${failure.origin ? ` (at ${failure.origin})` : ''} — rollout ${failure.rolloutId}`;
}
