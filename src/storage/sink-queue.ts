import type { SubmitOptions, SubmitOutcome } from './group-committer.ts';
import type { SinkWriteResult } from './span-sink.ts';

/**
 * The bounded queue in front of a sink's group committer (spans, or log records and metric
 * points): how many rows it has accepted and not yet committed, a write refused at once beyond
 * `maxQueued`, and the committer's outcome as a {@link SinkWriteResult}.
 */
export class SinkQueue<W> {
  readonly #committer: { submitWithDeadline(write: W, options: SubmitOptions): Promise<SubmitOutcome> };
  readonly #maxQueued: number;
  readonly #retryAfterMillis: number;
  #queued = 0;

  constructor(committer: { submitWithDeadline(write: W, options: SubmitOptions): Promise<SubmitOutcome> }, maxQueued: number, retryAfterMillis: number) {
    this.#committer = committer;
    this.#maxQueued = maxQueued;
    this.#retryAfterMillis = retryAfterMillis;
  }

  /** Rows accepted but not yet committed. */
  get queued(): number {
    return this.#queued;
  }

  /**
   * Whether `count` more rows fit. An oversized single write is still taken when the queue is
   * empty, so it can always progress.
   */
  admits(count: number): boolean {
    return this.#queued === 0 || this.#queued + count <= this.#maxQueued;
  }

  /** The answer to a write that {@link admits} refused. */
  full(): SinkWriteResult {
    return { kind: 'overloaded', retryAfterMillis: this.#retryAfterMillis, reason: 'queue-full' };
  }

  /** Hands `count` rows to the committer; `overloaded` when they missed `deadline`. Rejects when storage fails. */
  submit(write: W, count: number, deadline: number | undefined): Promise<SinkWriteResult> {
    this.#queued += count;
    return this.#committer.submitWithDeadline(write, { deadline }).then(
      (outcome): SinkWriteResult => {
        this.#queued -= count;
        if (outcome === 'expired') return { kind: 'overloaded', retryAfterMillis: this.#retryAfterMillis, reason: 'deadline' };
        return { kind: 'written' };
      },
      (error: unknown) => {
        this.#queued -= count;
        throw error;
      },
    );
  }
}
