import { DuckDBTimestampValue } from '@duckdb/node-api';
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import type { Database } from './database.ts';
import { GroupCommitter } from './group-committer.ts';
import { SinkQueue } from './sink-queue.ts';
import { RECORD_TABLE_COLUMNS } from './record-rows.ts';
import type { RecordRows, RecordTable } from './record-rows.ts';
import { appendPackedRows } from './row-pack.ts';
import type { SinkWriteResult } from './span-sink.ts';

/** Where the rows of ingested log records and metric data points go. */
export interface RecordSink {
  /**
   * Stores `rows`. Resolves `written` only once they are durable (committed), or `overloaded` when
   * the sink cannot take more now or `options.deadline` (`Date.now()` milliseconds) passed before
   * they reached a transaction (then nothing of them is written). Rejects when storage fails;
   * then nothing of this call was stored.
   */
  write(rows: RecordRows, options?: { deadline?: number }): Promise<SinkWriteResult>;
  /** Resolves when everything accepted so far is durable. */
  flush(): Promise<void>;
  /** Flushes, then releases the sink's resources. Idempotent. */
  close(): Promise<void>;
}

/** Options of {@link DuckDBRecordSink.open}. */
export interface DuckDBRecordSinkOptions {
  /**
   * How many records may wait for their commit before writes are refused as `overloaded`.
   * @default 262144
   */
  maxQueuedRecords?: number;
  /**
   * The most records one transaction takes; writes beyond wait for the next one.
   * @default 16384
   */
  maxGroupRecords?: number;
  /**
   * The delay suggested to a refused writer.
   * @default 1000
   */
  retryAfterMillis?: number;
}

interface Lane {
  connection: DuckDBConnection;
  appenders: Map<RecordTable, DuckDBAppender>;
}

const TABLES = Object.keys(RECORD_TABLE_COLUMNS) as RecordTable[];

/**
 * Writes log records and metric data points to DuckDB with the span sink's durability: appenders,
 * group commit ({@link GroupCommitter}) on two lanes, a write acknowledged only once its transaction
 * committed, a bounded queue and write deadlines. It has connections of its own, so its commits
 * run beside the span sink's (they touch other tables, so they never conflict).
 */
export class DuckDBRecordSink implements RecordSink {
  readonly #committer: GroupCommitter<RecordRows, Lane>;
  readonly #queue: SinkQueue<RecordRows>;
  readonly #release: () => void;
  #closed = false;

  private constructor(lanes: [Lane, Lane], options: DuckDBRecordSinkOptions, release: () => void) {
    this.#release = release;
    this.#committer = new GroupCommitter<RecordRows, Lane>({
      lanes,
      begin: (lane) => lane.connection.run('BEGIN TRANSACTION').then(() => undefined),
      write: (lane, group) => appendGroup(lane, group),
      beforeCommit: (lane) => flushLane(lane),
      weigh: (rows) => rows.recordCount,
      maxGroupWeight: options.maxGroupRecords ?? 16_384,
      commit: (lane) => lane.connection.run('COMMIT').then(() => undefined),
      rollback: (lane) => lane.connection.run('ROLLBACK').then(() => undefined),
    });
    this.#queue = new SinkQueue(this.#committer, options.maxQueuedRecords ?? 262_144, options.retryAfterMillis ?? 1000);
  }

  /** Opens a sink on two connections of its own to `database`. */
  static async open(database: Database, options: DuckDBRecordSinkOptions = {}): Promise<DuckDBRecordSink> {
    for (const name of ['maxQueuedRecords', 'maxGroupRecords'] as const) {
      const value = options[name];
      if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
        throw new RangeError(`Expected \`${name}\` to be an integer ≥ 1, got \`${value}\``);
      }
    }
    const openLane = async (): Promise<Lane> => {
      const connection = await database.connect();
      const appenders = new Map<RecordTable, DuckDBAppender>();
      for (const table of TABLES) appenders.set(table, await connection.createAppender(table));
      return { connection, appenders };
    };
    const lanes: [Lane, Lane] = [await openLane(), await openLane()];
    return new DuckDBRecordSink(lanes, options, () => {
      for (const lane of lanes) {
        for (const appender of lane.appenders.values()) appender.closeSync();
        database.release(lane.connection);
      }
    });
  }

  /** Records accepted but not yet committed. */
  get queuedRecords(): number {
    return this.#queue.queued;
  }

  write(rows: RecordRows, options: { deadline?: number } = {}): Promise<SinkWriteResult> {
    if (this.#closed) return Promise.reject(new Error('The record sink is closed'));
    if (rows.recordCount === 0) return Promise.resolve({ kind: 'written' });
    if (!this.#queue.admits(rows.recordCount)) return Promise.resolve(this.#queue.full());
    return this.#queue.submit(rows, rows.recordCount, options.deadline);
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

// Records appended between two yields to the event loop, so that a large group never holds the thread for long.
const RECORDS_PER_SLICE = 2048;

async function appendGroup(lane: Lane, group: readonly RecordRows[]): Promise<void> {
  try {
    const receivedAt = new DuckDBTimestampValue(BigInt(Date.now()) * 1000n);
    let sinceYield = 0;
    for (const rows of group) {
      if (sinceYield >= RECORDS_PER_SLICE) {
        await new Promise((resolve) => setImmediate(resolve));
        sinceYield = 0;
      }
      for (const table of TABLES) {
        const packed = rows.tables[table];
        if (packed && packed.rowCount > 0) appendPackedRows(lane.appenders.get(table)!, packed, RECORD_TABLE_COLUMNS[table], receivedAt);
      }
      sinceYield += rows.recordCount;
    }
  } catch (error) {
    clearLane(lane);
    throw error;
  }
}

function flushLane(lane: Lane): void {
  try {
    for (const appender of lane.appenders.values()) appender.flushSync();
  } catch (error) {
    clearLane(lane);
    throw error;
  }
}

function clearLane(lane: Lane): void {
  for (const appender of lane.appenders.values()) appender.clear();
}
