import type { DuckDBAppender, DuckDBConnection, DuckDBPreparedStatement } from '@duckdb/node-api';
import type { Draft } from './store-draft.ts';

// Column names and DuckDB types, in table order. Each group rewrites the rows it changed: one
// DELETE of their keys, then the new rows through an appender (an INSERT OR REPLACE of the same
// rows from a JSON parameter cost ~40% more here, and a statement per row ~1.4 ms each).
const ROLLOUT_COLUMNS = [
  ['rollout_id', 'VARCHAR'], ['input', 'VARCHAR'], ['mode', 'VARCHAR'], ['resources_id', 'VARCHAR'], ['status', 'VARCHAR'],
  ['start_time', 'DOUBLE'], ['end_time', 'DOUBLE'], ['max_attempts', 'INTEGER'], ['retry_condition', 'VARCHAR'],
  ['timeout_seconds', 'DOUBLE'], ['unresponsive_seconds', 'DOUBLE'], ['metadata', 'VARCHAR'], ['queue_position', 'BIGINT'],
  ['created_order', 'BIGINT'], ['attempt_count', 'INTEGER'], ['latest_attempt_id', 'VARCHAR'],
] as const;
const ATTEMPT_COLUMNS = [
  ['rollout_id', 'VARCHAR'], ['attempt_id', 'VARCHAR'], ['sequence_id', 'INTEGER'], ['status', 'VARCHAR'], ['start_time', 'DOUBLE'],
  ['end_time', 'DOUBLE'], ['worker_id', 'VARCHAR'], ['last_heartbeat_time', 'DOUBLE'], ['metadata', 'VARCHAR'],
] as const;
const WORKER_COLUMNS = [
  ['worker_id', 'VARCHAR'], ['status', 'VARCHAR'], ['heartbeat_stats', 'VARCHAR'], ['last_heartbeat_time', 'DOUBLE'],
  ['last_dequeue_time', 'DOUBLE'], ['last_busy_time', 'DOUBLE'], ['last_idle_time', 'DOUBLE'], ['current_rollout_id', 'VARCHAR'],
  ['current_attempt_id', 'VARCHAR'],
] as const;
const RESOURCES_COLUMNS = [
  ['resources_id', 'VARCHAR'], ['version', 'INTEGER'], ['resources', 'VARCHAR'], ['create_time', 'DOUBLE'], ['update_time', 'DOUBLE'],
  ['update_order', 'BIGINT'],
] as const;
const SEQUENCE_COLUMNS = [['rollout_id', 'VARCHAR'], ['last_sequence_id', 'BIGINT']] as const;

type Columns = readonly (readonly [string, string])[];
type TableName = 'rollout' | 'attempt' | 'worker' | 'resources' | 'sequence';

/** One table's writer: deletes the keys of the rows it is given (unless append-only), appends them. */
class TableWriter {
  readonly #columns: Columns;
  readonly #keys: readonly string[];
  readonly #delete: DuckDBPreparedStatement | null;
  readonly #appender: DuckDBAppender;

  private constructor(columns: Columns, keys: readonly string[], remove: DuckDBPreparedStatement | null, appender: DuckDBAppender) {
    this.#columns = columns;
    this.#keys = keys;
    this.#delete = remove;
    this.#appender = appender;
  }

  /** `keys`: the primary key's columns, whose rows each write replaces; none for an append-only table. */
  static async open(writer: DuckDBConnection, table: string, columns: Columns, keys: readonly string[]): Promise<TableWriter> {
    const remove =
      keys.length === 0
        ? null
        : await writer.prepare(
            `DELETE FROM ${table} WHERE ${keys
              .map((key, index) => `${key} IN (SELECT unnest(from_json($${index + 1}, '["VARCHAR"]')))`)
              .join(' AND ')}`,
          );
    return new TableWriter(columns, keys, remove, await writer.createAppender(table));
  }

