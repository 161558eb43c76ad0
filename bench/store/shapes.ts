/**
 * The shapes of Agent Lightning v0.3's store benchmark workflow (`.github/workflows/benchmark.yml`
 * running `tests/benchmark/benchmark_store.py`): runners, rounds, per-span sleep bound, batch
 * size and mode as it defines them; totals smaller, so that the whole run stays reasonable here.
 */
export interface StoreShape {
  name: string;
  runners: number;
  /** The agent's maximum rounds (`--max-rounds`): 1 to this many per rollout, uniformly. */
  turns: number;
  /** `batch`: enqueue a batch, wait until all of it finished, repeat. `queue`: the original's `batch_partial`. */
  mode: 'batch' | 'queue';
  batchSize: number;
  /** `queue` mode: enqueue more while fewer than this many rollouts are unfinished. */
  remaining?: number;
  /** The original's `--sleep-seconds`: each of a rollout's sleeps is uniform in [0, this]. */
  sleepSeconds: number;
  /** Rollouts per run with the sleeps (`--quick`: `quick`). */
  withSleeps: { total: number; quick: number };
  /** Rollouts per run without sleeps (`--quick`: `quick`). */
  withoutSleeps: { total: number; quick: number };
  /** Agent Lightning's own total for this shape. */
  originalTotal: number;
  /**
   * Agent Lightning v0.3's published rollouts/s for this shape (in-memory store, its sleeps,
   * its totals): published, 32-core machine, not measured here.
   */
  published: number;
}

export const STORE_SHAPES: readonly StoreShape[] = [
  { name: '32x6', runners: 32, turns: 6, mode: 'batch', batchSize: 256, sleepSeconds: 0.5, withSleeps: { total: 1024, quick: 128 }, withoutSleeps: { total: 4096, quick: 512 }, originalTotal: 4096, published: 9 },
  { name: '100x10', runners: 100, turns: 10, mode: 'batch', batchSize: 1000, sleepSeconds: 0.1, withSleeps: { total: 2000, quick: 500 }, withoutSleeps: { total: 10_000, quick: 1000 }, originalTotal: 10_000, published: 23 },
  { name: '300x6', runners: 300, turns: 6, mode: 'batch', batchSize: 2048, sleepSeconds: 0.1, withSleeps: { total: 6144, quick: 1024 }, withoutSleeps: { total: 20_480, quick: 1024 }, originalTotal: 20_000, published: 24 },
  { name: '1000x3', runners: 1000, turns: 3, mode: 'batch', batchSize: 8192, sleepSeconds: 0.1, withSleeps: { total: 8192, quick: 2048 }, withoutSleeps: { total: 24_576, quick: 2048 }, originalTotal: 50_000, published: 15 },
  {
    name: 'queue_256x4',
    runners: 256,
    turns: 4,
    mode: 'queue',
    batchSize: 1024,
    remaining: 4096,
    sleepSeconds: 0.1,
    withSleeps: { total: 8192, quick: 2048 },
    withoutSleeps: { total: 24_576, quick: 2048 },
    originalTotal: 50_000,
    published: 31,
  },
];

/**
 * The mean of a rollout's sleeps: 1 to `turns` rounds (mean (turns + 1) / 2) of two sleeps each,
 * then one for the final span, each uniform in [0, sleepSeconds] (mean sleepSeconds / 2).
 */
export function meanSleepPerRollout(shape: StoreShape): number {
  return ((2 * (shape.turns + 1)) / 2 + 1) * (shape.sleepSeconds / 2);
}

/** The time the sleeps alone take on average: rollouts × mean sleep per rollout ÷ runners. */
export function expectedSleepBoundSeconds(shape: StoreShape, rollouts: number): number {
  return (rollouts * meanSleepPerRollout(shape)) / shape.runners;
}

/**
 * The time the drawn sleeps take with a store that costs nothing: the rollouts, in the order they
 * were enqueued, each taken by the first free runner and lasting exactly its sleeps; in `batch`
 * mode each batch starts when the previous one has finished. No run with these sleeps can be faster
 * (the dispatch is first come, first served, as the store's queue), so the time above it is the
 * overhead of the store, its clients and the machine.
 */
export function zeroOverheadSeconds(batches: readonly (readonly number[])[], runners: number, mode: StoreShape['mode']): number {
  const schedule = (durations: readonly number[]): number => {
    const free = new Float64Array(Math.min(runners, Math.max(durations.length, 1)));
    let end = 0;
    for (const duration of durations) {
      let first = 0;
      for (let index = 1; index < free.length; index++) if (free[index] < free[first]) first = index;
      free[first] += duration;
      end = Math.max(end, free[first]);
    }
    return end;
  };
  if (mode === 'queue') return schedule(batches.flat());
  return batches.reduce((sum, batch) => sum + schedule(batch), 0);
}
