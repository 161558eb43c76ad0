import { DuckDBTimestampValue } from '@duckdb/node-api';
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import type { Database } from './database.ts';
import { LLM_CALL_COLUMN_KINDS, REWARD_COLUMN_KINDS, SPAN_COLUMN_KINDS } from './span-rows.ts';
import type { ColumnKind, RowValue, SpanRows } from './span-rows.ts';
import type { SinkWriteResult, SpanSink } from './span-sink.ts';

/** Options of {@link DuckDBSpanSink.open}. */
export interface DuckDBSpanSinkOptions {
  /**
   * How many spans may wait for their commit before writes are refused as `overloaded`. This
   * bounds the memory held by the queue.
   * @default 262144
   */
  maxQueuedSpans?: number;
  /**
   * The delay suggested to a refused writer.
   * @default 1000
   */
  retryAfterMillis?: number;
  /** Called after each commit with the spans it made durable (e.g. for attempt heartbeats). */
  onCommitted?: (rows: SpanRows) => void;
}

interface PendingWrite {
  rows: SpanRows;
  resolve: (result: SinkWriteResult) => void;
  reject: (error: unknown) => void;
}

/** A connection with its own appenders: one transaction at a time. */
interface Lane {
  connection: DuckDBConnection;
  spans: DuckDBAppender;
  rewards: DuckDBAppender;
  llmCalls: DuckDBAppender;
}

/**
 * Writes spans to DuckDB through appenders, with group commit: writes that arrive while a commit
 * is under way wait and go together into the next transaction, so each commit (and its WAL sync)
 * is shared by every concurrent request. A write resolves only after its transaction committed.
 *
 * Two lanes (connection + appenders) take turns: while one lane's COMMIT runs on DuckDB's threads,
 * the other appends the next group on the JavaScript thread. At most one commit is in flight.
 */
export class DuckDBSpanSink implements SpanSink {
  readonly #lanes: [Lane, Lane];
  readonly #maxQueuedSpans: number;
  readonly #retryAfterMillis: number;
  readonly #onCommitted: ((rows: SpanRows) => void) | undefined;
  #pending: PendingWrite[] = [];
  #queuedSpans = 0;
  #draining: Promise<void> | null = null;
  #closed = false;
  readonly #release: () => void;

  private constructor(lanes: [Lane, Lane], options: DuckDBSpanSinkOptions, release: () => void) {
    this.#lanes = lanes;
    this.#maxQueuedSpans = options.maxQueuedSpans ?? 262_144;
    this.#retryAfterMillis = options.retryAfterMillis ?? 1000;
    this.#onCommitted = options.onCommitted;
    this.#release = release;
  }

  /** Opens a sink on two connections of its own to `database`. */
  static async open(database: Database, options: DuckDBSpanSinkOptions = {}): Promise<DuckDBSpanSink> {
    const maxQueuedSpans = options.maxQueuedSpans ?? 262_144;
    if (!Number.isInteger(maxQueuedSpans) || maxQueuedSpans < 1) {
      throw new RangeError(`Expected \`maxQueuedSpans\` to be an integer ≥ 1, got \`${maxQueuedSpans}\``);
    }
    const openLane = async (): Promise<Lane> => {
      const connection = await database.connect();
      return {
        connection,
        spans: await connection.createAppender('spans'),
        rewards: await connection.createAppender('span_rewards'),
        llmCalls: await connection.createAppender('span_llm_calls'),
      };
    };
    const lanes: [Lane, Lane] = [await openLane(), await openLane()];
    return new DuckDBSpanSink(lanes, options, () => {
      for (const lane of lanes) {
        lane.spans.closeSync();
        lane.rewards.closeSync();
        lane.llmCalls.closeSync();
        database.release(lane.connection);
      }
    });
  }

  /** Spans accepted but not yet committed. */
  get queuedSpans(): number {
    return this.#queuedSpans;
  }

