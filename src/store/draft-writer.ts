import type { DuckDBAppender, DuckDBConnection, DuckDBPreparedStatement } from '@duckdb/node-api';
import type { Draft } from './store-draft.ts';
import { stringifyWellFormed, toWellFormedText } from './well-formed-text.ts';

// Column names and DuckDB types, in table order. A write rewrites the rows it is given: one DELETE
// of their keys, then the new rows through an appender (an INSERT OR REPLACE of the same rows from
// a JSON parameter cost ~40% more here, and a statement per row ~1.4 ms each). That still costs
// ~1 ms per table, so store transactions journal their rows (store-journal.ts) and the tables are
// rewritten from the journal in batches.
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

/** A row of one of the store's tables, keyed by column name. */
export type TableRow = Record<string, unknown>;
/** The store's tables, by the names drafts and the journal use for them. */
export type TableName = 'rollout' | 'attempt' | 'worker' | 'resources' | 'sequence';
/** Rows to write, by table. */
export type TableRows = Record<TableName, TableRow[]>;

/** Each table's SQL name, columns and primary key (none: append-only). */
const TABLES: Record<TableName, { table: string; columns: Columns; keys: readonly string[] }> = {
  rollout: { table: 'rollouts', columns: ROLLOUT_COLUMNS, keys: ['rollout_id'] },
  attempt: { table: 'attempts', columns: ATTEMPT_COLUMNS, keys: ['rollout_id', 'attempt_id'] },
  worker: { table: 'workers', columns: WORKER_COLUMNS, keys: ['worker_id'] },
  resources: { table: 'resources', columns: RESOURCES_COLUMNS, keys: [] },
  sequence: { table: 'span_sequence_ids', columns: SEQUENCE_COLUMNS, keys: ['rollout_id'] },
};

/** The names of the tables, in the order they are written. */
export const TABLE_NAMES = Object.keys(TABLES) as TableName[];

/** No rows for any table. */
export const noRows = (): TableRows => ({ rollout: [], attempt: [], worker: [], resources: [], sequence: [] });

/** The key identifying a row of `table` (a row with the same key replaces it); null for append-only tables. */
export function rowKey(table: TableName, row: TableRow): string | null {
  const { keys } = TABLES[table];
  return keys.length === 0 ? null : keys.map((key) => String(row[key])).join('\u0000');
}

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

  async write(rows: readonly TableRow[]): Promise<void> {
    if (rows.length === 0) return;
    if (this.#delete) {
      // With several key columns each is matched on its own: the store's ids are random enough
      // (attempt ids above all) that no other row has both a rollout id and an attempt id of these.
      this.#delete.bind(this.#keys.map((key) => stringifyWellFormed(rows.map((row) => row[key]))));
      await this.#delete.run();
    }
    const appender = this.#appender;
    try {
      for (const row of rows) {
        for (const [name, type] of this.#columns) {
          const value = row[name];
          if (value === null || value === undefined) appender.appendNull();
          // A lone surrogate cannot be stored (nor the JSON escape of one read): U+FFFD instead.
          else if (type === 'VARCHAR') appender.appendVarchar(toWellFormedText(value as string));
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

/** The rows a draft changed, as the store's tables hold them. */
export function draftRows(draft: Draft): TableRows {
  return {
    rollout: [...draft.rollouts.values()].map(({ rollout, attempts, queuePosition, createdOrder }) => ({
      rollout_id: rollout.rollout_id,
      input: stringifyWellFormed(rollout.input ?? null),
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
    attempt: [...draft.attempts.values()].map((attempt) => ({ ...attempt, metadata: jsonOrNull(attempt.metadata) })),
    worker: [...draft.workers.values()].map((worker) => ({ ...worker, heartbeat_stats: jsonOrNull(worker.heartbeat_stats) })),
    resources: draft.resources.map(({ update, order }) => ({
      resources_id: update.resources_id,
      version: update.version,
      resources: stringifyWellFormed(update.resources),
      create_time: update.create_time,
      update_time: update.update_time,
      update_order: order,
    })),
    sequence: [...draft.sequences].map(([rolloutId, last]) => ({ rollout_id: rolloutId, last_sequence_id: last })),
  };
}

/**
 * Writes rows into the store's tables (`rollouts`, `attempts`, `workers`, `resources`,
 * `span_sequence_ids`), inside the caller's transaction on the connection it was opened with.
 * Each keyed table's rows must have distinct keys.
 */
export class DraftWriter {
  readonly #tables: Record<TableName, TableWriter>;

  private constructor(tables: Record<TableName, TableWriter>) {
    this.#tables = tables;
  }

  /** Opens the writers on `writer`, the connection the rows are written with. */
  static async prepare(writer: DuckDBConnection): Promise<DraftWriter> {
    const tables = {} as Record<TableName, TableWriter>;
    for (const name of TABLE_NAMES) {
      const { table, columns, keys } = TABLES[name];
      tables[name] = await TableWriter.open(writer, table, columns, keys);
    }
    return new DraftWriter(tables);
  }

  /** Writes the rows, each replacing the row of the same key. */
  async write(rows: TableRows): Promise<void> {
    for (const name of TABLE_NAMES) await this.#tables[name].write(rows[name]);
  }

  /** Releases the statements and appenders. */
  destroy(): void {
    for (const table of Object.values(this.#tables)) table.close();
  }
}

function jsonOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : stringifyWellFormed(value);
}
