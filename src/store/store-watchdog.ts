import type { AttemptStatus } from './store-types.ts';
import type { DraftEditor } from './draft-editor.ts';
import { nowSeconds } from './store-draft.ts';
import type { Draft } from './store-draft.ts';

/**
 * Runs the store's health check every `intervalMillis` (not at all when 0), never two at once and
 * not once the store is closed; a failed pass is left to the next tick. It sleeps (no timer at
 * all) while `hasWork` says there is nothing to watch, until {@link wake}.
 */
export class StoreWatchdog {
  readonly #intervalMillis: number;
  readonly #check: () => Promise<unknown>;
  readonly #isClosed: () => boolean;
  readonly #hasWork: () => boolean;
  #timer: NodeJS.Timeout | null = null;
  #running = false;
  #stopped = false;

  constructor(intervalMillis: number, check: () => Promise<unknown>, isClosed: () => boolean, hasWork: () => boolean = () => true) {
    this.#intervalMillis = intervalMillis;
    this.#check = check;
    this.#isClosed = isClosed;
    this.#hasWork = hasWork;
    this.wake();
  }

  /** Starts the ticks again if they slept (call when there may be something to watch). */
  wake(): void {
    if (this.#timer || this.#stopped || this.#intervalMillis <= 0 || !this.#hasWork()) return;
    this.#timer = setInterval(() => void this.#run(), this.#intervalMillis);
    this.#timer.unref();
  }

  /** Stops the ticks for good. */
  stop(): void {
    this.#stopped = true;
    this.#sleep();
  }

  #sleep(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  async #run(): Promise<void> {
    if (this.#running || this.#isClosed()) return;
    if (!this.#hasWork()) {
      this.#sleep();
      return;
    }
    this.#running = true;
    try {
      await this.#check();
    } catch {
      // The next tick tries again.
    } finally {
      this.#running = false;
    }
  }
}

/**
 * Marks, in `draft`, the latest attempt of each active rollout `timeout` (running longer than
 * `timeout_seconds` since it started) or `unresponsive` (no heartbeat or span for
 * `unresponsive_seconds`, counted from its start when it never had one), which requeues or fails
 * the rollout per its config. Returns how many attempts were marked.
 */
export function markUnhealthyAttempts(editor: DraftEditor, active: ReadonlySet<string>, draft: Draft): number {
  const now = nowSeconds();
  let marked = 0;
  for (const rolloutId of active) {
    // As the operations before this one in its group left it.
    const entry = editor.read(draft, rolloutId)!;
    const attempt = entry.attempts.at(-1);
    if (!attempt || (attempt.status !== 'preparing' && attempt.status !== 'running')) continue;
    const { timeout_seconds: timeout, unresponsive_seconds: unresponsive } = entry.rollout.config;
    let status: AttemptStatus | null = null;
    if (timeout !== null && now - attempt.start_time > timeout) status = 'timeout';
    else if (unresponsive !== null && now - (attempt.last_heartbeat_time ?? attempt.start_time) > unresponsive) status = 'unresponsive';
    if (status === null) continue;
    editor.setAttemptStatus(draft, editor.edit(draft, rolloutId), attempt.sequence_id - 1, status, now);
    marked++;
  }
  return marked;
}
