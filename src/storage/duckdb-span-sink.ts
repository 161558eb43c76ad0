import { statSync } from 'node:fs';
import { DuckDBTimestampValue } from '@duckdb/node-api';
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import type { Database } from './database.ts';
import { GroupCommitter } from './group-committer.ts';
import { SinkQueue } from './sink-queue.ts';
import { appendPackedRows } from './row-pack.ts';
import { LLM_CALL_COLUMN_KINDS, REWARD_COLUMN_KINDS, SPAN_COLUMN_KINDS } from './span-rows.ts';
import type { SpanRows } from './span-rows.ts';
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
  /**
   * The most spans one transaction takes; writes beyond wait for the next one. Bounds the time
   * from a write being taken (after which it can no longer expire) to its commit, and how long
   * the appends of one group hold the JavaScript thread.
   * @default 16384
   */
  maxGroupSpans?: number;
  /**
   * The sink checkpoints (between two of its transactions, see {@link DuckDBSpanSink}) each time
   * the spans table has grown by this many spans. Until a checkpoint, committed spans live in
   * DuckDB's in-memory row groups at about 3 KB each (a full 122,880-row group measured 370 MB, the
   * largest part of a flooded collector's RSS). Checkpointing more often holds less, but each
   * checkpoint then rewrites a partly filled row group while appends wait: at half a row group,
   * steady ingest at half the sustainable rate had seconds at 0 spans/s and 503s (p99 1.0–1.1 s,
   * against 0.35 s at a full row group), so the default stays at DuckDB's row group.
   * @default 122880 (DuckDB's row group)
   */
  checkpointEverySpans?: number;
  /**
   * Besides {@link checkpointEverySpans}, the sink checkpoints once the database's WAL holds this many
   * bytes (spans far larger than usual), so that DuckDB's own automatic checkpoint, which runs
   * inside a COMMIT, is not reached. Not for `:memory:`.
   * @default 128 MiB
   */
  checkpointWalBytes?: number;
  /** Called after each commit with the spans it made durable (e.g. for attempt heartbeats). */
  onCommitted?: (rows: SpanRows) => void;
  /**
   * Called with each write's rows once they are taken, before they are queued: the store gives
   * spans of its attempts that carry no sequence id their next one here (`assignSequenceIds`).
   */
  beforeWrite?: (rows: SpanRows) => void;
}

/** Options of {@link DuckDBSpanSink.write}. */
export interface SpanSinkWriteOptions {
  /**
   * A time (`Date.now()` milliseconds): rows still waiting for their transaction then are never
   * written, and the write resolves `overloaded`.
   */
  deadline?: number;
}

/** A connection with its own appenders: one transaction at a time. */
interface Lane {
  connection: DuckDBConnection;
  spans: DuckDBAppender;
  rewards: DuckDBAppender;
  llmCalls: DuckDBAppender;
}

/**
 * Writes spans to DuckDB through appenders, with group commit ({@link GroupCommitter}): writes that
 * arrive while a commit is under way wait and go together into the next transaction, so each commit
 * (and its WAL sync) is shared by every concurrent request. A write resolves only after its
 * transaction committed; a write that makes its group fail is retried alone and fails alone.
 *
 * Two lanes (connection + appenders) take turns: while one lane's COMMIT runs on DuckDB's threads,
 * the other appends the next group on the JavaScript thread (spans are independent, so a group never
 * depends on the one before). At most one commit is in flight.
 *
 * Checkpoints are the sink's to schedule: DuckDB's automatic one runs inside the COMMIT that
 * crosses `checkpoint_threshold` and holds that commit and every append for as long as it writes
 * (1–2 s at 256 MB), so the sink checkpoints first, after a commit (its writes already answered)
 * and before the next transaction's appenders flush, each time the spans table filled another
 * row group. The WAL stays the durability: a checkpoint only moves committed rows into the file.
 */