  write(rows: SpanRows): Promise<SinkWriteResult> {
    if (this.#closed) return Promise.reject(new Error('The span sink is closed'));
    if (rows.spanCount === 0) return Promise.resolve({ kind: 'written' });
    // An oversized single write is still taken when the queue is empty, so it can always progress.
    if (this.#queuedSpans > 0 && this.#queuedSpans + rows.spanCount > this.#maxQueuedSpans) {
      return Promise.resolve({ kind: 'overloaded', retryAfterMillis: this.#retryAfterMillis });
    }
    this.#queuedSpans += rows.spanCount;
    const result = new Promise<SinkWriteResult>((resolve, reject) => {
      this.#pending.push({ rows, resolve, reject });
    });
    this.#draining ??= this.#drain();
    return result;
  }

  async flush(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.flush();
    this.#release();
  }

  async #drain(): Promise<void> {
    let inFlight: Promise<void> | null = null;
    let turn = 0;
    try {
      while (this.#pending.length > 0 || inFlight) {
        if (this.#pending.length === 0) {
          await inFlight;
          inFlight = null;
          continue;
        }
        const lane = this.#lanes[turn];
        turn ^= 1;
        await lane.connection.run('BEGIN TRANSACTION');
        // Taken after BEGIN so that writes arriving meanwhile join this group.
        const batch = this.#pending;
        this.#pending = [];
        const appended = this.#appendOpen(lane, batch);
        // The previous lane's commit must be done before this one starts: commits stay in order,
        // and the lane used next is free again.
        if (inFlight) await inFlight;
        inFlight = appended ? this.#commit(lane, batch) : this.#retryEachAlone(lane, batch);
      }
    } finally {
      this.#draining = null;
    }
  }

  /** Appends a group inside the lane's open transaction; on failure rolls back and returns false. */
  #appendOpen(lane: Lane, batch: readonly PendingWrite[]): boolean {
    try {
      const receivedAt = new DuckDBTimestampValue(BigInt(Date.now()) * 1000n);
      for (const write of batch) this.#append(lane, write.rows, receivedAt);
      lane.spans.flushSync();
      lane.rewards.flushSync();
      lane.llmCalls.flushSync();
      return true;
    } catch {
      lane.spans.clear();
      lane.rewards.clear();
      lane.llmCalls.clear();
      return false;
    }
  }

  /** Commits the lane's transaction and settles its writes (retrying each alone if it fails). */
  async #commit(lane: Lane, batch: readonly PendingWrite[]): Promise<void> {
    try {
      await lane.connection.run('COMMIT');
    } catch {
      await this.#retryEachAlone(lane, batch);
      return;
    }
    this.#settle(batch, null);
  }

  /**
   * After a failed group: rolls back, then writes each write in a transaction of its own, so one
   * bad write fails alone and stores nothing, while the others that shared its group succeed.
   */
  async #retryEachAlone(lane: Lane, batch: readonly PendingWrite[]): Promise<void> {
    await lane.connection.run('ROLLBACK').catch(() => undefined);
    for (const write of batch) {
      try {
        await lane.connection.run('BEGIN TRANSACTION');
        if (!this.#appendOpen(lane, [write])) throw new Error('The spans could not be appended');
        await lane.connection.run('COMMIT');
        this.#settle([write], null);
      } catch (error) {
        await lane.connection.run('ROLLBACK').catch(() => undefined);
        this.#settle([write], error);
      }
    }
  }

  #settle(batch: readonly PendingWrite[], error: unknown): void {
    for (const write of batch) {
      this.#queuedSpans -= write.rows.spanCount;
      if (error === null) write.resolve({ kind: 'written' });
      else write.reject(error);
    }
    if (error === null && this.#onCommitted) for (const write of batch) this.#onCommitted(write.rows);
  }

  #append(lane: Lane, rows: SpanRows, receivedAt: DuckDBTimestampValue): void {
    appendRows(lane.spans, rows.spans, SPAN_COLUMN_KINDS, receivedAt);
    appendRows(lane.rewards, rows.rewards, REWARD_COLUMN_KINDS, null);
    appendRows(lane.llmCalls, rows.llmCalls, LLM_CALL_COLUMN_KINDS, null);
  }
}

/** Appends flat rows, one value per column kind, then `trailing` (when given) as the last column. */
function appendRows(
  appender: DuckDBAppender,
  values: readonly RowValue[],
  kinds: readonly ColumnKind[],
  trailing: DuckDBTimestampValue | null,
): void {
  const width = kinds.length;
  for (let row = 0; row < values.length; row += width) {
    for (let column = 0; column < width; column++) {
      const value = values[row + column];
      if (value === null) {
        appender.appendNull();
        continue;
      }
      switch (kinds[column]) {
        case 'V':
          appender.appendVarchar(value as string);
          break;
        case 'B':
          appender.appendBigInt(value as bigint);
          break;
        case 'I':
          appender.appendInteger(value as number);
          break;
        case 'D':
          appender.appendDouble(value as number);
          break;
        case 'Z':
          appender.appendBoolean(value as boolean);
          break;
      }
    }
    if (trailing) appender.appendTimestamp(trailing);
    appender.endRow();
  }
}
