import type { DuckDBConnection } from '@duckdb/node-api';
import { GroupCommitter } from '../storage/index.ts';
import type { DraftEditor } from './draft-editor.ts';
import type { DraftWriter } from './draft-writer.ts';
import { emptyDraft, mergeDraft } from './store-draft.ts';
import type { Draft } from './store-draft.ts';
import type { StoreMirror } from './store-mirror.ts';

/** One store operation waiting for its group: `build` runs when the group is formed. */
interface StoreWrite {
  build: (draft: Draft) => unknown;
  result: unknown;
  /** Set when `build` threw: the operation changed nothing and rejects with it. */
  failure: { error: unknown } | null;
}

/** What a {@link DraftCommitter} works with. */
export interface DraftCommitterOptions {
  /** The connection every group is written with, in its own transaction. */
  writer: DuckDBConnection;
  draftWriter: DraftWriter;
  mirror: StoreMirror;
  editor: DraftEditor;
  /** Called with the id of each rollout a committed group left in a terminal status. */
  onFinished: (rolloutId: string) => void;
}

/**
 * Group commit of store operations ({@link GroupCommitter}, one lane): operations that arrive
 * while a transaction is under way wait, then run one after the other when the next group forms,
 * each seeing the changes of those before it in the group (the editor's overlay over the mirror).
 * The group's changes are written in one transaction and reach the mirror once it committed. If
 * the group fails, each operation is run again alone, in its own transaction, so one bad write
 * fails alone.
 */
export class DraftCommitter {
  readonly #draftWriter: DraftWriter;
  readonly #mirror: StoreMirror;
  readonly #editor: DraftEditor;
  readonly #onFinished: (rolloutId: string) => void;
  readonly #committer: GroupCommitter<StoreWrite, DuckDBConnection>;
  readonly #writer: DuckDBConnection;
  /** The next group's BEGIN, sent right after a commit so that the group does not wait for it. */
  #nextBegin: Promise<unknown> | null = null;

  constructor(options: DraftCommitterOptions) {
    this.#draftWriter = options.draftWriter;
    this.#writer = options.writer;
    this.#mirror = options.mirror;
    this.#editor = options.editor;
    this.#onFinished = options.onFinished;
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
    const write: StoreWrite = { build, result: undefined, failure: null };
    return this.#committer.submit(write).then(() => {
      if (write.failure) throw write.failure.error;
      return write.result as T;
    });
  }

  /** Resolves when every operation submitted so far is settled. */
  flush(): Promise<void> {
    return this.#committer.flush();
  }

  /** Settles every operation, then ends the transaction opened for the next group. */
  async close(): Promise<void> {
    await this.flush();
    if (await this.#takeNextBegin()) await this.#writer.run('ROLLBACK').catch(() => undefined);
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
    await this.#draftWriter.persist(this.#editor.overlay);
  }

  /** Applies the committed overlay to the mirror and wakes the waits it finished. */
  #apply(): void {
    const draft = this.#editor.overlay;
    this.#editor.overlay = emptyDraft();
    this.#mirror.apply(draft, this.#onFinished);
  }
}
