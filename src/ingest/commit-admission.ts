import { CommitWaitEstimator } from './commit-wait-estimator.ts';
import type { MemoryLimit } from './memory-limit.ts';

/** A `retryable` answer: nothing of the request was stored; try again after the delay. */
export interface RetryableAnswer {
  kind: 'retryable';
  retryAfterMillis: number;
  message: string;
}

/**
 * The overload rule every OTLP signal's ingest follows: a request is refused up front when the
 * measured throughput says it would wait longer than `maxCommitWaitMillis` for its commit, and one
 * still waiting for its transaction when that time is up is dropped unwritten (see
 * `TraceIngestorOptions.maxCommitWaitMillis`). One instance per pipeline (per sink), so that each
 * signal's backlog is measured on its own.
 */
export class CommitAdmission {
  readonly #load = new CommitWaitEstimator();
  readonly #maxCommitWaitMillis: number;
  readonly #memoryLimit: MemoryLimit | null;

  /** `memoryLimit`, when given, also refuses requests while the process is above it. */
  constructor(maxCommitWaitMillis: number, memoryLimit: MemoryLimit | null = null) {
    if (!Number.isFinite(maxCommitWaitMillis) || maxCommitWaitMillis <= 0) {
      throw new RangeError(`Expected \`maxCommitWaitMillis\` to be a number > 0, got \`${maxCommitWaitMillis}\``);
    }
    this.#maxCommitWaitMillis = maxCommitWaitMillis;
    this.#memoryLimit = memoryLimit;
  }

  /** The longest a request may wait for its commit, counted from its arrival. */
  get maxCommitWaitMillis(): number {
    return this.#maxCommitWaitMillis;
  }

  /** Bytes of the request bodies being decoded or waiting for their commit. */
  get pendingBytes(): number {
    return this.#load.pendingBytes;
  }

  /**
   * Whether a request of about `bytes` (0 when unknown) that arrived at `receivedAt` would be taken
   * now: `null` if so, else the `retryable` answer to give it.
   */
  admit(bytes: number, receivedAt: number): RetryableAnswer | null {
    const waitedMillis = Math.max(0, Date.now() - receivedAt);
    // Nothing ahead: a request always gets through alone, whatever its size.
    if (this.#load.pendingBytes === 0) return null;
    // Above the memory limit the collector runs lean: it takes only as much work as one commit
    // group needs, so that ingest goes on (at about the rate the storage commits) while nothing
    // more piles up in memory.
    const rss = this.#memoryLimit?.exceeded() ?? null;
    if (rss !== null && this.#load.pendingBytes + bytes > this.#memoryLimit!.leanBytes) {
      const mib = (value: number) => Math.round(value / 1048576);
      return {
        kind: 'retryable',
        retryAfterMillis: this.suggestedDelay(),
        message:
          `The collector is overloaded: it holds ${mib(rss)} MiB of memory, above its ${mib(this.#memoryLimit!.limitBytes)} MiB ` +
          `limit (agl serve --max-memory-mib); nothing of this request was stored`,
      };
    }
    // At light load a request never waits long, whatever the estimate says (see CommitWaitEstimator).
    if (this.#load.oldestWaitMillis() < this.#maxCommitWaitMillis / 4) return null;
    // Requests have waited a while and no rate is measured yet: backlogged from the start.
    const estimate = this.#load.estimateWaitMillis(bytes) ?? Number.POSITIVE_INFINITY;
    if (waitedMillis + estimate <= this.#maxCommitWaitMillis) return null;
    const shown = Number.isFinite(estimate) ? `about ${Math.round(estimate)} ms` : 'longer than requests already waiting';
    return {
      kind: 'retryable',
      retryAfterMillis: this.suggestedDelay(),
      message:
        `The collector is overloaded: this request would wait ${shown} for its commit, ` +
        `more than the ${this.#maxCommitWaitMillis} ms allowed; nothing of it was stored`,
    };
  }

  /**
   * Runs `work` for a request of `bytes` counted as pending (its wait measured); `work` answers
   * whether the request was committed, which feeds the throughput measure.
   */
  async track<T>(bytes: number, work: () => Promise<T>, committed: (result: T) => boolean): Promise<T> {
    const handle = this.#load.enter(bytes);
    let done = false;
    try {
      const result = await work();
      done = committed(result);
      return result;
    } finally {
      this.#load.leave(handle, done);
    }
  }

  /** The answer to a request that waited past its deadline for a transaction. */
  expired(): RetryableAnswer {
    return {
      kind: 'retryable',
      retryAfterMillis: this.suggestedDelay(),
      message: `The collector is overloaded: this request waited more than ${this.#maxCommitWaitMillis} ms for its commit; nothing of it was stored`,
    };
  }

  /** Retry-After: about the time the work ahead takes to drain, from 1 s to 30 s. */
  suggestedDelay(): number {
    const drainMillis = this.#load.estimateWaitMillis(0) ?? this.#maxCommitWaitMillis;
    return Math.min(30_000, Math.max(1000, Math.ceil(drainMillis / 1000) * 1000));
  }
}
