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
  /** Commits the lane's transaction. */
  commit(lane: L): Promise<void>;
  /** Rolls the lane's transaction back (errors are ignored). */
  rollback(lane: L): Promise<void>;
  /** Called once a transaction committed, with its writes, before their promises resolve. */
  onCommitted?: (group: readonly W[]) => void;
}

interface Pending<W> {
  write: W;
  resolve: () => void;
  reject: (error: unknown) => void;
}

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
  #pending: Pending<W>[] = [];
  #draining: Promise<void> | null = null;

  constructor(options: GroupCommitterOptions<W, L>) {
    if (options.lanes.length < 1) throw new RangeError('Expected `lanes` to hold at least one lane, got none');
    this.#options = options;
  }

  /** Queues a write; resolves once the transaction holding it committed, rejects if it failed alone. */
  submit(write: W): Promise<void> {
    const settled = new Promise<void>((resolve, reject) => {
      this.#pending.push({ write, resolve, reject });
    });
    this.#draining ??= this.#drain();
    return settled;
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
        const group = this.#pending;
        this.#pending = [];
        let written: boolean;
        try {
          await this.#options.write(lane, group.map((pending) => pending.write));
          written = true;
        } catch {
          written = false;
        }
        // The previous transaction must be done before this one commits: commits stay in order.
        if (inFlight) await inFlight;
        inFlight = written ? this.#commit(lane, group) : this.#retryEachAlone(lane, group);
        inFlightLane = laneIndex;
      }
    } finally {
      this.#draining = null;
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
  }

  /** After a failed group: rolls back, then writes each member in a transaction of its own. */
  async #retryEachAlone(lane: L, group: readonly Pending<W>[]): Promise<void> {
    await this.#options.rollback(lane).catch(() => undefined);
    for (const pending of group) {
      try {
        await this.#options.begin(lane);
        await this.#options.write(lane, [pending.write]);
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
      for (const pending of group) pending.resolve();
    }
  }
}
