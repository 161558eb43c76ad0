/**
 * Waits for rollouts to finish: woken by {@link RolloutWaiters.finished} when the mirror applies a
 * terminal status, in constant time however many wait.
 */
export class RolloutWaiters {
  readonly #waiters = new Map<string, Set<(rolloutId: string) => void>>();
  readonly #closeWaiters = new Set<() => void>();

  /** Resolves when every rollout of `rolloutIds` finished, after `timeoutSeconds`, on abort, or on {@link endAll}. */
  wait(rolloutIds: readonly string[], timeoutSeconds: number | null, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | null = null;
      const ids = new Set(rolloutIds);
      const unfinished = new Set(ids);
      // Called (with its id) when one of the rollouts finished: constant time, however many wait.
      const check = (id: string): void => {
        unfinished.delete(id);
        if (unfinished.size === 0) done();
      };
      const done = (): void => {
        if (timer) clearTimeout(timer);
        for (const id of ids) this.#waiters.get(id)?.delete(check);
        signal?.removeEventListener('abort', done);
        this.#closeWaiters.delete(done);
        resolve();
      };
      for (const id of ids) {
        let set = this.#waiters.get(id);
        if (!set) this.#waiters.set(id, (set = new Set()));
        set.add(check);
      }
      if (timeoutSeconds !== null) timer = setTimeout(done, timeoutSeconds * 1000);
      signal?.addEventListener('abort', done, { once: true });
      this.#closeWaiters.add(done);
    });
  }

  /** Wakes the waits on a rollout that finished. */
  finished(rolloutId: string): void {
    const waiters = this.#waiters.get(rolloutId);
    if (waiters) {
      this.#waiters.delete(rolloutId);
      for (const check of [...waiters]) check(rolloutId);
    }
  }

  /** Ends every wait (when the store closes). */
  endAll(): void {
    for (const done of [...this.#closeWaiters]) done();
  }
}
