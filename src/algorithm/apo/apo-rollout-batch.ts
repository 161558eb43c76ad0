import type { RolloutStatus } from '../../store/index.ts';
import { abortableSleep } from '../../timers/index.ts';
import type { AlgorithmStore } from '../algorithm.ts';
import type { ResolvedApoOptions } from './apo-options.ts';

/**
 * Waits for a batch of rollouts until each finished or `rolloutBatchTimeoutSeconds` passed;
 * resolves with the status of each that finished (the others are absent). On the `'sequential'`
 * schedule it polls every `pollIntervalSeconds`, as Agent Lightning does; else it long-polls the
 * store. Rejects with the signal's reason when it aborts.
 */
export async function awaitRolloutBatch(
  store: AlgorithmStore,
  ids: readonly string[],
  options: Pick<ResolvedApoOptions<unknown>, 'schedule' | 'pollIntervalSeconds' | 'rolloutBatchTimeoutSeconds'>,
  signal: AbortSignal,
): Promise<Map<string, RolloutStatus>> {
  const finished = new Map<string, RolloutStatus>();
  const deadline = Date.now() + options.rolloutBatchTimeoutSeconds * 1000;
  while (finished.size < ids.length && Date.now() < deadline) {
    signal.throwIfAborted();
    const pending = ids.filter((id) => !finished.has(id));
    if (options.schedule === 'sequential') {
      // Agent Lightning's way: look, and if not everything is done, sleep the polling interval.
      for (const rollout of await store.waitForRollouts(pending, { timeoutSeconds: 0.001, signal })) finished.set(rollout.rollout_id, rollout.status);
      if (finished.size < ids.length) {
        await abortableSleep(Math.min(options.pollIntervalSeconds * 1000, Math.max(0, deadline - Date.now())), signal);
        signal.throwIfAborted();
      }
      continue;
    }
    // A server-side long-poll; the slice only bounds how late an abort is noticed.
    const slice = Math.max(0.001, Math.min(5, (deadline - Date.now()) / 1000));
    for (const rollout of await store.waitForRollouts(pending, { timeoutSeconds: slice, signal })) finished.set(rollout.rollout_id, rollout.status);
  }
  return finished;
}
