import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { TABLE_NAMES, noRows, rowKey } from './draft-writer.ts';
import type { DraftWriter, TableName, TableRow, TableRows } from './draft-writer.ts';

/**
 * The store's journal, the `store_journal` table: each store transaction appends the rows it
 * changed (table name and the row as JSON) through one appender, which costs a fraction of
 * rewriting them in the keyed tables (a DELETE by key, then an append with index checks, per
 * table). The tables are rewritten from the accumulated changes in batches, in a transaction that
 * also clears the journal ({@link clear}), so a row is always in one of the two and never lost.
 * What a collector that stopped uncleanly left here is written into the tables at the next open
 * ({@link replayJournal}).
 */
export class StoreJournal {
  readonly #appender: DuckDBAppender;
  readonly #writer: DuckDBConnection;
  #seq: number;

  private constructor(writer: DuckDBConnection, appender: DuckDBAppender, seq: number) {
    this.#writer = writer;
    this.#appender = appender;
    this.#seq = seq;
  }

  /** Opens the journal's appender on `writer`, the connection the store writes with. */
  static async open(writer: DuckDBConnection): Promise<StoreJournal> {
    const reader = await writer.runAndReadAll('SELECT coalesce(max(seq), 0) FROM store_journal');
    const seq = Number(reader.getRows()[0][0]);
    return new StoreJournal(writer, await writer.createAppender('store_journal'), seq);
  }

  /** Appends the rows, inside the caller's transaction. */
  append(rows: TableRows): void {
    const appender = this.#appender;
    try {
      for (const name of TABLE_NAMES) {
        for (const row of rows[name]) {
          appender.appendBigInt(BigInt(++this.#seq));
          appender.appendVarchar(name);
          appender.appendVarchar(JSON.stringify(row));
          appender.endRow();
        }
      }
      appender.flushSync();
    } catch (error) {
      appender.clear();
      throw error;
    }
  }

  /** Empties the journal, inside the caller's transaction (the one that wrote its rows into the tables). */
  async clear(): Promise<void> {
    await this.#writer.run('DELETE FROM store_journal');
  }

  close(): void {
    this.#appender.closeSync();
  }
}

/**
 * Writes what the journal holds into the tables (the last row of each key, in journal order) and
 * empties it, in one transaction on `writer`; returns how many journal rows there were.
 */
export async function replayJournal(writer: DuckDBConnection, draftWriter: DraftWriter, journal: StoreJournal): Promise<number> {
  const reader = await writer.runAndReadAll('SELECT table_name, row_json FROM store_journal ORDER BY seq');
  const entries = reader.getRows() as [string, string][];
  if (entries.length === 0) return 0;
  const latest = new Map<TableName, Map<string, TableRow>>(TABLE_NAMES.map((name) => [name, new Map()]));
  const rows = noRows();
  for (const [tableName, json] of entries) {
    const name = tableName as TableName;
    const byKey = latest.get(name);
    if (!byKey) throw new Error(`store_journal names an unknown table \`${tableName}\``);
    const row = JSON.parse(json) as TableRow;
    const key = rowKey(name, row);
    if (key === null) rows[name].push(row);
    else {
      byKey.delete(key); // re-inserted: the map keeps the rows in the order of their last change
      byKey.set(key, row);
    }
  }
  for (const [name, byKey] of latest) rows[name].push(...byKey.values());
  await writer.run('BEGIN TRANSACTION');
  try {
    await draftWriter.write(rows);
    await journal.clear();
    await writer.run('COMMIT');
  } catch (error) {
    await writer.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return entries.length;
}