export class DuckDBSpanSink implements SpanSink {
  readonly #committer: GroupCommitter<SpanRows, Lane>;
  readonly #queue: SinkQueue<SpanRows>;
  #storedSpans: number;
  readonly #checkpointEverySpans: number;
  /** How many times the table had grown by `#checkpointEverySpans` at the last checkpoint. */
  #checkpointedSteps: number;
  #closed = false;
  readonly #release: () => void;
  readonly #beforeWrite: ((rows: SpanRows) => void) | undefined;

  private constructor(lanes: [Lane, Lane], walPath: string | null, storedSpans: number, options: DuckDBSpanSinkOptions, release: () => void) {
    this.#storedSpans = storedSpans;
    this.#checkpointEverySpans = options.checkpointEverySpans ?? ROW_GROUP_ROWS;
    this.#checkpointedSteps = Math.floor(storedSpans / this.#checkpointEverySpans);
    this.#beforeWrite = options.beforeWrite;
    const onCommitted = options.onCommitted;
    const checkpointWalBytes = options.checkpointWalBytes ?? 128 * 1024 * 1024;
    this.#committer = new GroupCommitter<SpanRows, Lane>({
      lanes,
      begin: (lane) => lane.connection.run('BEGIN TRANSACTION').then(() => undefined),
      write: (lane, group) => appendGroup(lane, group),
      // Flushing the appenders moves the rows into the transaction; it would wait (holding the
      // JavaScript thread) for a checkpoint running on the other lane, so it waits for that lane's
      // commit and checkpoint to finish first.
      beforeCommit: (lane) => flushLane(lane),
      weigh: (rows) => rows.spanCount,
      maxGroupWeight: options.maxGroupSpans ?? 16_384,
      commit: (lane) => lane.connection.run('COMMIT').then(() => undefined),
      afterCommit: walPath === null ? undefined : (lane) => this.#checkpointIfDue(lane, walPath, checkpointWalBytes),
      rollback: (lane) => lane.connection.run('ROLLBACK').then(() => undefined),
      onCommitted: (group) => {
        for (const rows of group) {
          this.#storedSpans += rows.spanCount;
          onCommitted?.(rows);
        }
      },
    });
    this.#queue = new SinkQueue(this.#committer, options.maxQueuedSpans ?? 262_144, options.retryAfterMillis ?? 1000);
    this.#release = release;
  }

  /** Opens a sink on two connections of its own to `database`. */
  static async open(database: Database, options: DuckDBSpanSinkOptions = {}): Promise<DuckDBSpanSink> {
    const maxQueuedSpans = options.maxQueuedSpans ?? 262_144;
    if (!Number.isInteger(maxQueuedSpans) || maxQueuedSpans < 1) {
      throw new RangeError(`Expected \`maxQueuedSpans\` to be an integer ≥ 1, got \`${maxQueuedSpans}\``);
    }
    const maxGroupSpans = options.maxGroupSpans ?? 16_384;
    if (!Number.isInteger(maxGroupSpans) || maxGroupSpans < 1) {
      throw new RangeError(`Expected \`maxGroupSpans\` to be an integer ≥ 1, got \`${maxGroupSpans}\``);
    }
    const checkpointEverySpans = options.checkpointEverySpans ?? ROW_GROUP_ROWS;
    if (!Number.isInteger(checkpointEverySpans) || checkpointEverySpans < 1) {
      throw new RangeError(`Expected \`checkpointEverySpans\` to be an integer ≥ 1, got \`${checkpointEverySpans}\``);
    }
    const checkpointWalBytes = options.checkpointWalBytes ?? 128 * 1024 * 1024;
    if (!(checkpointWalBytes > 0)) {
      throw new RangeError(`Expected \`checkpointWalBytes\` to be a number > 0, got \`${checkpointWalBytes}\``);
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
    const walPath = database.path === ':memory:' ? null : `${database.path}.wal`;
    const counted = await lanes[0].connection.runAndReadAll('SELECT count(*) FROM spans');
    const storedSpans = Number(counted.getRows()[0][0]);
    return new DuckDBSpanSink(lanes, walPath, storedSpans, options, () => {
      for (const lane of lanes) {
        lane.spans.closeSync();
        lane.rewards.closeSync();
        lane.llmCalls.closeSync();
        database.release(lane.connection);
      }
    });
  }

  /**
   * Checkpoints on the lane that has just committed when the spans table grew by another
   * `checkpointEverySpans` since the last checkpoint, or the WAL reached `walBytes`. A checkpoint
   * rewrites the table's last, partly filled row group, and while it writes a table, appends to
   * that table wait for it (DuckDB 1.5): scheduled ones hold the appends for the time part of a row
   * group takes to write, rather than DuckDB's at whatever size the WAL reaches.
   */
  async #checkpointIfDue(lane: Lane, walPath: string, walBytes: number): Promise<void> {
    const steps = Math.floor(this.#storedSpans / this.#checkpointEverySpans);
    if (steps === this.#checkpointedSteps && walSize(walPath) < walBytes) return;
    await lane.connection.run('CHECKPOINT');
    this.#checkpointedSteps = steps;
  }

  /** Spans accepted but not yet committed. */
  get queuedSpans(): number {
    return this.#queue.queued;
  }

  /**
   * See {@link SpanSink.write}; with `options.deadline`, rows that did not reach their transaction
   * by then are dropped unwritten and the write resolves `overloaded`.
   */
  write(rows: SpanRows, options: SpanSinkWriteOptions = {}): Promise<SinkWriteResult> {
    if (this.#closed) return Promise.reject(new Error('The span sink is closed'));
    if (rows.spanCount === 0) return Promise.resolve({ kind: 'written' });
    if (!this.#queue.admits(rows.spanCount)) return Promise.resolve(this.#queue.full());
    this.#beforeWrite?.(rows);
    return this.#queue.submit(rows, rows.spanCount, options.deadline);
  }

  flush(): Promise<void> {
    return this.#committer.flush();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.flush();
    this.#release();
  }
}

// DuckDB's rows per row group (fixed when the file is created; 122,880 by default).
const ROW_GROUP_ROWS = 122_880;

// Spans appended between two yields to the event loop: ~3 ms of work, so that a large group never
// holds the thread (health checks, new requests) for long. At 5x overload the slowest health check
// over a kept connection was 35-66 ms over six runs with 512, 51-163 ms over seven with 2,048.
const SPANS_PER_SLICE = 512;

/**
 * Appends a group to the lane's appenders (flushed into the transaction by {@link flushLane}); on
 * failure clears the appenders and throws.
 */
async function appendGroup(lane: Lane, group: readonly SpanRows[]): Promise<void> {
  try {
    const receivedAt = new DuckDBTimestampValue(BigInt(Date.now()) * 1000n);
    let sinceYield = 0;
    for (const rows of group) {
      if (sinceYield >= SPANS_PER_SLICE) {
        await new Promise((resolve) => setImmediate(resolve));
        sinceYield = 0;
      }
      appendPackedRows(lane.spans, rows.spans, SPAN_COLUMN_KINDS, receivedAt);
      appendPackedRows(lane.rewards, rows.rewards, REWARD_COLUMN_KINDS, null);
      appendPackedRows(lane.llmCalls, rows.llmCalls, LLM_CALL_COLUMN_KINDS, null);
      sinceYield += rows.spanCount;
    }
  } catch (error) {
    clearLane(lane);
    throw error;
  }
}

function walSize(walPath: string): number {
  try {
    return statSync(walPath).size;
  } catch {
    return 0;
  }
}

/** Flushes the lane's appenders into its open transaction; on failure clears them and throws. */
function flushLane(lane: Lane): void {
  try {
    lane.spans.flushSync();
    lane.rewards.flushSync();
    lane.llmCalls.flushSync();
  } catch (error) {
    clearLane(lane);
    throw error;
  }
}

function clearLane(lane: Lane): void {
  lane.spans.clear();
  lane.rewards.clear();
  lane.llmCalls.clear();
}
