/**
 * Where a {@link GroupCommitter} writes: opens, fills, commits and rolls back one transaction at a
 * time per lane (a lane is typically a DuckDB connection with whatever it writes through).
 */
export interface GroupCommitterOptions<W, L> {
  /**
   * The lanes transactions run on, used in turn. With two, the next group is written on one lane
   * while the previous group's COMMIT runs on the other; use one when a group is built from the
   * state the previous group leaves (its writes must not start before that commit is known).
   */
  lanes: readonly L[];
  /** Opens a transaction on the lane. */
  begin(lane: L): Promise<void>;
  /**
   * Writes a group into the lane's open transaction. Throws (or rejects) when the group cannot be
   * written; the committer then rolls back and writes each member alone, in its own transaction.
   */
  write(lane: L, group: readonly W[]): void | Promise<void>;
  /**
   * Finishes the lane's writes before its commit, called only once the previous transaction (on
   * another lane) committed: the place for work that would wait on that commit (a DuckDB appender
   * flush waits for a checkpoint running in another connection's COMMIT, holding the thread).
   * Throws (or rejects) like {@link write}.
   */
  beforeCommit?(lane: L): void | Promise<void>;
  /** Commits the lane's transaction. */
  commit(lane: L): Promise<void>;
  /** Rolls the lane's transaction back (errors are ignored). */
  rollback(lane: L): Promise<void>;
  /**
   * Runs on the lane after a group's commit, once its writes are answered; the next transaction
   * commits (and runs {@link beforeCommit}) only after it. The place for work between commits that
   * must not delay the answers, e.g. a checkpoint. Errors are ignored.
   */
  afterCommit?(lane: L): Promise<void>;
  /** Called once a transaction committed, with its writes, before their promises resolve. */
  onCommitted?: (group: readonly W[]) => void;
  /**
   * The weight of a write (e.g. its rows), counted against {@link maxGroupWeight}.
   * @default every write weighs 1
   */
  weigh?: (write: W) => number;
  /**
   * A group takes no more writes once their weights reach this; the rest wait for the next group.
   * A write heavier than this alone still forms a group of its own. Bounding a group bounds the
   * time from its writes being taken to their commit.
   * @default Infinity
   */
  maxGroupWeight?: number;
}

/** Options of {@link GroupCommitter.submit}. */
export interface SubmitOptions {
  /**
   * A time (`Date.now()` milliseconds): a write still waiting for its group then is never written
   * and its promise resolves `'expired'`. Once taken into a group, a write is committed or fails.
   */
  deadline?: number;
}

/** How a submitted write ended when it did not fail. */
export type SubmitOutcome = 'committed' | 'expired';

interface Pending<W> {
  write: W;
  deadline: number;
  resolve: (outcome: SubmitOutcome) => void;
  reject: (error: unknown) => void;
}

// How often writes waiting past their deadline are looked for.
const SWEEP_INTERVAL_MILLIS = 50;

/**
 * Group commit: writes submitted while a transaction is being written or committed wait, then go
 * together into the next one, so one commit (and its WAL sync) is shared by every concurrent writer.
 * A write's promise resolves only after its transaction committed. When a group fails (writing or
 * committing), it is rolled back and each write is retried alone, so one bad write fails alone and
 * the others that shared its group still succeed. Commits happen in submission order; at most one
 * is in flight.
 */
export class GroupCommitter<W, L = unknown> {
  readonly #options: GroupCommitterOptions<W, L>;
  readonly #maxGroupWeight: number;
  #pending: Pending<W>[] = [];
  #draining: Promise<void> | null = null;
  #sweeper: NodeJS.Timeout | null = null;

  constructor(options: GroupCommitterOptions<W, L>) {
    if (options.lanes.length < 1) throw new RangeError('Expected `lanes` to hold at least one lane, got none');
    const maxGroupWeight = options.maxGroupWeight ?? Number.POSITIVE_INFINITY;
    if (!(maxGroupWeight > 0)) {
      throw new RangeError(`Expected \`maxGroupWeight\` to be a number > 0, got \`${maxGroupWeight}\``);
    }
    this.#options = options;
    this.#maxGroupWeight = maxGroupWeight;
  }

  /** Queues a write; resolves once the transaction holding it committed, rejects if it failed alone. */
  submit(write: W): Promise<void> {
    return this.#enqueue(write, Number.POSITIVE_INFINITY).then(() => undefined);
  }

  /**
   * Queues a write that may expire: resolves `'committed'` once the transaction holding it
   * committed, `'expired'` when `options.deadline` passed before it was taken into a group (then
   * nothing of it is written), and rejects if it failed alone.
   */
  submitWithDeadline(write: W, options: SubmitOptions): Promise<SubmitOutcome> {
    return this.#enqueue(write, options.deadline ?? Number.POSITIVE_INFINITY);
  }

