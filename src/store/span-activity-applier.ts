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
  /**
   * How long activity that changes no status (it only refreshes heartbeats and raises sequence
   * counters) may wait to be written with the activity that follows it; activity that moves an
   * attempt or a rollout to `running` is written at once.
   * @default 1000
   */
  heartbeatDelayMillis?: number;
}

/**
 * Applies committed span activity as heartbeats, in the background and batched: each span counts
 * as its attempt's heartbeat, moves a `preparing` or `unresponsive` attempt to `running` (and its
 * rollout, when the attempt is the latest and the rollout was not yet running or finished), and
 * raises the rollout's span sequence counter.
 *
 * Activity that changes a status is written at once. Activity that only refreshes heartbeats waits
 * up to `heartbeatDelayMillis` and is written with whatever arrived meanwhile, in one store
 * transaction: clients that send each span in its own request (Agent Lightning's runners do) would
 * otherwise cost a store transaction per span on top of the span's own. Sequence ids are issued in
 * memory when the spans are queued (never twice), and the store's watchdog applies what waits
 * before it looks for unresponsive attempts, so the wait changes no outcome.
 */
export class SpanActivityApplier {
  readonly #mirror: StoreMirror;
  readonly #editor: DraftEditor;
  readonly #mutate: SpanActivityApplierOptions['mutate'];
  readonly #isClosed: () => boolean;
  readonly #heartbeatDelayMillis: number;
  /** Activity waiting to be applied, with when it was recorded (its heartbeat time). */
  #pending: { activity: SpanAttemptActivity; at: number }[] = [];
  /** Whether some of the pending activity changes a status (then it is written at once). */
  #pendingChangesStatus = false;
  #applying: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;

  constructor(options: SpanActivityApplierOptions) {
    this.#mirror = options.mirror;
    this.#editor = options.editor;
    this.#mutate = options.mutate;
    this.#isClosed = options.isClosed;
    this.#heartbeatDelayMillis = options.heartbeatDelayMillis ?? 1000;
  }

  /** Queues activity for application: at once when it changes a status, else within `heartbeatDelayMillis`. */
  record(activities: readonly SpanAttemptActivity[]): void {
    if (this.#isClosed()) return;
    // Only spans of attempts the store handed out matter here (an attempt id exists only once its
    // dequeue or start committed); spans of other traces cost the store nothing.
    const known = activities.filter((activity) => this.#mirror.rollouts.has(activity.rolloutId));
    if (known.length === 0) return;
    const at = nowSeconds();
    for (const activity of known) {
      this.#pending.push({ activity, at });
      // Seen now, written later: no sequence id up to it is issued meanwhile.
      if (activity.maxSequenceId !== null) this.#editor.noteSequenceId(activity.rolloutId, activity.maxSequenceId);
    }
    if (!this.#pendingChangesStatus && known.some((activity) => this.#changesStatus(activity))) this.#pendingChangesStatus = true;
    this.#schedule();
  }

  /** Resolves when the activity recorded so far is applied (what waits is applied now). */
  async flush(): Promise<void> {
    for (;;) {
      if (this.#applying) {
        await this.#applying;
        continue;
      }
      if (this.#pending.length === 0 || this.#isClosed()) return;
      this.#applyNow();
    }
  }

  /** Applies now when a status changes, else arms the timer; a batch under way schedules again when it ends. */
  #schedule(): void {
    if (this.#applying || this.#pending.length === 0) return;
    if (this.#pendingChangesStatus || this.#heartbeatDelayMillis === 0) {
      this.#applyNow();
      return;
    }
    this.#timer ??= setTimeout(() => {
      this.#timer = null;
      if (!this.#applying && this.#pending.length > 0) this.#applyNow();
    }, this.#heartbeatDelayMillis).unref();
  }

  #applyNow(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#applying = this.#applyPending();
  }

  async #applyPending(): Promise<void> {
    try {
      if (this.#isClosed()) return;
      const batch = this.#pending;
      this.#pending = [];
      this.#pendingChangesStatus = false;
      await this.#mutate((draft) => this.#applyBatch(draft, batch)).catch(() => undefined); // A failed heartbeat write loses a heartbeat, nothing else.
    } finally {
      this.#applying = null;
    }
    this.#schedule();
  }

  /** Whether applying `activity` would move its attempt or its rollout to `running` (as the mirror stands). */
  #changesStatus(activity: SpanAttemptActivity): boolean {
    const entry = this.#mirror.rollouts.get(activity.rolloutId);
    const index = entry?.attempts.findIndex((attempt) => attempt.attempt_id === activity.attemptId) ?? -1;
    if (!entry || index < 0) return false;
    const attempt = entry.attempts[index];
    if (attempt.status === 'preparing' || attempt.status === 'unresponsive') return true;
    const status = entry.rollout.status;
    return index === entry.attempts.length - 1 && !isFinalAttemptStatus(attempt.status) && (status === 'preparing' || status === 'queuing' || status === 'requeuing');
  }

  #applyBatch(draft: Draft, batch: readonly { activity: SpanAttemptActivity; at: number }[]): void {
    const editor = this.#editor;
    for (const { activity, at: now } of batch) {
      const base = editor.read(draft, activity.rolloutId);
      const index = base?.attempts.findIndex((attempt) => attempt.attempt_id === activity.attemptId) ?? -1;
      // Spans of rollouts the store does not know are stored all the same, but cost the store
      // nothing (no write on the ingest path).
      if (!base || index < 0) continue;
      if (activity.maxSequenceId !== null) {
        const current = editor.recordedSequenceId(draft, activity.rolloutId);
        if (activity.maxSequenceId > current) draft.sequences.set(activity.rolloutId, activity.maxSequenceId);
      }
      const entry = editor.edit(draft, activity.rolloutId);
      const previous = entry.attempts[index];
      const attempt = { ...previous, last_heartbeat_time: Math.max(now, previous.last_heartbeat_time ?? now) };
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
