import { ConflictError, NotFoundError } from '../errors/index.ts';
import { attemptKey, clone, emptyDraft, newId, nowSeconds } from './store-draft.ts';
import type { Draft, RolloutEntry } from './store-draft.ts';
import type { CheckedNewRollout } from './store-input-checks.ts';
import type { StoreMirror } from './store-mirror.ts';
import { isFinalAttemptStatus, isQueuedRolloutStatus, isTerminalRolloutStatus } from './store-types.ts';
import type { Attempt, AttemptStatus, NamedResources, ResourcesUpdate, RolloutConfig, RolloutStatus, Worker } from './store-types.ts';

/**
 * Builds the changes of store operations in drafts, each operation seeing the mirror plus the
 * changes of those before it in its group (the {@link DraftEditor.overlay}), and keeping the rules
 * that tie rollouts, attempts and workers together.
 */
export class DraftEditor {
  readonly #mirror: StoreMirror;
  /** The merged changes of the group being written; empty between groups. */
  overlay: Draft = emptyDraft();
  /** Where dequeues of the group being built start: queue entries before it are taken or stale. */
  groupQueueHead = 0;

  constructor(mirror: StoreMirror) {
    this.#mirror = mirror;
  }

  /** Starts a group: an empty overlay, dequeues from the mirror's queue head. */
  beginGroup(): void {
    this.overlay = emptyDraft();
    this.groupQueueHead = this.#mirror.queueHead;
  }

  /** A rollout as the operation being built sees it: its own changes, its group's, the mirror. */
  read(draft: Draft, rolloutId: string): RolloutEntry | undefined {
    return draft.rollouts.get(rolloutId) ?? this.overlay.rollouts.get(rolloutId) ?? this.#mirror.rollouts.get(rolloutId);
  }

  /** The draft's copy of a rollout entry, for changing; `NotFoundError` when unknown. */
  edit(draft: Draft, rolloutId: string): RolloutEntry {
    let entry = draft.rollouts.get(rolloutId);
    if (entry) return entry;
    const base = this.overlay.rollouts.get(rolloutId) ?? this.#mirror.rollouts.get(rolloutId);
    if (!base) throw new NotFoundError(`Rollout ${rolloutId} not found`);
    entry = { ...base, rollout: { ...base.rollout }, attempts: base.attempts.slice() };
    draft.rollouts.set(rolloutId, entry);
    return entry;
  }

  /** The draft's copy of a worker, for changing; a new `unknown` worker when there is none. */
  editWorker(draft: Draft, workerId: string): Worker {
    let worker = draft.workers.get(workerId);
    if (worker) return worker;
    const base = this.overlay.workers.get(workerId) ?? this.#mirror.workers.get(workerId);
    worker = base
      ? { ...base }
      : {
          worker_id: workerId,
          status: 'unknown',
          heartbeat_stats: null,
          last_heartbeat_time: null,
          last_dequeue_time: null,
          last_busy_time: null,
          last_idle_time: null,
          current_rollout_id: null,
          current_attempt_id: null,
        };
    draft.workers.set(workerId, worker);
    return worker;
  }

  /**
   * Sequence ids issued to spans outside a group (see {@link issueSequenceId}), by rollout: they
   * reach the tables with the spans' activity, and are never issued again meanwhile.
   */
  readonly #issuedSequenceIds = new Map<string, number>();

  /** The last span sequence id of a rollout as recorded in its tables' rows (as the operation being built sees them), not counting ids issued or seen since. */
  recordedSequenceId(draft: Draft, rolloutId: string): number {
    return draft.sequences.get(rolloutId) ?? this.overlay.sequences.get(rolloutId) ?? this.#mirror.sequences.get(rolloutId) ?? 0;
  }

