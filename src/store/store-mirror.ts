import { isTerminalRolloutStatus } from './store-types.ts';
import type { ResourcesUpdate, Worker } from './store-types.ts';
import type { Draft, RolloutEntry } from './store-draft.ts';

/** A queued rollout at its FIFO position. */
export interface QueueEntry {
  rolloutId: string;
  position: number;
}

/**
 * The store's tables held in memory: reads and the queue are served from here. Loaded at open
 * ({@link loadMirror}); changed only by {@link StoreMirror.apply}, once a transaction committed.
 */
export class StoreMirror {
  readonly rollouts = new Map<string, RolloutEntry>();
  readonly workers = new Map<string, Worker>();
  /** The latest version of each resources id, in creation order. */
  readonly resources = new Map<string, ResourcesUpdate>();
  latestResourcesId: string | null = null;
  readonly sequences = new Map<string, number>();
  /** Queued rollouts in FIFO order; entries whose position no longer matches are stale. */
  queue: QueueEntry[] = [];
  queueHead = 0;
  /** Rollouts in `preparing` or `running`: what the watchdog looks at. */
  readonly active = new Set<string>();
  /** The last queue position handed out. */
  queueCounter = 0;
  /** The last creation order handed out. */
  createdCounter = 0;
  /** The last resources update order handed out. */
  resourcesCounter = 0;

  /**
   * Applies a committed draft; `onFinished` is called with the id of each rollout it leaves in a
   * terminal status.
   */
  apply(draft: Draft, onFinished: (rolloutId: string) => void): void {
    const queued: QueueEntry[] = [];
    for (const [id, entry] of draft.rollouts) {
      const before = this.rollouts.get(id);
      this.rollouts.set(id, entry);
      if (entry.queuePosition !== null && before?.queuePosition !== entry.queuePosition) {
        queued.push({ rolloutId: id, position: entry.queuePosition });
      }
      const status = entry.rollout.status;
      if (status === 'preparing' || status === 'running') this.active.add(id);
      else this.active.delete(id);
      if (isTerminalRolloutStatus(status)) onFinished(id);
    }
    // Positions are handed out in order, but a group may change rollouts in another order.
    if (queued.length > 0) this.queue.push(...queued.sort((a, b) => a.position - b.position));
    for (const [id, worker] of draft.workers) this.workers.set(id, worker);
    for (const { update } of draft.resources) {
      // Re-inserted so that the map keeps the latest version; creation order kept by `create_time`.
      this.resources.set(update.resources_id, update);
      this.latestResourcesId = update.resources_id;
    }
    for (const [id, last] of draft.sequences) this.sequences.set(id, last);
    this.#compactQueue();
  }

  #compactQueue(): void {
    while (this.queueHead < this.queue.length) {
      const { rolloutId, position } = this.queue[this.queueHead];
      if (this.rollouts.get(rolloutId)?.queuePosition === position) break;
      this.queueHead++;
    }
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
  }
}
