import type { SpanAttemptActivity } from '../storage/index.ts';
import type { DraftEditor } from './draft-editor.ts';
import { nowSeconds } from './store-draft.ts';
import type { Draft } from './store-draft.ts';
import type { StoreMirror } from './store-mirror.ts';
import { isFinalAttemptStatus } from './store-types.ts';

/** What a {@link SpanActivityApplier} works with: the store's state and its way of writing. */
export interface SpanActivityApplierOptions {
  mirror: StoreMirror;
  editor: DraftEditor;
  /** Runs `build` in the store's next group and resolves once its changes committed. */
  mutate: (build: (draft: Draft) => void) => Promise<void>;
  /** Whether the store is closed: activity is then dropped. */
  isClosed: () => boolean;
}

/**
 * Applies committed span activity as heartbeats, in the background and batched: each span counts
 * as its attempt's heartbeat, moves a `preparing` or `unresponsive` attempt to `running` (and its
 * rollout, when the attempt is the latest and the rollout was not yet running or finished), and
 * raises the rollout's span sequence counter.
 */
export class SpanActivityApplier {
  readonly #mirror: StoreMirror;
  readonly #editor: DraftEditor;
  readonly #mutate: SpanActivityApplierOptions['mutate'];
  readonly #isClosed: () => boolean;
  #pending: SpanAttemptActivity[] = [];
  #flush: Promise<void> | null = null;

  constructor(options: SpanActivityApplierOptions) {
    this.#mirror = options.mirror;
    this.#editor = options.editor;
    this.#mutate = options.mutate;
    this.#isClosed = options.isClosed;
  }

  /** Queues activity for application; starts applying unless that is under way. */
  record(activities: readonly SpanAttemptActivity[]): void {
    if (this.#isClosed()) return;
    // Only spans of attempts the store handed out matter here (an attempt id exists only once its
    // dequeue or start committed); spans of other traces cost the store nothing.
    const known = activities.filter((activity) => this.#mirror.rollouts.has(activity.rolloutId));
    if (known.length === 0) return;
    this.#pending.push(...known);
    this.#flush ??= this.#apply();
  }

  /** Resolves when the activity recorded so far is applied. */
  async flush(): Promise<void> {
    while (this.#flush) await this.#flush;
  }

  async #apply(): Promise<void> {
    try {
      while (this.#pending.length > 0 && !this.#isClosed()) {
        const batch = this.#pending;
        this.#pending = [];
        await this.#mutate((draft) => this.#applyBatch(draft, batch)).catch(() => undefined); // A failed heartbeat write loses a heartbeat, nothing else.
      }
    } finally {
      this.#flush = null;
    }
  }

  #applyBatch(draft: Draft, batch: readonly SpanAttemptActivity[]): void {
    const editor = this.#editor;
    const now = nowSeconds();
    for (const activity of batch) {
      const base = editor.read(draft, activity.rolloutId);
      const index = base?.attempts.findIndex((attempt) => attempt.attempt_id === activity.attemptId) ?? -1;
      // Spans of rollouts the store does not know are stored all the same, but cost the store
      // nothing (no write on the ingest path).
      if (!base || index < 0) continue;
      if (activity.maxSequenceId !== null) {
        const current = editor.lastSequenceId(draft, activity.rolloutId);
        if (activity.maxSequenceId > current) draft.sequences.set(activity.rolloutId, activity.maxSequenceId);
      }
      const entry = editor.edit(draft, activity.rolloutId);
      const attempt = { ...entry.attempts[index], last_heartbeat_time: now };
      const revived = attempt.status === 'preparing' || attempt.status === 'unresponsive';
      if (revived) attempt.status = 'running';
      editor.putAttempt(draft, entry, attempt);
      const latest = index === entry.attempts.length - 1;
      const status = entry.rollout.status;
      // Spans are applied after their commit, so they can arrive after the runner already
      // reported the attempt finished (e.g. failed → rollout requeuing): then they must not
      // revive the rollout.
      if (latest && !isFinalAttemptStatus(attempt.status) && (status === 'preparing' || status === 'queuing' || status === 'requeuing')) {
        editor.setRolloutStatus(entry, 'running', now);
      }
      if (revived) editor.syncWorker(draft, attempt, now);
    }
  }
}
