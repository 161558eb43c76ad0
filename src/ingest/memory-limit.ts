/** Options of {@link MemoryLimit}. */
export interface MemoryLimitOptions {
  /** The resident memory (RSS) above which new ingest requests are refused. */
  limitBytes: number;
  /**
   * Bytes of request bodies in hand (being decoded or waiting for their commit) up to which new
   * requests are still taken while above the limit: enough for a commit group or two, so that
   * ingest goes on at the rate the storage commits instead of stopping.
   * @default 8 MiB
   */
  leanBytes?: number;
  /**
   * How long one reading of the RSS is reused: reading it costs a system call, and a burst of
   * requests arrives within far less than the time memory takes to grow.
   * @default 50
   */
  sampleMillis?: number;
  /**
   * Reads the process's resident memory in bytes.
   * @default process.memoryUsage.rss
   */
  readRss?: () => number;
}

/**
 * The collector's memory ceiling for ingest, in the manner of the OpenTelemetry Collector's
 * memory_limiter: while the process's RSS is above the limit, new OTLP requests beyond a small
 * working set ({@link MemoryLimitOptions.leanBytes}) are refused with a retryable answer (503 +
 * Retry-After) before their bodies are read, so that a flood cannot grow the process without
 * bound while ingest goes on. What is already taken is still stored. The byte budget and the
 * commit-wait rule bound the work in hand; this bounds what they cannot see (decoded rows, DuckDB's
 * uncheckpointed row groups, allocator caches).
 */
export class MemoryLimit {
  readonly limitBytes: number;
  readonly leanBytes: number;
  readonly #sampleMillis: number;
  readonly #readRss: () => number;
  #sampledAt = Number.NEGATIVE_INFINITY;
  #rss = 0;

  constructor(options: MemoryLimitOptions) {
    if (!Number.isFinite(options.limitBytes) || options.limitBytes <= 0) {
      throw new RangeError(`Expected \`limitBytes\` to be a number > 0, got \`${options.limitBytes}\``);
    }
    const sampleMillis = options.sampleMillis ?? 50;
    if (!Number.isFinite(sampleMillis) || sampleMillis < 0) {
      throw new RangeError(`Expected \`sampleMillis\` to be a number ≥ 0, got \`${options.sampleMillis}\``);
    }
    const leanBytes = options.leanBytes ?? 8 * 1024 * 1024;
    if (!Number.isFinite(leanBytes) || leanBytes < 0) {
      throw new RangeError(`Expected \`leanBytes\` to be a number ≥ 0, got \`${options.leanBytes}\``);
    }
    this.limitBytes = options.limitBytes;
    this.leanBytes = leanBytes;
    this.#sampleMillis = sampleMillis;
    this.#readRss = options.readRss ?? (() => process.memoryUsage.rss());
  }

  /** The RSS in bytes when it is above the limit, else `null`. */
  exceeded(now = performance.now()): number | null {
    if (now - this.#sampledAt >= this.#sampleMillis) {
      this.#rss = this.#readRss();
      this.#sampledAt = now;
    }
    return this.#rss > this.limitBytes ? this.#rss : null;
  }
}