  async write(rows: readonly Record<string, unknown>[]): Promise<void> {
    if (rows.length === 0) return;
    if (this.#delete) {
      // With several key columns each is matched on its own: the store's ids are random enough
      // (attempt ids above all) that no other row has both a rollout id and an attempt id of these.
      this.#delete.bind(this.#keys.map((key) => JSON.stringify(rows.map((row) => row[key]))));
      await this.#delete.run();
    }
    const appender = this.#appender;
    try {
      for (const row of rows) {
        for (const [name, type] of this.#columns) {
          const value = row[name];
          if (value === null || value === undefined) appender.appendNull();
          else if (type === 'VARCHAR') appender.appendVarchar(value as string);
          else if (type === 'DOUBLE') appender.appendDouble(value as number);
          else if (type === 'INTEGER') appender.appendInteger(value as number);
          else appender.appendBigInt(BigInt(value as number | bigint));
        }
        appender.endRow();
      }
      appender.flushSync();
    } catch (error) {
      appender.clear();
      throw error;
    }
  }

  close(): void {
    this.#delete?.destroySync();
    this.#appender.closeSync();
  }
}

/**
 * Writes a {@link Draft} to the store's tables (`rollouts`, `attempts`, `workers`, `resources`,
 * `span_sequence_ids`), inside the caller's transaction on the connection it was opened with.
 */
export class DraftWriter {
  readonly #tables: Record<TableName, TableWriter>;

  private constructor(tables: Record<TableName, TableWriter>) {
    this.#tables = tables;
  }

  /** Opens the writers on `writer`, the connection the drafts are written with. */
  static async prepare(writer: DuckDBConnection): Promise<DraftWriter> {
    return new DraftWriter({
      rollout: await TableWriter.open(writer, 'rollouts', ROLLOUT_COLUMNS, ['rollout_id']),
      attempt: await TableWriter.open(writer, 'attempts', ATTEMPT_COLUMNS, ['rollout_id', 'attempt_id']),
      worker: await TableWriter.open(writer, 'workers', WORKER_COLUMNS, ['worker_id']),
      resources: await TableWriter.open(writer, 'resources', RESOURCES_COLUMNS, []),
      sequence: await TableWriter.open(writer, 'span_sequence_ids', SEQUENCE_COLUMNS, ['rollout_id']),
    });
  }

  /** Writes every row the draft changed. */
  async persist(draft: Draft): Promise<void> {
    await this.#tables.rollout.write(
      [...draft.rollouts.values()].map(({ rollout, attempts, queuePosition, createdOrder }) => ({
        rollout_id: rollout.rollout_id,
        input: JSON.stringify(rollout.input ?? null),
        mode: rollout.mode,
        resources_id: rollout.resources_id,
        status: rollout.status,
        start_time: rollout.start_time,
        end_time: rollout.end_time,
        max_attempts: rollout.config.max_attempts,
        retry_condition: JSON.stringify(rollout.config.retry_condition),
        timeout_seconds: rollout.config.timeout_seconds,
        unresponsive_seconds: rollout.config.unresponsive_seconds,
        metadata: jsonOrNull(rollout.metadata),
        queue_position: queuePosition,
        created_order: createdOrder,
        attempt_count: attempts.length,
        latest_attempt_id: attempts.at(-1)?.attempt_id ?? null,
      })),
    );
    await this.#tables.attempt.write(
      [...draft.attempts.values()].map((attempt) => ({ ...attempt, metadata: jsonOrNull(attempt.metadata) })),
    );
    await this.#tables.worker.write(
      [...draft.workers.values()].map((worker) => ({ ...worker, heartbeat_stats: jsonOrNull(worker.heartbeat_stats) })),
    );
    await this.#tables.resources.write(
      draft.resources.map(({ update, order }) => ({
        resources_id: update.resources_id,
        version: update.version,
        resources: JSON.stringify(update.resources),
        create_time: update.create_time,
        update_time: update.update_time,
        update_order: order,
      })),
    );
    await this.#tables.sequence.write(
      [...draft.sequences].map(([rolloutId, last]) => ({ rollout_id: rolloutId, last_sequence_id: last })),
    );
  }

  /** Releases the statements and appenders. */
  destroy(): void {
    for (const table of Object.values(this.#tables)) table.close();
  }
}

function jsonOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}
