/**
 * Estimates how long a new request would wait for its commit, from the bytes of the requests ahead
 * of it and the rate at which the ingest pipeline (decoding, appending, committing) has been
 * getting through request bytes. Bytes, not spans, because a request's bytes are known before it is
 * decoded; the rate is measured, so it follows the machine, the span shape and DuckDB's checkpoints.
 *
 * The rate is bytes committed per millisecond of *busy* time (time with at least one request in
 * the pipeline), taken over windows of at least {@link WINDOW_MILLIS} busy milliseconds, averaged
 * over the last {@link WINDOWS_KEPT} windows. At light load a window measures latency more than
 * capacity (a lone request is busy for its whole round trip), so the estimate is pessimistic
 * then; callers weigh it only once requests have actually waited ({@link oldestWaitMillis}).
 */
export class CommitWaitEstimator {
  #pendingBytes = 0;
  #lastChange = 0;
  #windowBytes = 0;
  #windowBusyMillis = 0;
  #windowRequests = 0;
  #windowsSeen = 0;
  readonly #windowRates: number[] = [];
  /** Start times of the requests in the pipeline, oldest first (a Set keeps insertion order). */
  readonly #started = new Set<{ startedAt: number }>();

  /** Bytes of the requests in the pipeline now. */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /** Request bytes the pipeline gets through per millisecond when busy, or `null` before the first measure. */
  get bytesPerMilli(): number | null {
    if (this.#windowRates.length === 0) return null;
    let sum = 0;
    for (const rate of this.#windowRates) sum += rate;
    return sum / this.#windowRates.length;
  }

  /** How long the oldest request in the pipeline has been in it. */
  oldestWaitMillis(now = performance.now()): number {
    const oldest = this.#started.values().next();
    return oldest.done ? 0 : now - oldest.value.startedAt;
  }

  /**
   * The estimated time, in milliseconds, before a request of `bytes` entering now is committed:
   * the bytes ahead of it and its own, at the measured rate; `null` while nothing was measured.
   */
  estimateWaitMillis(bytes: number): number | null {
    const rate = this.bytesPerMilli;
    return rate === null ? null : (this.#pendingBytes + bytes) / rate;
  }

  /** A request of `bytes` enters the pipeline; pass the handle to {@link leave} when it is done. */
  enter(bytes: number): { startedAt: number; bytes: number } {
    const now = performance.now();
    this.#accountBusy(now);
    this.#pendingBytes += bytes;
    const handle = { startedAt: now, bytes };
    this.#started.add(handle);
    return handle;
  }

  /** A request leaves the pipeline; `committed` when its spans were stored (it counts toward the rate). */
  leave(handle: { startedAt: number; bytes: number }, committed: boolean): void {
    if (!this.#started.delete(handle)) return;
    const now = performance.now();
    this.#accountBusy(now);
    this.#pendingBytes -= handle.bytes;
    if (committed) {
      this.#windowBytes += handle.bytes;
      this.#windowRequests++;
    }
    if (this.#windowBusyMillis >= WINDOW_MILLIS && this.#windowRequests >= WINDOW_REQUESTS) {
      // The first window holds the start-up (decoder threads loading): it says nothing of the rate.
      if (this.#windowsSeen++ > 0) {
        this.#windowRates.push(this.#windowBytes / this.#windowBusyMillis);
        if (this.#windowRates.length > WINDOWS_KEPT) this.#windowRates.shift();
      }
      this.#windowBytes = 0;
      this.#windowBusyMillis = 0;
      this.#windowRequests = 0;
    }
  }

  #accountBusy(now: number): void {
    if (this.#pendingBytes > 0) this.#windowBusyMillis += now - this.#lastChange;
    this.#lastChange = now;
  }
}

/** Busy milliseconds a rate window spans. */
const WINDOW_MILLIS = 250;
/** Committed requests a rate window holds at least. */
const WINDOW_REQUESTS = 8;
/** Windows averaged (about 2 s of busy time). */
const WINDOWS_KEPT = 8;
