import type { DuckDBConnection } from '@duckdb/node-api';
import { GroupCommitter } from '../storage/index.ts';
import type { DraftEditor } from './draft-editor.ts';
import { draftRows } from './draft-writer.ts';
import type { DraftWriter } from './draft-writer.ts';
import { emptyDraft, mergeDraft } from './store-draft.ts';
import type { Draft } from './store-draft.ts';
import { writeRowsSettingAside } from './store-journal.ts';
import type { RejectedJournalRow, StoreJournal } from './store-journal.ts';
import type { StoreMirror } from './store-mirror.ts';

/** One store operation waiting for its group: `build` runs when the group is formed. */
interface StoreWrite {
  build: (draft: Draft) => unknown;
  result: unknown;
  /** Set when `build` threw: the operation changed nothing and rejects with it. */
  failure: { error: unknown } | null;
  /** A request to write the journalled changes into the tables (with this group's). */
  sync: boolean;
}

/** What a {@link DraftCommitter} works with. */
export interface DraftCommitterOptions {
  /** The connection every group is written with, in its own transaction. */
  writer: DuckDBConnection;
  draftWriter: DraftWriter;
  journal: StoreJournal;
  mirror: StoreMirror;
  editor: DraftEditor;
  /** Called with the id of each rollout a committed group left in a terminal status. */
  onFinished: (rolloutId: string) => void;
  /** The tables are written once this many journalled rows are waiting. */
  syncRows: number;
  /** … or this long after a change was journalled. */
  syncAfterMillis: number;
  /** Told when writing the tables failed (the changes stay journalled; the next sync retries). */
  onSyncError: (error: unknown) => void;
  /** Told of each row a sync could not write into the tables and moved to `store_journal_rejected`. */
  onRowRejected: (row: RejectedJournalRow) => void;
}

/**
 * Group commit of store operations ({@link GroupCommitter}, one lane): operations that arrive
 * while a transaction is under way wait, then run one after the other when the next group forms,
 * each seeing the changes of those before it in the group (the editor's overlay over the mirror).
 * The group's changes are committed to the journal ({@link StoreJournal}) and reach the mirror
 * once that committed. If the group fails, each operation is run again alone, in its own
 * transaction, so one bad write fails alone.
 *
 * The journalled changes accumulate (merged by row) and are written into the tables by a sync: a
 * group that also rewrites those rows and clears the journal, in one transaction. A sync runs once
 * `syncRows` rows wait, `syncAfterMillis` after a change, on {@link sync} (before every SQL read,
 * so that reads see every committed change) and on {@link close}. A failed sync fails alone; a row
 * the tables refuse is moved to `store_journal_rejected` and every other row is written.
 */
export class DraftCommitter {
  readonly #draftWriter: DraftWriter;
  readonly #mirror: StoreMirror;
  readonly #editor: DraftEditor;
  readonly #onFinished: (rolloutId: string) => void;
  readonly #committer: GroupCommitter<StoreWrite, DuckDBConnection>;
  readonly #writer: DuckDBConnection;
  readonly #journal: StoreJournal;
  readonly #syncRows: number;
  readonly #syncAfterMillis: number;
  readonly #onSyncError: (error: unknown) => void;
  readonly #onRowRejected: (row: RejectedJournalRow) => void;
  /** Rows the group being written moved aside; told once it committed. */
  #groupRejected: RejectedJournalRow[] = [];
  /** Committed changes that are journalled but not yet in the tables, merged by row. */
  #unsynced: Draft = emptyDraft();
  /** Whether the group being written syncs; read once it committed. */
  #groupSyncs = false;
  /** A sync submitted and not yet taken into a group: later requests share it. */
  #queuedSync: Promise<void> | null = null;
  #syncTimer: NodeJS.Timeout | null = null;
  /** Operations submitted and not yet settled. */
  #outstanding = 0;
  /** The next group's BEGIN, sent right after a commit so that the group does not wait for it. */
  #nextBegin: Promise<unknown> | null = null;

