import { setTimeout as delay } from 'node:timers/promises';

/**
 * Resolves after `millis`, or early (without throwing) when `signal` aborts. A caller that must
 * stop on the abort follows it with `signal.throwIfAborted()`, which throws the signal's reason.
 */
export async function abortableSleep(millis: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(millis, undefined, { signal });
  } catch (error) {
    if (!signal?.aborted) throw error;
  }
}
