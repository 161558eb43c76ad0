import type { Logger } from '../logging/index.ts';

/** What a failed attempt's metadata says of its error (`attempt.metadata.error`). */
export interface FailureDescription {
  /** The error's class name, e.g. `TypeError`. */
  type: string;
  message: string;
  /** Where it was thrown: the first stack frame outside Node's internals (`file:line:column`), when known. */
  origin: string | null;
  /** The stack trace, when the error had one. */
  stack: string | null;
}

/** One distinct failure seen by a {@link FailureLog}. */
export interface FailureRecord extends FailureDescription {
  /** The rollout and attempt it was first seen in. */
  firstRolloutId: string;
  firstAttemptId: string;
  /** How many attempts failed this way (the first included). */
  count: number;
}

/** Describes an error for an attempt's metadata and the logs. */
export function describeFailure(error: unknown): FailureDescription {
  const failure = error instanceof Error ? error : new Error(String(error));
  const stack = typeof failure.stack === 'string' ? failure.stack : null;
  return { type: failure.name || 'Error', message: failure.message, origin: stack === null ? null : originOf(stack), stack };
}

/** The first frame of a V8 stack that is not Node's own, as `path:line:column`. */
function originOf(stack: string): string | null {
  for (const line of stack.split('\n')) {
    const match = /^\s+at (?:.*? \()?(.+?:\d+:\d+)\)?$/.exec(line);
    if (!match) continue;
    const location = match[1];
    if (location.startsWith('node:') || location.includes('(node:')) continue;
    return location.replace(/^file:\/\//, '');
  }
  return null;
}

/**
 * The failures of a process's runners, told apart by their class and origin (the place it was
 * thrown) — and, for errors thrown inside a library or of unknown origin, by their message with
 * digits ignored (so that "task 3" and "task 7" are one failure). The first occurrence of each is logged at `warn`
 * with the rollout id, the message and where it came from; repeats are only counted, and
 * {@link summary} lists them all with their counts.
 */
export class FailureLog {
  readonly #logger: Logger;
  readonly #failures = new Map<string, FailureRecord>();

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Records one failed attempt; logs it when it is the first of its kind. Returns its description. */
  record(rolloutId: string, attemptId: string, error: unknown): FailureDescription {
    const description = describeFailure(error);
    // A throw in the agent's own code is one failure per place (its messages may name each task);
    // one from a library (or of unknown origin) is told apart by its message too (digits aside).
    const byMessage = description.origin === null || description.origin.includes('node_modules');
    const key = `${description.type}\u0000${description.origin ?? ''}\u0000${byMessage ? description.message.replace(/\d+/g, '#') : ''}`;
    const known = this.#failures.get(key);
    if (known) {
      known.count++;
      return description;
    }
    this.#failures.set(key, { ...description, firstRolloutId: rolloutId, firstAttemptId: attemptId, count: 1 });
    this.#logger.warn(
      `Rollout ${rolloutId} (attempt ${attemptId}) failed: ${description.type}: ${description.message}` +
        `${description.origin ? ` (at ${description.origin})` : ''}; further failures like it are counted, not logged`,
    );
    return description;
  }

  /** Every distinct failure so far, most frequent first. */
  get failures(): FailureRecord[] {
    return [...this.#failures.values()].sort((a, b) => b.count - a.count);
  }

  /** Failed attempts recorded in all. */
  get total(): number {
    let total = 0;
    for (const failure of this.#failures.values()) total += failure.count;
    return total;
  }

  /** A few lines: each distinct failure with its count and first rollout; null when there were none. */
  summary(): string | null {
    const failures = this.failures;
    if (failures.length === 0) return null;
    const lines = failures.map(
      (failure) =>
        `  ${failure.count} × ${failure.type}: ${failure.message}${failure.origin ? ` (at ${failure.origin})` : ''} — first in rollout ${failure.firstRolloutId}`,
    );
    return `${this.total} rollout attempt(s) failed, ${failures.length} distinct failure(s):\n${lines.join('\n')}`;
  }
}
