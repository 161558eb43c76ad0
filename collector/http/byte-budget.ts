import { RetryableError } from '../../src/errors/index.ts';

/**
 * Bounds the bytes that requests hold in memory at once (bodies as read, then as inflated).
 * Reservations beyond the limit are refused with a 503 — except when nothing is reserved, so that
 * a single request within the body limit always gets through.
 */
export class ByteBudget {
  readonly limit: number;
  #used = 0;

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`Expected the byte budget to be an integer ≥ 1, got \`${limit}\``);
    }
    this.limit = limit;
  }

  /** Bytes reserved now. */
  get used(): number {
    return this.#used;
  }

  /** Reserves `bytes` or throws a retryable 503; give them back with {@link release}. */
  reserve(bytes: number): void {
    if (this.#used > 0 && this.#used + bytes > this.limit) {
      throw new RetryableError(503, `The collector is overloaded (more than ${this.limit} bytes of requests in memory)`, 1000);
    }
    this.#used += bytes;
  }

  release(bytes: number): void {
    this.#used -= bytes;
  }
}
