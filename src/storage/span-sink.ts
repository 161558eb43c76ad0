import type { SpanRows } from './span-rows.ts';

/** The outcome of {@link SpanSink.write}: expected outcomes are data, not exceptions. */
export type SinkWriteResult =
  | { kind: 'written' }
  /**
   * Nothing was written; try again after the delay. `reason`: the write queue is full
   * (`queue-full`), or the write's deadline passed before it reached a transaction (`deadline`).
   */
  | { kind: 'overloaded'; retryAfterMillis: number; reason?: 'queue-full' | 'deadline' };

/** Where ingested spans go. */
export interface SpanSink {
  /**
   * Stores the rows of some spans (see `toSpanRows`). Resolves `written` only once they are durable (committed), or
   * `overloaded` at once when the sink cannot take more now. Rejects when storage fails; then
   * nothing of this call was stored. With `options.deadline` (`Date.now()` milliseconds), rows
   * not handed to a transaction by then are never written and the write resolves `overloaded`.
   */
  write(rows: SpanRows, options?: { deadline?: number }): Promise<SinkWriteResult>;
  /** Resolves when everything accepted so far is durable. */
  flush(): Promise<void>;
  /** Flushes, then releases the sink's resources. Idempotent. */
  close(): Promise<void>;
}