  #enqueue(write: W, deadline: number): Promise<SubmitOutcome> {
    const settled = new Promise<SubmitOutcome>((resolve, reject) => {
      this.#pending.push({ write, deadline, resolve, reject });
    });
    if (deadline !== Number.POSITIVE_INFINITY && !this.#sweeper) {
      // Answers expired writes on time even while a long commit (a checkpoint) holds the queue.
      this.#sweeper = setInterval(() => this.#sweep(), SWEEP_INTERVAL_MILLIS);
      this.#sweeper.unref();
    }
    this.#draining ??= this.#drain();
    return settled;
  }

  /** Writes waiting for a group now. */
  get waiting(): number {
    return this.#pending.length;
  }

  /** Resolves when every write submitted so far is settled. */
  async flush(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  async #drain(): Promise<void> {
    const { lanes } = this.#options;
    let inFlight: Promise<void> | null = null;
    let inFlightLane = -1;
    let turn = 0;
    try {
      while (this.#pending.length > 0 || inFlight) {
        if (this.#pending.length === 0 || inFlightLane === turn) {
          await inFlight;
          inFlight = null;
          inFlightLane = -1;
          continue;
        }
        const laneIndex = turn;
        const lane = lanes[laneIndex];
        turn = (turn + 1) % lanes.length;
        try {
          await this.#options.begin(lane);
        } catch (error) {
          // No transaction could be opened: the writes waiting now fail with its error.
          const failed = this.#pending;
          this.#pending = [];
          for (const pending of failed) pending.reject(error);
          continue;
        }
        // Taken after BEGIN so that writes arriving meanwhile join this group.
        const group = this.#takeGroup();
        if (group.length === 0) {
          // Every waiting write expired while BEGIN ran: nothing to write in this transaction.
          await this.#options.rollback(lane).catch(() => undefined);
          continue;
        }
        let written: boolean;
        try {
          await this.#options.write(lane, group.map((pending) => pending.write));
          written = true;
        } catch {
          written = false;
        }
        // The previous transaction must be done before this one commits: commits stay in order.
        if (inFlight) await inFlight;
        if (written && this.#options.beforeCommit) {
          try {
            await this.#options.beforeCommit(lane);
          } catch {
            written = false;
          }
        }
        inFlight = written ? this.#commit(lane, group) : this.#retryEachAlone(lane, group);
        inFlightLane = laneIndex;
      }
    } finally {
      this.#draining = null;
    }
  }

  /** Takes the next group from the waiting writes: expired ones leave, the group's weight is bounded. */
  #takeGroup(): Pending<W>[] {
    const now = Date.now();
    const weigh = this.#options.weigh;
    const group: Pending<W>[] = [];
    let weight = 0;
    let taken = 0;
    for (; taken < this.#pending.length; taken++) {
      const pending = this.#pending[taken];
      if (pending.deadline <= now) {
        pending.resolve('expired');
        continue;
      }
      const pendingWeight = weigh ? weigh(pending.write) : 1;
      if (group.length > 0 && weight + pendingWeight > this.#maxGroupWeight) break;
      group.push(pending);
      weight += pendingWeight;
    }
    this.#pending = taken === this.#pending.length ? [] : this.#pending.slice(taken);
    return group;
  }

  /** Resolves `'expired'` the waiting writes whose deadline passed: they were never written. */
  #sweep(): void {
    const now = Date.now();
    const kept: Pending<W>[] = [];
    for (const pending of this.#pending) {
      if (pending.deadline <= now) pending.resolve('expired');
      else kept.push(pending);
    }
    this.#pending = kept;
    if (kept.length === 0 && this.#sweeper) {
      clearInterval(this.#sweeper);
      this.#sweeper = null;
    }
  }

  async #commit(lane: L, group: readonly Pending<W>[]): Promise<void> {
    try {
      await this.#options.commit(lane);
    } catch {
      await this.#retryEachAlone(lane, group);
      return;
    }
    this.#settle(group);
    await this.#options.afterCommit?.(lane).catch(() => undefined);
  }

  /** After a failed group: rolls back, then writes each member in a transaction of its own. */
  async #retryEachAlone(lane: L, group: readonly Pending<W>[]): Promise<void> {
    await this.#options.rollback(lane).catch(() => undefined);
    for (const pending of group) {
      try {
        await this.#options.begin(lane);
        await this.#options.write(lane, [pending.write]);
        await this.#options.beforeCommit?.(lane);
        await this.#options.commit(lane);
      } catch (error) {
        await this.#options.rollback(lane).catch(() => undefined);
        pending.reject(error);
        continue;
      }
      this.#settle([pending]);
    }
  }

  #settle(group: readonly Pending<W>[]): void {
    try {
      this.#options.onCommitted?.(group.map((pending) => pending.write));
    } finally {
      for (const pending of group) pending.resolve('committed');
    }
  }
}
