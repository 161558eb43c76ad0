/**
 * What the `DuckDBLightningStore`'s queue and update operations do to a group's draft: the
 * dequeue walk over the queue, and the changes of `updateRollout` and `updateAttempt`. Each runs
 * inside `#mutate` (one group commit), on inputs already checked by `store-input-checks.ts`.
 */
import { ConflictError, NotFoundError } from '../errors/index.ts';
import type { DraftEditor } from './draft-editor.ts';
import type { AttemptUpdate, RolloutUpdate } from './lightning-store.ts';
import { clone, nowSeconds } from './store-draft.ts';
import type { Draft } from './store-draft.ts';
import type { StoreMirror } from './store-mirror.ts';
import { isQueuedRolloutStatus, isTerminalRolloutStatus } from './store-types.ts';
import type { Attempt, AttemptedRollout, Rollout, RolloutConfig } from './store-types.ts';

/**
 * Takes up to `limit` queued rollouts, in queue order, each with a new attempt for `workerId`, and
 * records the worker's dequeue (busy with the last rollout taken, else idle).
 */
export function takeQueuedRollouts(
  editor: DraftEditor,
  mirror: StoreMirror,
  draft: Draft,
  limit: number,
  workerId: string | null,
): AttemptedRollout[] {
  const now = nowSeconds();
  const taken: AttemptedRollout[] = [];
  for (let index = editor.groupQueueHead; index < mirror.queue.length && taken.length < limit; index++) {
    const { rolloutId, position } = mirror.queue[index];
    const current = editor.read(draft, rolloutId);
    if (current && current.queuePosition === position && isQueuedRolloutStatus(current.rollout.status)) {
      const entry = editor.edit(draft, rolloutId);
      const attempt = editor.newAttempt(draft, entry, workerId, now);
      taken.push({ ...clone(entry.rollout), attempt: clone(attempt) });
    }
    // Taken or stale for the rest of this group (a dequeue never throws, so its draft is kept):
    // the next dequeue of the group starts after it, not at the mirror's head.
    if (index === editor.groupQueueHead) editor.groupQueueHead++;
  }
  if (workerId !== null) {
    const worker = editor.editWorker(draft, workerId);
    worker.last_dequeue_time = now;
    if (taken.length > 0) {
      const last = taken[taken.length - 1].attempt;
      Object.assign(worker, { status: 'busy', last_busy_time: now, current_rollout_id: last.rollout_id, current_attempt_id: last.attempt_id });
    } else if (worker.status !== 'idle') {
      Object.assign(worker, { status: 'idle', last_idle_time: now });
    }
  }
  return taken;
}

/** Applies a checked {@link RolloutUpdate} (its `config` checked apart) to rollout `rolloutId`. */
export function applyRolloutUpdate(
  editor: DraftEditor,
  draft: Draft,
  rolloutId: string,
  update: RolloutUpdate,
  config: RolloutConfig | undefined,
): Rollout {
  const entry = editor.edit(draft, rolloutId);
  const rollout = entry.rollout;
  if (update.status !== undefined && update.status !== rollout.status) {
    if (isTerminalRolloutStatus(rollout.status)) {
      throw new ConflictError(`Rollout ${rolloutId} is ${rollout.status}; its status cannot become ${update.status}`);
    }
    editor.setRolloutStatus(entry, update.status, nowSeconds());
  }
  if (update.input !== undefined) rollout.input = update.input;
  if (update.mode !== undefined) rollout.mode = update.mode;
  if (update.resourcesId !== undefined) rollout.resources_id = update.resourcesId;
  if (config !== undefined) rollout.config = config;
  if (update.metadata !== undefined) rollout.metadata = update.metadata;
  return clone(rollout);
}

/**
 * Applies a checked {@link AttemptUpdate} to attempt `attemptId` (or `'latest'`) of rollout
 * `rolloutId`. A status change of an attempt that is no longer the latest is recorded on it, but
 * never moves the rollout: `supersededBy` then names the latest attempt, so that the caller can say
 * so (409).
 */
export function applyAttemptUpdate(
  editor: DraftEditor,
  draft: Draft,
  rolloutId: string,
  attemptId: string,
  update: AttemptUpdate,
): { attempt: Attempt; supersededBy: string | null } {
  const entry = editor.edit(draft, rolloutId);
  const index = attemptId === 'latest' ? entry.attempts.length - 1 : entry.attempts.findIndex((item) => item.attempt_id === attemptId);
  if (index < 0) throw new NotFoundError(`Attempt ${attemptId} of rollout ${rolloutId} not found`);
  const attempt = { ...entry.attempts[index] };
  if (update.workerId !== undefined) attempt.worker_id = update.workerId;
  if (update.lastHeartbeatTime !== undefined) attempt.last_heartbeat_time = update.lastHeartbeatTime;
  if (update.metadata !== undefined) attempt.metadata = update.metadata;
  editor.putAttempt(draft, entry, attempt);
  const workerChanged = update.workerId !== undefined && update.workerId !== null;
  const latest = entry.attempts.length - 1;
  let supersededBy: string | null = null;
  if (update.status !== undefined && update.status !== attempt.status) {
    editor.setAttemptStatus(draft, entry, index, update.status, nowSeconds());
    if (index !== latest) supersededBy = entry.attempts[latest].attempt_id;
  } else if (workerChanged) {
    editor.syncWorker(draft, entry.attempts[index], nowSeconds());
  }
  return { attempt: clone(entry.attempts[index]), supersededBy };
}
