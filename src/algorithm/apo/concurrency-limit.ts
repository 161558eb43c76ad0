/** At most `limit` calls of {@link run} at once; the others wait in arrival order. */
export class ConcurrencyLimit {
  readonly #limit: number;
  #active = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active >= this.#limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#active++;
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      // The slot passes straight to the next waiter (the count stays the same).
      if (next) next();
      else this.#active--;
    }
  }
}

/** A small seeded generator (mulberry32): the same seed gives the same draws. */
export class SeededRandom {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A number in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** `count` items drawn without replacement (all of them, shuffled, when there are fewer). */
  sample<T>(items: readonly T[], count: number): T[] {
    const copy = [...items];
    for (let index = copy.length - 1; index > 0; index--) {
      const other = Math.floor(this.next() * (index + 1));
      [copy[index], copy[other]] = [copy[other], copy[index]];
    }
    return copy.slice(0, Math.min(count, copy.length));
  }

  /** `count` items, without replacement while there are enough, then with. */
  choose<T>(items: readonly T[], count: number): T[] {
    const picked = this.sample(items, count);
    while (picked.length < count && items.length > 0) picked.push(items[Math.floor(this.next() * items.length)]);
    return picked;
  }
}
