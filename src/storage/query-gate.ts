import { RetryableError } from '../errors/index.ts';

/** Options of {@link QueryGate}. */
export interface QueryGateOptions {
  /**
   * Queries running at once. Each running DuckDB statement holds one of Node's thread-pool
   * threads, which the write path needs too: keep this well below `UV_THREADPOOL_SIZE`.
   * @default 2
   */
  maxRunning?: number;
  /**
   * Queries waiting for a turn; one more is refused with 429.
   * @default 8
   */
  maxWaiting?: number;
  /**
   * The `Retry-After` of a refusal.
   * @default 2000
   */
  retryAfterMillis?: number;
}

/**
 * Lets at most `maxRunning` queries run at once, queues `maxWaiting` more in arrival order, and
 * refuses the rest with a {@link RetryableError} (429 with `Retry-After`).
 */
export class QueryGate {
  readonly maxRunning: number;
  readonly maxWaiting: number;
  readonly retryAfterMillis: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(options: QueryGateOptions = {}) {
    this.maxRunning = options.maxRunning ?? 2;
    this.maxWaiting = options.maxWaiting ?? 8;
    this.retryAfterMillis = options.retryAfterMillis ?? 2000;
    if (!Number.isInteger(this.maxRunning) || this.maxRunning < 1) {
      throw new RangeError(`Expected \`maxRunning\` to be an integer ≥ 1, got \`${this.maxRunning}\``);
    }
    if (!Number.isInteger(this.maxWaiting) || this.maxWaiting < 0) {
      throw new RangeError(`Expected \`maxWaiting\` to be an integer ≥ 0, got \`${this.maxWaiting}\``);
    }
  }

  /** Queries running now. */
  get running(): number {
    return this.#running;
  }

  /**
   * Runs `task` when a turn is free. `signal` gives up the wait (the task does not start and the
   * promise rejects with the signal's reason).
   */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.#running >= this.maxRunning) {
      if (this.#waiting.length >= this.maxWaiting) {
        throw new RetryableError(
          429,
          `Too many SQL queries at once (${this.maxRunning} running, ${this.maxWaiting} waiting); retry later`,
          this.retryAfterMillis,
        );
      }
      await new Promise<void>((resolve, reject) => {
        const turn = () => {
          signal?.removeEventListener('abort', abort);
          resolve();
        };
        const abort = () => {
          const index = this.#waiting.indexOf(turn);
          if (index !== -1) this.#waiting.splice(index, 1);
          reject(signal?.reason);
        };
        if (signal?.aborted) return abort();
        signal?.addEventListener('abort', abort, { once: true });
        this.#waiting.push(turn);
      });
    } else {
      this.#running++;
    }
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      // The turn passes straight to the next waiter: `running` stays the same.
      if (next) next();
      else this.#running--;
    }
  }
}