  constructor(options: DraftCommitterOptions) {
    this.#draftWriter = options.draftWriter;
    this.#writer = options.writer;
    this.#mirror = options.mirror;
    this.#editor = options.editor;
    this.#onFinished = options.onFinished;
    this.#journal = options.journal;
    this.#syncRows = options.syncRows;
    this.#syncAfterMillis = options.syncAfterMillis;
    this.#onSyncError = options.onSyncError;
    this.#onRowRejected = options.onRowRejected;
    this.#committer = new GroupCommitter<StoreWrite, DuckDBConnection>({
      lanes: [options.writer],
      begin: async (connection) => {
        if (await this.#takeNextBegin()) return;
        await connection.run('BEGIN TRANSACTION');
      },
      write: (_connection, group) => this.#writeGroup(group),
      commit: async (connection) => {
        await connection.run('COMMIT');
        // An explicit transaction costs nothing until a statement touches the database.
        this.#nextBegin = connection.run('BEGIN TRANSACTION');
      },
      rollback: (connection) => connection.run('ROLLBACK').then(() => undefined),
      onCommitted: () => this.#apply(),
    });
  }

  /**
   * Runs `build` when the next group forms (after the operations queued before it), writes its
   * changes with the group's, and resolves with what `build` returned once they committed and
   * reached the mirror. When `build` throws, nothing of it is written and it rejects with that.
   */
  submit<T>(build: (draft: Draft) => T): Promise<T> {
    const write: StoreWrite = { build, result: undefined, failure: null, sync: false };
    return this.#submit(write).then(() => {
      if (write.failure) throw write.failure.error;
      return write.result as T;
    });
  }

  /**
   * Resolves once every change committed before the call is written into the tables (at once when
   * nothing waits); rejects if writing them failed.
   */
  sync(): Promise<void> {
    if (this.#unsyncedRows() === 0 && this.#outstanding === 0) return Promise.resolve();
    if (!this.#queuedSync) {
      const write: StoreWrite = {
        build: () => {
          // Taken into a group: a request made from now on needs a sync of its own.
          this.#queuedSync = null;
        },
        result: undefined,
        failure: null,
        sync: true,
      };
      this.#queuedSync = this.#submit(write);
    }
    return this.#queuedSync;
  }

  /** Resolves when every operation submitted so far is settled. */
  flush(): Promise<void> {
    return this.#committer.flush();
  }

  /** Settles every operation, writes the journalled changes into the tables, then ends the transaction opened for the next group. */
  async close(): Promise<void> {
    await this.flush();
    if (this.#syncTimer) clearTimeout(this.#syncTimer);
    this.#syncTimer = null;
    try {
      await this.sync();
    } catch (error) {
      this.#onSyncError(error);
    }
    if (await this.#takeNextBegin()) await this.#writer.run('ROLLBACK').catch(() => undefined);
  }

  #submit(write: StoreWrite): Promise<void> {
    this.#outstanding++;
    return this.#committer
      .submit(write)
      .then(() => undefined)
      .finally(() => {
        this.#outstanding--;
      });
  }

  /** Whether the BEGIN sent after the last commit opened a transaction (it is then used up). */
  async #takeNextBegin(): Promise<boolean> {
    const begun = this.#nextBegin;
    this.#nextBegin = null;
    return begun !== null && (await begun.then(() => true, () => false));
  }

  /**
   * Builds a group inside the open transaction: each operation in turn, against the mirror plus
   * the changes of those before it (the overlay), then writes the overlay. Runs again for one
   * operation alone when its group failed, so it starts from the mirror every time.
   */
  async #writeGroup(group: readonly StoreWrite[]): Promise<void> {
    this.#editor.beginGroup();
    for (const write of group) {
      const draft = emptyDraft();
      write.failure = null;
      try {
        write.result = write.build(draft);
      } catch (error) {
        write.failure = { error };
        continue;
      }
      mergeDraft(this.#editor.overlay, draft);
    }
    this.#groupSyncs = group.some((write) => write.sync);
    if (this.#groupSyncs) {
      // The tables get every change since the last sync, this group's included; the journal is
      // emptied in the same transaction, so each change is in one place or the other.
      const all = emptyDraft();
      mergeDraft(all, this.#unsynced);
      mergeDraft(all, this.#editor.overlay);
      // A row the tables refuse is moved aside, so that it never blocks the others (nor every later sync).
      this.#groupRejected = await writeRowsSettingAside(this.#writer, this.#draftWriter, draftRows(all), 'throw');
      await this.#journal.clear();
    } else {
      this.#journal.append(draftRows(this.#editor.overlay));
    }
  }

  /** Applies the committed overlay to the mirror, wakes the waits it finished and keeps its rows for the next sync. */
  #apply(): void {
    const draft = this.#editor.overlay;
    this.#editor.overlay = emptyDraft();
    this.#mirror.apply(draft, this.#onFinished);
    if (this.#groupSyncs) {
      for (const row of this.#groupRejected) this.#onRowRejected(row);
      this.#groupRejected = [];
      this.#unsynced = emptyDraft();
      if (this.#syncTimer) clearTimeout(this.#syncTimer);
      this.#syncTimer = null;
      return;
    }
    mergeDraft(this.#unsynced, draft);
    const waiting = this.#unsyncedRows();
    if (waiting === 0) return;
    if (waiting >= this.#syncRows) this.#syncInBackground();
    else this.#syncTimer ??= setTimeout(() => this.#syncInBackground(), this.#syncAfterMillis).unref();
  }

  /** Rows journalled but not yet in the tables. */
  #unsyncedRows(): number {
    const { rollouts, attempts, workers, resources, sequences } = this.#unsynced;
    return rollouts.size + attempts.size + workers.size + resources.length + sequences.size;
  }

  #syncInBackground(): void {
    if (this.#syncTimer) clearTimeout(this.#syncTimer);
    this.#syncTimer = null;
    this.sync().catch((error: unknown) => this.#onSyncError(error));
  }
}
