import { randomBytes } from 'node:crypto';
import type { Attempt, ResourcesUpdate, Rollout, Worker } from './store-types.ts';

/** A rollout with what the store keeps beside it. Treated as immutable: changes copy it. */
export interface RolloutEntry {
  rollout: Rollout;
  /** Attempts by sequence: `attempts[i].sequence_id === i + 1`. */
  attempts: Attempt[];
  /** FIFO position while queued, else `null`. */
  queuePosition: number | null;
  createdOrder: number;
}

/**
 * The changes of one store operation. Those of a group of operations are merged (latest wins) into
 * the group's overlay, written in one transaction, then applied to the mirror.
 */
export interface Draft {
  rollouts: Map<string, RolloutEntry>;
  attempts: Map<string, Attempt>;
  workers: Map<string, Worker>;
  resources: { update: ResourcesUpdate; order: number }[];
  sequences: Map<string, number>;
}

/** A draft with no changes. */
export const emptyDraft = (): Draft => ({ rollouts: new Map(), attempts: new Map(), workers: new Map(), resources: [], sequences: new Map() });

/** Merges an operation's changes into its group's (later changes of the same row win). */
export function mergeDraft(into: Draft, draft: Draft): void {
  for (const [id, entry] of draft.rollouts) into.rollouts.set(id, entry);
  for (const [key, attempt] of draft.attempts) into.attempts.set(key, attempt);
  for (const [id, worker] of draft.workers) into.workers.set(id, worker);
  into.resources.push(...draft.resources);
  for (const [id, last] of draft.sequences) into.sequences.set(id, last);
}

/** The key of an attempt in {@link Draft.attempts}. */
export const attemptKey = (rolloutId: string, attemptId: string): string => `${rolloutId}\u0000${attemptId}`;

/** The current time in seconds, as the store's timestamps are. */
export const nowSeconds = (): number => Date.now() / 1000;

/** A new random id: `prefix` then `bytes` random bytes in hex. */
export const newId = (prefix: string, bytes: number): string => prefix + randomBytes(bytes).toString('hex');

/** A deep copy, so that callers never hold the store's own objects. */
export function clone<T>(value: T): T {
  return structuredClone(value);
}
