import type { SpanSink } from '../storage/index.ts';
import type { RejectedJournalRow } from './store-journal.ts';

/** Options of `DuckDBLightningStore.open`. */
export interface DuckDBLightningStoreOptions {
  /**
   * Where `addSpan` writes. Give the collector's sink so that every span write shares one group
   * commit, and call `DuckDBLightningStore.recordSpanActivity` from its `onCommitted`.
   * @default a `DuckDBSpanSink` of the store's own, closed with the store
   */
  spanSink?: SpanSink;
  /**
   * How often the watchdog looks for timed-out and unresponsive attempts; 0 turns it off.
   * @default 1000
   */
  watchdogIntervalMillis?: number;
  /**
   * Each transaction journals the rows it changed; the store's tables are rewritten from the journal
   * once this many changed rows wait (and before every SQL read through the database's
   * `connectForReading`, and at close).
   * @default 4096
   */
  syncRows?: number;
  /**
   * … or this long after a change was journalled.
   * @default 1000
   */
  syncAfterMillis?: number;
  /** Told when rewriting the tables from the journal failed (nothing is lost: the rows stay journalled). @default a line on stderr */
  onSyncError?: (error: unknown) => void;
  /**
   * Told of each journalled row that could not be written into the store's tables (at open or at a
   * sync): it is moved to the `store_journal_rejected` table with its error, and every other row is
   * written.
   * @default a line on stderr
   */
  onRowRejected?: (row: RejectedJournalRow) => void;
}

/** The options with their defaults, checked. */
export type StoreSettings = Required<Pick<DuckDBLightningStoreOptions, 'watchdogIntervalMillis' | 'syncRows' | 'syncAfterMillis' | 'onSyncError' | 'onRowRejected'>>;

/** Checks the options and fills in the defaults; a `RangeError` names the first bad one. */
export function storeSettings(options: DuckDBLightningStoreOptions): StoreSettings {
  const watchdogIntervalMillis = options.watchdogIntervalMillis ?? 1000;
  if (!Number.isFinite(watchdogIntervalMillis) || watchdogIntervalMillis < 0) {
    throw new RangeError(`Expected \`watchdogIntervalMillis\` to be a number ≥ 0, got \`${watchdogIntervalMillis}\``);
  }
  const syncRows = options.syncRows ?? 4096;
  if (!Number.isInteger(syncRows) || syncRows < 1) throw new RangeError(`Expected \`syncRows\` to be an integer ≥ 1, got \`${syncRows}\``);
  const syncAfterMillis = options.syncAfterMillis ?? 1000;
  if (!Number.isFinite(syncAfterMillis) || syncAfterMillis < 0) {
    throw new RangeError(`Expected \`syncAfterMillis\` to be a number ≥ 0, got \`${syncAfterMillis}\``);
  }
  const onSyncError =
    options.onSyncError ??
    ((error: unknown) => process.stderr.write(`agl store: writing the journalled changes into the tables failed (they stay journalled): ${String(error)}\n`));
  const onRowRejected =
    options.onRowRejected ??
    ((row: RejectedJournalRow) =>
      process.stderr.write(
        `agl store: a journalled ${row.table} row could not be written into the tables and was moved to store_journal_rejected: ${
          row.error instanceof Error ? row.error.message : String(row.error)
        } (row ${row.rowJson.slice(0, 200)})\n`,
      ));
  return { watchdogIntervalMillis, syncRows, syncAfterMillis, onSyncError, onRowRejected };
}
