import { createHash } from 'node:crypto';

/**
 * A small seeded pseudo-random generator (sfc32), so that every simulated answer is reproducible:
 * the same seed gives the same sequence on every platform.
 */
export class SeededRandom {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /** Seeds from any list of strings and numbers (hashed with SHA-256). */
  constructor(...seedParts: (string | number | undefined)[]) {
    const digest = createHash('sha256').update(JSON.stringify(seedParts)).digest();
    this.#a = digest.readUInt32LE(0);
    this.#b = digest.readUInt32LE(4);
    this.#c = digest.readUInt32LE(8);
    this.#d = digest.readUInt32LE(12);
    for (let index = 0; index < 12; index++) this.next();
  }

  /** A number in [0, 1). */
  next(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** An integer in [0, bound). */
  integer(bound: number): number {
    return Math.floor(this.next() * bound);
  }

  /** True with probability `probability`. */
  chance(probability: number): boolean {
    return this.next() < probability;
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    return items[this.integer(items.length)];
  }

  /** A new generator derived from this one and a label (independent streams per purpose). */
  fork(label: string): SeededRandom {
    return new SeededRandom(label, this.next(), this.next());
  }
}

/** A short stable hex digest of a value, for ids. */
export function shortHash(value: unknown, length = 24): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, length);
}