  /** The last span sequence id of a rollout as the operation being built sees it. */
  lastSequenceId(draft: Draft, rolloutId: string): number {
    return Math.max(this.recordedSequenceId(draft, rolloutId), this.#issuedSequenceIds.get(rolloutId) ?? 0);
  }

  /**
   * Issues the next span sequence id of a rollout at once, outside any group (for spans on their
   * way to the sink, whose committed activity then records it).
   */
  issueSequenceId(rolloutId: string): number {
    const next = this.lastSequenceId(emptyDraft(), rolloutId) + 1;
    this.#issuedSequenceIds.set(rolloutId, next);
    return next;
  }

  /**
   * Records that spans carrying sequence ids up to `sequenceId` were stored for a rollout, before
   * their activity reaches the tables: those ids are never issued again meanwhile.
   */
  noteSequenceId(rolloutId: string, sequenceId: number): void {
    if (sequenceId > (this.#issuedSequenceIds.get(rolloutId) ?? 0)) this.#issuedSequenceIds.set(rolloutId, sequenceId);
  }

  /** The latest version of a resources id as the operation being built sees it. */
  #latestVersion(draft: Draft, resourcesId: string): ResourcesUpdate | undefined {
    for (const changes of [draft, this.overlay]) {
      const found = changes.resources.findLast(({ update }) => update.resources_id === resourcesId);
      if (found) return found.update;
    }
    return this.#mirror.resources.get(resourcesId);
  }

  #latestResourcesIdIn(draft: Draft): string | null {
    return draft.resources.at(-1)?.update.resources_id ?? this.overlay.resources.at(-1)?.update.resources_id ?? this.#mirror.latestResourcesId;
  }

  /** Puts an attempt into its (draft) rollout entry and the draft. */
  putAttempt(draft: Draft, entry: RolloutEntry, attempt: Attempt): void {
    entry.attempts[attempt.sequence_id - 1] = attempt;
    draft.attempts.set(attemptKey(attempt.rollout_id, attempt.attempt_id), attempt);
  }

  /** A new rollout in `status`, with the latest resources unless the request names some. */
  createRollout(draft: Draft, request: CheckedNewRollout, now: number, status: RolloutStatus): RolloutEntry {
    const entry: RolloutEntry = {
      rollout: {
        rollout_id: newId('ro-', 6),
        input: request.input,
        start_time: now,
        end_time: null,
        mode: request.mode,
        resources_id: request.resourcesId === null ? this.#latestResourcesIdIn(draft) : request.resourcesId,
        status,
        config: request.config,
        metadata: request.metadata,
      },
      attempts: [],
      queuePosition: isQueuedRolloutStatus(status) ? ++this.#mirror.queueCounter : null,
      createdOrder: ++this.#mirror.createdCounter,
    };
    draft.rollouts.set(entry.rollout.rollout_id, entry);
    return entry;
  }

  /** A new `preparing` attempt of the rollout, which becomes `preparing` too. */
  newAttempt(draft: Draft, entry: RolloutEntry, workerId: string | null, now: number): Attempt {
    const attempt: Attempt = {
      rollout_id: entry.rollout.rollout_id,
      attempt_id: newId('at-', 6),
      sequence_id: entry.attempts.length + 1,
      start_time: now,
      end_time: null,
      status: 'preparing',
      worker_id: workerId,
      last_heartbeat_time: null,
      metadata: {},
    };
    this.putAttempt(draft, entry, attempt);
    this.setRolloutStatus(entry, 'preparing', now);
    if (workerId !== null) this.syncWorker(draft, attempt, now);
    return attempt;
  }

  /** Sets a rollout's status with its consequences (end time, queue position). */
  setRolloutStatus(entry: RolloutEntry, status: RolloutStatus, now: number): void {
    entry.rollout.status = status;
    if (isTerminalRolloutStatus(status)) entry.rollout.end_time = now;
    if (isQueuedRolloutStatus(status)) entry.queuePosition ??= ++this.#mirror.queueCounter;
    else entry.queuePosition = null;
  }

  /**
   * Sets an attempt's status. A final attempt (`succeeded`, `failed`, `timeout`) takes no other
   * status (`ConflictError`). The latest attempt's status carries over to an unfinished rollout.
   */
  setAttemptStatus(draft: Draft, entry: RolloutEntry, index: number, status: AttemptStatus, now: number): void {
    const current = entry.attempts[index];
    if (current.status === status) return;
    if (isFinalAttemptStatus(current.status)) {
      throw new ConflictError(`Attempt ${current.attempt_id} of rollout ${current.rollout_id} is ${current.status}; it cannot become ${status}`);
    }
    const attempt = { ...current, status };
    if (isFinalAttemptStatus(status)) attempt.end_time = now;
    this.putAttempt(draft, entry, attempt);
    if (index === entry.attempts.length - 1 && !isTerminalRolloutStatus(entry.rollout.status)) {
      const next = rolloutStatusFromAttempt(attempt, entry.rollout.config);
      if (next !== entry.rollout.status) this.setRolloutStatus(entry, next, now);
    }
    this.syncWorker(draft, attempt, now);
  }

  /** A worker follows the status of the attempt it runs (as Agent Lightning's store does). */
  syncWorker(draft: Draft, attempt: Attempt, now: number): void {
    if (!attempt.worker_id) return;
    const worker = this.editWorker(draft, attempt.worker_id);
    if (attempt.status === 'succeeded' || attempt.status === 'failed' || attempt.status === 'timeout' || attempt.status === 'unresponsive') {
      // Only when the worker is still on this attempt: it may have moved on already.
      if (worker.current_attempt_id !== null && worker.current_attempt_id !== attempt.attempt_id) return;
      const status = attempt.status === 'succeeded' || attempt.status === 'failed' ? 'idle' : 'unknown';
      Object.assign(worker, { status, last_idle_time: now, current_rollout_id: null, current_attempt_id: null });
    } else {
      Object.assign(worker, {
        status: 'busy',
        last_busy_time: now,
        current_rollout_id: attempt.rollout_id,
        current_attempt_id: attempt.attempt_id,
      });
    }
  }

  /** A new version of a resources id (version 1 when it is new). */
  putResources(draft: Draft, resourcesId: string, resources: NamedResources): ResourcesUpdate {
    const now = nowSeconds();
    const existing = this.#latestVersion(draft, resourcesId);
    const update: ResourcesUpdate = {
      resources_id: resourcesId,
      create_time: existing?.create_time ?? now,
      update_time: now,
      version: (existing?.version ?? 0) + 1,
      resources: clone(resources),
    };
    draft.resources.push({ update, order: ++this.#mirror.resourcesCounter });
    return clone(update);
  }
}

/** The rollout status an attempt's status implies (Agent Lightning's rule). */
export function rolloutStatusFromAttempt(attempt: Attempt, config: RolloutConfig): RolloutStatus {
  switch (attempt.status) {
    case 'preparing':
    case 'running':
    case 'succeeded':
      return attempt.status;
    default:
      return config.retry_condition.includes(attempt.status) && attempt.sequence_id < config.max_attempts ? 'requeuing' : 'failed';
  }
}
