import { SeededRandom } from './seeded-random.ts';

/** What one chat completion drew from the server's seeded chaos stream. */
export interface ChaosDraw {
  /** The latency the server waits before answering, in milliseconds. */
  latencyMillis: number;
  /** A number in [0, 1) compared with the cumulative error rates to decide an injected error. */
  errorDraw: number;
}

/**
 * The server's sequence of per-request draws: latency (drawn only when the range is not one
 * value), then the error draw. It is sequential, so a retry of a request draws anew and can
 * succeed; a new `ChaosDraws` with the same seed and range gives the same sequence, which is how
 * a client can know the latencies a server with that seed will draw.
 */
export class ChaosDraws {
  readonly #random: SeededRandom;
  readonly #latencyMillis: readonly [number, number];

  constructor(seed: number, latencyMillis: readonly [number, number]) {
    this.#random = new SeededRandom('chaos', seed);
    this.#latencyMillis = latencyMillis;
  }

  /** The next request's draws. */
  next(): ChaosDraw {
    const [min, max] = this.#latencyMillis;
    const latencyMillis = min === max ? min : min + this.#random.next() * (max - min);
    return { latencyMillis, errorDraw: this.#random.next() };
  }
}
