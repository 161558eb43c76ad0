/** One "sum from 1 to N" task. */
export interface MathTask {
  /** Stable id: `sum-<seed>-<index>`. */
  id: string;
  /** The question as the agent receives it: `Calculate the sum from 1 to N`. */
  question: string;
  /** N. */
  n: number;
  /** The exact answer, N(N+1)/2. */
  answer: number;
}

/** Options of {@link generateMathDataset}. */
export interface MathDatasetOptions {
  /** Smallest N. @default 10 */
  minN?: number;
  /** Largest N. @default 200 */
  maxN?: number;
}

/**
 * A seeded PRNG of our own (mulberry32): 32-bit state, uniform floats in [0, 1). The same seed
 * gives the same sequence on every platform and Node version, unlike `Math.random`.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `size` tasks "Calculate the sum from 1 to N" with N drawn uniformly from `[minN, maxN]` by a
 * PRNG seeded with `seed` (the seed project's sets: train 20 with seed 42, validation 10 with seed 123).
 */
export function generateMathDataset(size: number, seed: number, options: MathDatasetOptions = {}): MathTask[] {
  if (!Number.isInteger(size) || size < 0) throw new RangeError(`Expected \`size\` to be an integer ≥ 0, got \`${size}\``);
  if (!Number.isInteger(seed)) throw new RangeError(`Expected \`seed\` to be an integer, got \`${seed}\``);
  const minN = options.minN ?? 10;
  const maxN = options.maxN ?? 200;
  if (!Number.isInteger(minN) || !Number.isInteger(maxN) || minN < 2 || maxN < minN) {
    throw new RangeError(`Expected integers 2 ≤ \`minN\` ≤ \`maxN\`, got \`${minN}\` and \`${maxN}\``);
  }
  const random = mulberry32(seed);
  return Array.from({ length: size }, (_, index) => {
    const n = minN + Math.floor(random() * (maxN - minN + 1));
    return { id: `sum-${seed}-${index}`, question: `Calculate the sum from 1 to ${n}`, n, answer: (n * (n + 1)) / 2 };
  });
}

/** The seed project's training set: 20 tasks, seed 42 (the first `size` of them). */
export function trainDataset(size = 20): MathTask[] {
  return generateMathDataset(size, 42);
}

/** The seed project's validation set: 10 tasks, seed 123. */
export function valDataset(size = 10): MathTask[] {
  return generateMathDataset(size, 123);
}
