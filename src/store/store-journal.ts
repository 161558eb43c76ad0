import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { TABLE_NAMES, noRows, rowKey } from './draft-writer.ts';
import type { DraftWriter, TableName, TableRow, TableRows } from './draft-writer.ts';
import { toWellFormedText } from './well-formed-text.ts';

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

/** A row that the store's tables refused, moved to `store_journal_rejected`. */
export interface RejectedJournalRow {
  /** The journal's name of its table (`rollout`, `attempt`, `worker`, `resources`, `sequence`). */
  table: string;
  /** The row as JSON text, as the journal held it. */
  rowJson: string;
  /** Why it could not be written. */
  error: unknown;
}

/**
 * Writes `rows` into the tables in the transaction open on `writer`. Should that fail, no row is
 * lost and none stops the others: the transaction is rolled back, each row is tried alone (in a
 * transaction rolled back at once), and a new transaction is opened in which the rows that can be
 * written are, and the others are moved to `store_journal_rejected` with their error. Returns the
 * rows moved aside; the caller commits the transaction left open.
 *
 * When no row can be written even alone, the fault is the database's rather than the rows' (a full
 * disk, a dropped table): with `whenNoneFits: 'throw'` the first error is thrown then (a new
 * transaction left open), so that the rows stay journalled and a later write retries them; with
 * `'set-aside'` (at start-up, which must not fail) they are all moved aside.
 */
export async function writeRowsSettingAside(
  writer: DuckDBConnection,
  draftWriter: DraftWriter,
  rows: TableRows,
  whenNoneFits: 'throw' | 'set-aside',
): Promise<RejectedJournalRow[]> {
  try {
    await draftWriter.write(rows);
    return [];
  } catch (firstError) {
    await writer.run('ROLLBACK').catch(() => undefined);
    const good = noRows();
    const rejected: RejectedJournalRow[] = [];
    for (const name of TABLE_NAMES) {
      for (const row of rows[name]) {
        const single = noRows();
        single[name].push(row);
        await writer.run('BEGIN TRANSACTION');
        try {
          await draftWriter.write(single);
          good[name].push(row);
        } catch (error) {
          rejected.push({ table: name, rowJson: JSON.stringify(row), error });
        } finally {
          await writer.run('ROLLBACK').catch(() => undefined);
        }
      }
    }
    await writer.run('BEGIN TRANSACTION');
    if (whenNoneFits === 'throw' && rejected.length > 0 && TABLE_NAMES.every((name) => good[name].length === 0)) throw firstError;
    try {
      await draftWriter.write(good);
    } catch {
      // The rows fail only together, none alone: the same as none fitting.
      await writer.run('ROLLBACK').catch(() => undefined);
      await writer.run('BEGIN TRANSACTION');
      if (whenNoneFits === 'throw') throw firstError;
      rejected.length = 0;
      for (const name of TABLE_NAMES) for (const row of rows[name]) rejected.push({ table: name, rowJson: JSON.stringify(row), error: firstError });
    }
    await setAside(writer, rejected);
    return rejected;
  }
}

/** Inserts rejected rows into `store_journal_rejected`, in the caller's transaction. */
async function setAside(writer: DuckDBConnection, rejected: readonly RejectedJournalRow[]): Promise<void> {
  for (const { table, rowJson, error } of rejected) {
    await writer.run('INSERT INTO store_journal_rejected (table_name, row_json, error, rejected_at) VALUES ($1, $2, $3, current_timestamp)', [
      toWellFormedText(table),
      toWellFormedText(rowJson),
      toWellFormedText(error instanceof Error ? error.message : String(error)),
    ]);
  }
}

/**
 * Writes what the journal holds into the tables (the last row of each key, in journal order) and
 * empties it, in one transaction on `writer`; returns how many journal rows there were. A row the
 * tables refuse (or that the journal holds damaged) is moved to `store_journal_rejected` and told
 * to `onRejected`; every other row is written ({@link writeRowsSettingAside}).
 */
export async function replayJournal(
  writer: DuckDBConnection,
  draftWriter: DraftWriter,
  journal: StoreJournal,
  onRejected: (row: RejectedJournalRow) => void = () => undefined,
): Promise<number> {
  const reader = await writer.runAndReadAll('SELECT table_name, row_json FROM store_journal ORDER BY seq');
  const entries = reader.getRows() as [string, string][];
  if (entries.length === 0) return 0;
  const latest = new Map<TableName, Map<string, TableRow>>(TABLE_NAMES.map((name) => [name, new Map()]));
  const rows = noRows();
  const damaged: RejectedJournalRow[] = [];
  for (const [tableName, json] of entries) {
    const name = tableName as TableName;
    const byKey = latest.get(name);
    let row: TableRow;
    try {
      if (!byKey) throw new Error(`store_journal names an unknown table \`${tableName}\``);
      row = JSON.parse(json) as TableRow;
      if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new Error('store_journal holds a row that is not a JSON object');
    } catch (error) {
      damaged.push({ table: tableName, rowJson: json, error });
      continue;
    }
    const key = rowKey(name, row);
    if (key === null) rows[name].push(row);
    else {
      byKey!.delete(key); // re-inserted: the map keeps the rows in the order of their last change
      byKey!.set(key, row);
    }
  }
  for (const [name, byKey] of latest) rows[name].push(...byKey.values());
  await writer.run('BEGIN TRANSACTION');
  let rejected: RejectedJournalRow[];
  try {
    rejected = [...damaged, ...(await writeRowsSettingAside(writer, draftWriter, rows, 'set-aside'))];
    await setAside(writer, damaged);
    await journal.clear();
    await writer.run('COMMIT');
  } catch (error) {
    await writer.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
  for (const row of rejected) onRejected(row);
  return entries.length;
}
