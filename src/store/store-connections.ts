import type { DuckDBConnection } from '@duckdb/node-api';
import type { Database } from '../storage/index.ts';
import { DraftWriter } from './draft-writer.ts';
import { StoreJournal, replayJournal } from './store-journal.ts';
import type { RejectedJournalRow } from './store-journal.ts';

/**
 * What `DuckDBLightningStore` holds of its database for as long as it is open: a connection to
 * write with (with the {@link DraftWriter} and the {@link StoreJournal} on it), one to read with,
 * both taken at {@link open} and given back at {@link release}.
 */
export class StoreConnections {
  /** The database the connections belong to. */
  readonly database: Database;
  /** The connection every change is written with (journal, then tables). */
  readonly writer: DuckDBConnection;
  /** The connection the store reads with (the mirror at open, spans, statistics). */
  readonly reader: DuckDBConnection;
  /** Writes drafts' rows into the tables, on `writer`. */
  readonly draftWriter: DraftWriter;
  /** The `store_journal` appender, on `writer`. */
  readonly journal: StoreJournal;

  private constructor(database: Database, writer: DuckDBConnection, reader: DuckDBConnection, draftWriter: DraftWriter, journal: StoreJournal) {
    this.database = database;
    this.writer = writer;
    this.reader = reader;
    this.draftWriter = draftWriter;
    this.journal = journal;
  }

  /**
   * Takes the store's connections of `database` and writes what an unclean stop left in the journal
   * into the tables, so that they can be loaded. A row the tables refuse is moved to
   * `store_journal_rejected` and told to `onRowRejected`: it never stops the store from opening.
   */
  static async open(database: Database, onRowRejected: (row: RejectedJournalRow) => void): Promise<StoreConnections> {
    const writer = await database.connect();
    const reader = await database.connect();
    const draftWriter = await DraftWriter.prepare(writer);
    const journal = await StoreJournal.open(writer);
    await replayJournal(writer, draftWriter, journal, onRowRejected);
    return new StoreConnections(database, writer, reader, draftWriter, journal);
  }

  /** Releases the writers and the journal's appender, and gives both connections back to the database. */
  release(): void {
    this.draftWriter.destroy();
    this.journal.close();
    this.database.release(this.writer);
    this.database.release(this.reader);
  }
}
